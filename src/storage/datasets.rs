//! Where curated CSV comes from: the copy embedded in the binary at build time, or a `datasets/`
//! directory on disk (for people editing the data, and for `chiso build --datasets DIR`).
use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Fingerprint of the embedded datasets, queries, schemas and build code.
pub const FINGERPRINT: &str = embedded::FINGERPRINT;

/// The saved queries embedded at build time: (file name, SQL text).
pub fn embedded_queries() -> &'static [(&'static str, &'static str)] {
    embedded::QUERIES
}

/// One CSV file of curated data: where it came from (for messages) and its text.
pub struct CsvFile {
    /// `datasets/...` path, or the file's path on disk.
    pub origin: String,
    /// The file's contents.
    pub text: Cow<'static, str>,
}

/// A set of curated CSV files.
#[derive(Clone, Debug)]
pub enum Datasets {
    /// The copy compiled into this binary.
    Embedded,
    /// A directory laid out like the repository's `datasets/`.
    Dir(PathBuf),
}

impl Datasets {
    /// The datasets a command should read: `dir`, else `./datasets` when the working directory
    /// is a chiso checkout, else the embedded copy.
    pub fn choose(dir: Option<&Path>) -> Self {
        match dir {
            Some(d) => Datasets::Dir(d.to_path_buf()),
            None if Path::new("datasets/observations").is_dir() => Datasets::Dir(PathBuf::from("datasets")),
            None => Datasets::Embedded,
        }
    }

    /// Where the files come from, for messages.
    pub fn describe(&self) -> String {
        match self {
            Datasets::Dir(d) => d.display().to_string(),
            Datasets::Embedded => "the built-in datasets".to_string(),
        }
    }

    /// The CSV files behind `source` (a file, or a directory of files, relative to the datasets root).
    pub fn files(&self, source: &str) -> Result<Vec<CsvFile>> {
        match self {
            Datasets::Embedded => Ok(embedded::DATASETS
                .iter()
                .filter(|(rel, _)| {
                    *rel == source || rel.strip_prefix(source).is_some_and(|r| r.starts_with('/'))
                })
                .map(|(rel, text)| CsvFile { origin: format!("datasets/{rel}"), text: Cow::Borrowed(*text) })
                .collect()),
            Datasets::Dir(root) => read_dir_csv(&root.join(source)),
        }
    }
}

fn read_dir_csv(path: &Path) -> Result<Vec<CsvFile>> {
    let mut paths = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, "read", e))?;
        for entry in entries {
            let p = entry.map_err(|e| Error::io(path, "read", e))?.path();
            if p.extension().is_some_and(|e| e == "csv") {
                paths.push(p);
            }
        }
        paths.sort();
    } else {
        paths.push(path.to_path_buf());
    }
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, "read", e))?;
            let text = String::from_utf8(bytes).map_err(|e| Error::Invalid {
                what: p.display().to_string(),
                problem: format!(
                    "not UTF-8 text (bad byte at offset {}); save the file as UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            })?;
            Ok(CsvFile { origin: p.display().to_string(), text: Cow::Owned(text) })
        })
        .collect()
}
