//! The report texts behind the `sources` table: `sources.seed_file` names a file, found in the
//! first of the directories the user gives (`--sources DIR`, repeatable) that holds it.
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::ops::extract::read::read_report;

/// Where the report texts live in this project's checkout: the five seeds, then the dev set.
pub const DEFAULT_DIRS: &[&str] = &["../shared/seeds", "../shared/reports"];

/// The directories of report texts a user named, each checked to be a directory.
#[derive(Debug, Clone, Default)]
pub struct ReportDirs(Vec<PathBuf>);

impl ReportDirs {
    /// Check that every one of `dirs` is a directory.
    pub fn new(dirs: &[PathBuf]) -> Result<Self> {
        for dir in dirs {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "--sources {}: not a directory of report texts",
                    dir.display()
                )));
            }
        }
        Ok(Self(dirs.to_vec()))
    }

    /// No directories: quotes are not checked against reports.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The path of report `file` in the first directory that has it.
    pub fn find(&self, file: &str) -> Option<PathBuf> {
        self.0.iter().map(|d| d.join(file)).find(|p| p.is_file())
    }

    /// The text of report `file`, or an error naming the directories searched.
    pub fn read(&self, file: &str) -> Result<(PathBuf, String)> {
        let Some(path) = self.find(file) else {
            let searched: Vec<String> = self.0.iter().map(|d| d.display().to_string()).collect();
            return Err(Error::Invalid {
                what: file.to_string(),
                problem: format!(
                    "report text not found in {}; pass the directory that holds it with --sources",
                    searched.join(" or ")
                ),
            });
        };
        // Read as `extract` reads it, so a quote taken from a .docx or PDF is found in it.
        let text = read_report(&path)?;
        Ok((path, text))
    }

    /// The directories, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.0
    }
}
