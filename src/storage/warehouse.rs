//! Warehouses on disk: the default one (the embedded datasets, built to Parquet on first use and
//! cached), and what a warehouse directory holds: its tables, found by listing it.
use std::path::{Path, PathBuf};

use super::build::build_warehouse;
use super::datasets::{Datasets, FINGERPRINT};
use super::delta::{self, AsOf, TableFiles, LOG_DIR};
use super::files::{IfExists, NewDir};
use super::manifest::{self, MANIFEST};
use super::store::{self, is_remote, place, Place};
use crate::error::{Error, Result};

/// The cache directory chiso keeps its default warehouse (and shell history) in:
/// `$CHISO_CACHE_DIR`, else `$XDG_CACHE_HOME/chiso`, else `~/.cache/chiso`, else the temp directory.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHISO_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("chiso");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("chiso");
    }
    std::env::temp_dir().join("chiso")
}

/// The default warehouse: the embedded curated datasets, built to Parquet once per version of
/// the data and kept in the cache directory. Returns its path, building it first if needed.
pub async fn default_warehouse() -> Result<PathBuf> {
    let dir = cache_dir().join(format!("warehouse-{FINGERPRINT}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    // Another chiso process may build it at the same moment: theirs is as good as ours.
    match build_warehouse(&Datasets::Embedded, &dir, IfExists::Keep).await {
        Ok(_) => Ok(dir),
        Err(_) if dir.is_dir() => Ok(dir),
        Err(e) => Err(Error::DefaultWarehouse { dir, source: Box::new(e) }),
    }
}

/// A table found in a warehouse directory.
#[derive(Debug, Clone)]
pub struct FoundTable {
    /// Table name (file stem or directory name).
    pub name: String,
    /// The Parquet file, or the directory of Parquet files.
    pub path: PathBuf,
}

/// The tables of warehouse `dir`, a local directory (see [`scan_warehouse`]) or an object-store
/// URL, whose tables are the directories right under it.
pub async fn tables(dir: &Path) -> Result<Vec<FoundTable>> {
    let Place::Remote(url) = place(dir)? else { return scan_warehouse(dir) };
    let mut tables: Vec<FoundTable> = store::list_dirs(&url)
        .await?
        .into_iter()
        .filter(|name| !name.starts_with('.') && !name.starts_with('_'))
        .map(|name| FoundTable { path: dir.join(&name), name })
        .collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

/// The tables of the local warehouse `dir`: each `NAME.parquet` file, and each `NAME/` directory
/// holding Parquet files or `key=value` partition directories.
/// Hidden entries (names starting with `.` or `_`) are skipped: they are temporary or internal.
pub fn scan_warehouse(dir: &Path) -> Result<Vec<FoundTable>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|source| Error::NoWarehouse { path: dir.to_path_buf(), source: Some(source) })?;
    let mut tables = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, "read", e))?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') || file_name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            if holds_parquet(&path) {
                tables.push(FoundTable { name: file_name.to_string(), path });
            }
        } else if let Some(stem) = file_name.strip_suffix(".parquet") {
            tables.push(FoundTable { name: stem.to_string(), path });
        }
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

/// True when directory `dir` holds Parquet files or hive-style `key=value` partitions.
fn holds_parquet(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            return false;
        }
        name == MANIFEST
            || name == LOG_DIR
            || name.ends_with(".parquet")
            || (name.contains('=') && e.path().is_dir())
    })
}

/// True when `dir` holds nothing but tables (Parquet files, Delta tables, or directories with a
/// manifest), so replacing it loses nothing else.
pub fn is_warehouse(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let path = e.path();
        path.extension().is_some_and(|x| x == "parquet")
            || delta::is_delta(&path)
            || path.join(MANIFEST).is_file()
    })
}

/// The files of table directory `dir` at `as_of` (its latest version when `None`): from its
/// Delta log, or from the manifest of a table chiso wrote before Delta Lake (which has only one
/// version). `None` for a plain directory of Parquet files.
pub async fn table_files(dir: &Path, as_of: Option<&AsOf>) -> Result<Option<TableFiles>> {
    // On object storage every table is a Delta table: opening it is the check (one listing of
    // its log, not two); a prefix without a log fails there with deltalake's "not a Delta table".
    if is_remote(dir) || delta::is_delta(dir) {
        let table = delta::open(dir, as_of).await?;
        return delta::files_of(&table, dir).map(Some);
    }
    let listed = manifest::read(dir)?;
    match (listed, as_of) {
        (Some(_), Some(at)) => Err(Error::Invalid {
            what: format!("table {}", dir.display()),
            problem: format!(
                "is in the format of chiso before Delta Lake and has no {at}; `chiso upgrade` makes it a Delta table"
            ),
        }),
        (listed, _) => Ok(listed),
    }
}

/// A warehouse being written. A local one is built in a temporary directory beside its target
/// and appears whole when published; object storage has no rename, so there each table appears
/// whole by its own commit, and the prefix must hold no tables to begin with.
pub enum NewWarehouse {
    /// A local directory, published by one rename.
    Local(NewDir),
    /// A prefix of a bucket, written in place.
    Remote(PathBuf),
}

impl NewWarehouse {
    /// Start writing the warehouse `out`.
    pub async fn create(out: &Path) -> Result<Self> {
        match place(out)? {
            Place::Local => Ok(NewWarehouse::Local(NewDir::create(out)?)),
            Place::Remote(url) => {
                let there = store::list_dirs(&url).await?;
                if !there.is_empty() {
                    return Err(Error::Usage(format!(
                        "{url} already holds tables ({}); write to a new prefix, or remove them first",
                        there.join(", ")
                    )));
                }
                Ok(NewWarehouse::Remote(out.to_path_buf()))
            }
        }
    }

    /// Where the tables go while it is written.
    pub fn path(&self) -> &Path {
        match self {
            NewWarehouse::Local(new) => new.path(),
            NewWarehouse::Remote(out) => out,
        }
    }

    /// Make it the warehouse (see [`NewDir::publish`]); returns whether it now is.
    pub fn publish(self, if_exists: IfExists) -> Result<bool> {
        match self {
            NewWarehouse::Local(new) => new.publish(if_exists),
            NewWarehouse::Remote(_) => Ok(true),
        }
    }
}

/// A warehouse built from curated CSV in a temporary directory, removed when dropped: what
/// checks of a `datasets/` directory run on.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Build `datasets` into a new temporary warehouse.
    pub async fn build(datasets: &Datasets) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), "write to", e))?;
        build_warehouse(datasets, &dir.path().join("warehouse"), IfExists::Replace).await?;
        Ok(Self { dir })
    }

    /// The warehouse directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("warehouse")
    }
}
