//! The `chiso` command: all the work is in the library (its allocator too: `chiso::alloc`).
fn main() {
    std::process::exit(chiso::cli::main());
}
