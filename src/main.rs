//! The `chiso` command: all the work is in the library.

/// mimalloc, as datafusion-cli uses: faster than the system allocator for DataFusion's many
/// short-lived buffers (benches/README.md, "Start-up, allocator and dates").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the Rust bindings do not name it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Memory freed goes back to the system at once rather than 10 ms later: a distinct count over
    // 291.8 M rows (its hash tables grow by doubling) peaked at 2.8 GB with the delay and 2.2 GB
    // without, no slower (benches/README.md).
    // SAFETY: sets one of mimalloc's documented options before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    std::process::exit(chiso::cli::main());
}
