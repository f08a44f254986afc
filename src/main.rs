//! The `chiso` command: all the work is in the library.

/// mimalloc, as datafusion-cli uses: faster than the system allocator for DataFusion's many
/// short-lived buffers (benches/README.md, "Start-up, allocator and dates").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(chiso::cli::main());
}
