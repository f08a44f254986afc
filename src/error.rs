//! The one error type of chiso: every failure a user can cause ends here, is printed as one
//! clear message, and maps to an exit code (1 query or data error, 2 usage error).
use std::fmt;
use std::path::{Path, PathBuf};

use datafusion::error::DataFusionError;

/// What went wrong, worded for the person who ran the command.
#[derive(Debug)]
pub enum Error {
    /// The command was asked for something that cannot be done as asked (exit code 2).
    Usage(String),
    /// The query or the data is wrong (exit code 1).
    Data(String),
    /// A file or directory could not be read or written (exit code 1).
    Io { path: PathBuf, action: &'static str, source: std::io::Error },
    /// DataFusion refused or failed the query (exit code 1).
    Query(DataFusionError),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The process exit code this error should end with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// Asked for `what` (a cluster command or option) in a chiso built without the `cluster` feature.
    pub fn cluster_not_built(what: &str) -> Self {
        Error::Usage(format!(
            "{what}: this chiso was built without cluster support; rebuild it with \
             `cargo build --release --features cluster`"
        ))
    }

    /// An I/O error on `path`, saying what was being done (`"read"`, `"write"`...).
    pub fn io(path: impl AsRef<Path>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), action, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Data(msg) => f.write_str(msg),
            Error::Io { path, action, source } => {
                write!(f, "cannot {action} {}: {source}", path.display())
            }
            Error::Query(e) => write!(f, "{}", e.find_root()),
        }
    }
}

impl std::error::Error for Error {}

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Self {
        Error::Query(e)
    }
}

impl From<datafusion::arrow::error::ArrowError> for Error {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Error::Query(DataFusionError::ArrowError(Box::new(e), None))
    }
}

impl From<datafusion::parquet::errors::ParquetError> for Error {
    fn from(e: datafusion::parquet::errors::ParquetError) -> Self {
        Error::Query(DataFusionError::ParquetError(Box::new(e)))
    }
}
