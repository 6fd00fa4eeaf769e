//! `polyproto`: run a polyproto identity from the command line. See `polyproto --help` and
//! docs/client.md.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
