//! `model`: Redis semantics on top of the `sim` kernel.
