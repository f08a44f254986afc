//! The `chiso` command: all the work is in the library.
fn main() {
    std::process::exit(chiso::cli::main());
}
