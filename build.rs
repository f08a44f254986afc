//! Embeds the curated `datasets/` CSVs and the saved `queries/` into the binary, so that a fresh
//! clone works with no set-up step, and fingerprints them so the default warehouse cache is rebuilt
//! exactly when they change. Uses only the standard library to keep the build fast.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// FNV-1a, 64 bit: a stable fingerprint (std's hasher is not stable across releases).
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x100000001b3);
    }
}

fn embed(root: &Path, sub: &str, ext: &str, code: &mut String, hash: &mut u64) {
    let base = root.join(sub);
    println!("cargo:rerun-if-changed={}", base.display());
    let mut files = Vec::new();
    collect(&base, ext, &mut files);
    files.sort();
    writeln!(code, "pub const {}: &[(&str, &str)] = &[", sub.to_uppercase()).unwrap();
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&base).unwrap().to_string_lossy().replace('\\', "/");
        fnv(hash, rel.as_bytes());
        fnv(hash, &std::fs::read(&file).unwrap());
        writeln!(code, "    ({rel:?}, include_str!({:?})),", file.display().to_string()).unwrap();
    }
    code.push_str("];\n");
}

/// Link the `chiso` binary as a fixed-address executable on Linux with glibc. A position-independent
/// one starts by patching about 280,000 addresses in its own 200 MB image (`_dl_relocate_object`,
/// a quarter of a small query's time), and every chiso command is a fresh process: `chiso query
/// "select 1"` took 9.1 ms as PIE and 4.0 ms fixed (7.5 ms with packed relocations, `-z
/// pack-relative-relocs`), benches/README.md. The price is no address randomisation of chiso's own
/// code; shared libraries are still randomised. Only the final link changes: the code is compiled
/// as before.
fn no_pie() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

fn main() {
    no_pie();
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut code = String::new();
    let mut hash = 0xcbf29ce484222325u64;
    embed(&root, "datasets", "csv", &mut code, &mut hash);
    embed(&root, "queries", "sql", &mut code, &mut hash);
    // The schemas and the build code shape the warehouse too: a change to them rebuilds it.
    for src in
        ["src/storage/schema.rs", "src/storage/build.rs", "src/storage/files.rs", "src/storage/delta.rs"]
    {
        let path = root.join(src);
        println!("cargo:rerun-if-changed={}", path.display());
        fnv(&mut hash, &std::fs::read(path).unwrap_or_default());
    }
    writeln!(code, "pub const FINGERPRINT: &str = \"{hash:016x}\";").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(out, code).unwrap();
}
