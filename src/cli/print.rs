//! Printing results according to `--format` and `--out`.
use std::io::{IsTerminal, Write};

use super::{usage, OutputArgs};
use crate::engine::QueryResult;
use crate::error::{Error, Result};
use crate::ops::output::{render, Format};
use crate::storage::files::write_file;

impl OutputArgs {
    /// The format to use: `--format`, else the `--out` extension, else table on a terminal and CSV otherwise.
    pub fn resolved_format(&self) -> Format {
        if let Some(f) = self.format {
            return f;
        }
        if let Some(f) = self.out.as_deref().and_then(Format::from_path) {
            return f;
        }
        if self.out.is_none() && !std::io::stdout().is_terminal() {
            Format::Csv
        } else {
            Format::Table
        }
    }
}

/// Print the results of a run: each result with columns to standard output, or the last one to `--out`.
pub fn print_results(out: &OutputArgs, results: &[QueryResult]) -> Result<()> {
    let format = out.resolved_format();
    let shown: Vec<&QueryResult> = results.iter().filter(|r| !r.schema.fields().is_empty()).collect();
    if let Some(path) = &out.out {
        let Some(last) = shown.last() else {
            return Err(usage("the SQL returned no result to write to --out"));
        };
        return write_file(path, &render(last, format)?);
    }
    if format == Format::Parquet && std::io::stdout().is_terminal() {
        return Err(usage("Parquet is binary: write it to a file with --out FILE.parquet"));
    }
    let mut stdout = std::io::stdout().lock();
    for result in shown {
        let bytes = render(result, format)?;
        if let Err(e) = stdout.write_all(&bytes).and_then(|_| stdout.flush()) {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(Error::io("standard output", "write", e));
        }
    }
    Ok(())
}
