//! The library's layers import only downward (ARCHITECTURE.md): this test reads every
//! `crate::` path under `src/` and fails on an import between top-level modules that goes up or
//! sideways, and names any cycle it finds.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its layer: a module may use modules of lower layers only.
/// `cluster` and `serve` sit beside `ops`, above the engine: none may use another.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("numbers", 0),
    ("progress", 0),
    ("alloc", 0),
    ("storage", 1),
    ("engine", 2),
    ("cluster", 3),
    ("ops", 3),
    ("serve", 3),
    ("cli", 4),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/ops/extract/mod.rs` → `ops`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules a file's text names through `crate::` (`crate::a::b`, `crate::{a, b::c}`).
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // Comments and doc comments may mention paths that are not imports.
    let code: String =
        text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        found.insert(ident(&group[i..]).to_string());
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest).to_string());
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        let entry = edges.entry(module.clone()).or_default();
        entry.extend(uses(&text).into_iter().filter(|m| *m != module));
    }
    edges
}

/// One cycle through `start`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
        start: &str,
    ) -> bool {
        let last = path.last().cloned().unwrap_or_default();
        for next in edges.get(&last).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(edges, path, seen, start) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(edges, &mut path, &mut BTreeSet::new(), start).then_some(path)
}

#[test]
fn the_scanner_reads_grouped_and_inline_paths() {
    let text = "use crate::error::Result;\nuse crate::{engine::Engine, storage::{files, text}};\n\
                // crate::cli is only mentioned here\nlet x = crate::ops::output::render(r);";
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(found, ["engine", "error", "ops", "storage"]);
}

#[test]
fn no_cycles_between_top_level_modules() {
    let edges = graph();
    let cycles: Vec<String> = edges.keys().filter_map(|m| cycle(&edges, m)).map(|c| c.join(" → ")).collect();
    assert!(cycles.is_empty(), "import cycles between top-level modules:\n{}", cycles.join("\n"));
}

#[test]
fn layers_import_only_downward() {
    let rank: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let edges = graph();
    let mut wrong = Vec::new();
    for (module, used) in &edges {
        let Some(&mine) = rank.get(module.as_str()) else {
            wrong.push(format!("{module} is not placed in a layer: add it to LAYERS and ARCHITECTURE.md"));
            continue;
        };
        for other in used {
            match rank.get(other.as_str()) {
                Some(&theirs) if theirs < mine => {}
                Some(_) => wrong.push(format!("{module} (layer {mine}) uses {other}, which is not below it")),
                None => wrong.push(format!("{module} uses {other}, which is not placed in a layer")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every layer is there: a module renamed away from the table would let the check pass unseen.
    for (module, _) in LAYERS {
        assert!(edges.contains_key(*module), "LAYERS names {module}, which src/ does not have");
    }
}
