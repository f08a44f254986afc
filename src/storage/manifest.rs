//! Directory tables with a manifest: `TABLE/_manifest.json` lists the Parquet files that make up
//! the table. Readers use only the listed files, and a writer changes a table by writing new files
//! first (see `files`) and then replacing the manifest with one rename, so a
//! reader sees the table before or after a change, never a mix, whatever moment a writer dies.
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files;
use crate::error::{Error, Result};

/// File name of a table's manifest.
pub const MANIFEST: &str = "_manifest.json";

/// The list of files that make up a table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Format version of this file.
    pub version: u32,
    /// Parquet file names, relative to the table directory.
    pub files: Vec<String>,
    /// Columns every file is sorted by (ascending), declared to the engine so it can skip sorts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort_order: Vec<String>,
    /// Columns that hold one value throughout a file (`indicator` in a generated warehouse):
    /// file name → column → value. A query filtering on such a column reads only the files it names.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub file_values: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl Manifest {
    /// A manifest listing `files`.
    pub fn new(files: Vec<String>) -> Self {
        Self { version: 1, files, sort_order: Vec::new(), file_values: Default::default() }
    }
}

/// The manifest of table directory `dir`, if it has one.
pub fn read(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| Error::Invalid {
            what: path.display().to_string(),
            problem: format!("not a valid table manifest ({e}); the table is damaged"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, "read", e)),
    }
}

/// Make `manifest` the table's current state, in one rename.
pub fn commit(dir: &Path, manifest: &Manifest) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::Internal(format!("cannot write a table manifest: {e}")))?;
    files::write_file(&dir.join(MANIFEST), &bytes)
}

/// A fresh name for a new data file in a table directory.
pub fn new_part_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("part-{nanos:x}-{}.parquet", std::process::id())
}

/// Remove what an interrupted writer left in `dir`: temporary files and data files the manifest
/// does not list. Call only while holding the warehouse write lock.
pub fn clean_stale(dir: &Path, manifest: &Manifest) -> Result<usize> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read", e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = (name.starts_with('.') && name.contains(".tmp"))
            || (name.ends_with(".parquet") && !manifest.files.contains(&name));
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
