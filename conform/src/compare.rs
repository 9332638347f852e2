//! Real outcomes against simulated ones (to be written).
