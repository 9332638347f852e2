//! `playground`: redsim in the browser. The same `sim` + `model` + `lab` run as `redsim run`,
//! behind a small C ABI when compiled for `wasm32-unknown-unknown` (`ffi`), and the one
//! self-contained page that loads the module ([`site`]), with its guided [`lessons`].
//!
//! Crate map: [`run`] (a scenario's text and seed in, everything the page shows out, as JSON),
//! [`lessons`], [`site`] (the page), and `ffi` (the wasm exports around [`run`]).

#[cfg(target_arch = "wasm32")]
mod ffi;
pub mod lessons;
pub mod run;
pub mod site;
