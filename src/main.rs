//! The `vanban` command: argument parsing and reporting live here, the work in the library.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
