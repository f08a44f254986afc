//! Tables in the format chiso wrote before Delta Lake: `TABLE/_manifest.json` listing the
//! Parquet files that make up the table. Such warehouses are still read (the manifest becomes a
//! [`TableFiles`]); `chiso upgrade` turns them into Delta tables in place, and nothing writes
//! manifests any more.
use std::path::Path;

use serde::Deserialize;

use super::delta::TableFiles;
use crate::error::{Error, Result};

/// File name of a table's manifest.
pub const MANIFEST: &str = "_manifest.json";

/// What a manifest holds.
#[derive(Debug, Deserialize)]
struct Manifest {
    /// Parquet file names, relative to the table directory.
    files: Vec<String>,
    /// Columns every file is sorted by (ascending).
    #[serde(default)]
    sort_order: Vec<String>,
    /// File name → column → the one value that column has throughout the file.
    #[serde(default)]
    file_values: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// The files the manifest of table directory `dir` lists, if it has one.
pub fn read(dir: &Path) -> Result<Option<TableFiles>> {
    let path = dir.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
                what: path.display().to_string(),
                problem: format!("not a valid table manifest ({e}); the table is damaged"),
            })?;
            Ok(Some(TableFiles {
                files: m.files,
                sort_order: m.sort_order,
                file_values: m.file_values,
                schema: None,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, "read", e)),
    }
}

/// Make every manifest table of `warehouse` a Delta table in place, under the warehouse write
/// lock (waiting at most `wait`): the files the manifest lists become the table's first version,
/// with their statistics and the manifest's sort order; data files it does not list (left by a
/// writer that died) are removed first, as no reader ever saw them. Returns the tables upgraded.
pub async fn upgrade_warehouse(warehouse: &Path, wait: std::time::Duration) -> Result<Vec<String>> {
    let _lock = super::lock::WriteLock::acquire(warehouse, wait)?;
    let mut upgraded = Vec::new();
    for table in super::warehouse::scan_warehouse(warehouse)? {
        if super::delta::is_delta(&table.path) {
            continue;
        }
        let Some(listed) = read(&table.path)? else { continue };
        remove_unlisted(&table.path, &listed.files)?;
        super::delta::convert(&table.path, &listed.sort_order).await?;
        let manifest = table.path.join(MANIFEST);
        std::fs::remove_file(&manifest).map_err(|e| Error::io(&manifest, "remove", e))?;
        upgraded.push(table.name);
    }
    Ok(upgraded)
}

/// Remove temporary files and Parquet files that `listed` does not name from table directory `dir`.
fn remove_unlisted(dir: &Path, listed: &[String]) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read", e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = (name.starts_with('.') && name.contains(".tmp"))
            || (name.ends_with(".parquet") && !listed.contains(&name));
        if stale {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), "remove", e))?;
        }
    }
    Ok(())
}
