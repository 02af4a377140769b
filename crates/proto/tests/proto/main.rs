//! Integration tests of the protocol core: the published vectors, properties over random inputs,
//! and one test per way a temporary password can fail.

mod errors;
mod fuzzed;
mod handshake;
mod properties;
mod support;
mod vectors;
