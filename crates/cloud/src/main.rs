//! Entry point; the program lives in the library.

fn main() {
    eprintln!(
        "{} {}: not built yet",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(1);
}
