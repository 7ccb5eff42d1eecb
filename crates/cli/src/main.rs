//! `regrelay`: thin entry point; every command lives in the library.

fn main() -> std::process::ExitCode {
    regrelay_cli::main()
}
