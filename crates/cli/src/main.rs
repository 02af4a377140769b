//! Entry point; the program lives in the library.

fn main() -> std::process::ExitCode {
    rekey_cli::main()
}
