//! Entry point of the local system launcher.

fn main() {
    println!("Rekey local system: the cloud and the recorder are not built yet.");
    println!("The protocol core is in crates/proto; run the tests with `cargo test --workspace`.");
}
