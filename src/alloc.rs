//! The allocator of every program built on the library (the `chiso` binary, its tests and
//! benchmarks): mimalloc, as datafusion-cli uses, faster than the system's for DataFusion's many
//! short-lived buffers (benches/README.md, "Start-up, the allocator and dates").

/// mimalloc for the whole program.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the Rust bindings do not name it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Give memory back to the system as soon as it is freed, not 10 ms later (mimalloc's default), for
/// runs held to a memory limit. A distinct count over 291.8 M rows, whose hash tables grow by
/// doubling, peaked at 2.8 GB with the delay and 2.2 GB without; but a scan that frees and
/// allocates buffers all the time ran up to 30 % slower without it, so it is not the default.
pub fn return_freed_memory_at_once() {
    // SAFETY: sets one of mimalloc's documented options; mimalloc reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}
