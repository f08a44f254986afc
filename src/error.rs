//! The one error type of chiso. Each failure a user can cause has a variant that says what kind of
//! failure it is; the message is worded for the person who ran it, and [`Error::exit_code`] maps it
//! to an exit code (1 query or data error, 2 usage error). The library names settings by their
//! library names (`memory_limit`, `partition_by`); the command line words them as its flags.
use std::fmt;
use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// A cause kept behind an error, for [`std::error::Error::source`].
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The kind of thing a name was looked up among (for [`Error::NotFound`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    /// A table of the session.
    Table,
    /// A saved query.
    SavedQuery,
    /// A parameter of a saved query.
    Parameter,
    /// A column of a result.
    Column,
    /// A value a setting allows.
    Value,
}

impl Thing {
    /// The word for one such thing.
    pub fn noun(self) -> &'static str {
        match self {
            Thing::Table => "table",
            Thing::SavedQuery => "saved query",
            Thing::Parameter => "parameter",
            Thing::Column => "column",
            Thing::Value => "value",
        }
    }
}

/// One problem in an input file, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file (or `file:line` when the place is already a row's origin).
    pub file: String,
    /// 1-based line (CSV, NDJSON), record number (JSON array) or row (Parquet); `None` for the whole file.
    pub line: Option<usize>,
    /// The column, when the problem is in one.
    pub column: Option<String>,
    /// What is wrong and what to do.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// How many problems an [`Error::Input`] message lists before it only counts the rest.
pub const MAX_LISTED: usize = 50;

/// What went wrong, worded for the person who ran the command.
#[derive(Debug)]
pub enum Error {
    /// The request cannot be done as asked (exit code 2).
    Usage(String),
    /// A setting's value cannot be used: `name` is the library's name of the setting (exit code 2).
    Setting {
        /// The setting, as the library names it (`partition_by`, `years`).
        name: &'static str,
        /// The value given, as written; `None` when the problem is not with one value.
        value: Option<String>,
        /// Why it cannot be used.
        problem: String,
    },
    /// SQL text with no statement, or with several where one is needed (exit code 2).
    Statements {
        /// The text's name (`the SQL`, a saved query's name).
        what: String,
        /// How many statements it holds.
        found: usize,
    },
    /// A name that is not among the things of its kind (exit code 1 for tables, 2 otherwise).
    NotFound {
        /// What kind of thing was looked up.
        kind: Thing,
        /// The name asked for.
        name: String,
        /// The names there are.
        candidates: Vec<String>,
        /// Where it was looked up ("the warehouse /x", "saved query growth", "the result").
        within: String,
        /// The setting that named it, if one did (`x`, `partition_by`).
        setting: Option<&'static str>,
    },
    /// An output that is already there and was not to be replaced (exit code 2).
    Exists {
        /// The path that exists.
        path: PathBuf,
    },
    /// Input rows or files that fail their checks; nothing was written (exit code 1).
    Input(Vec<Problem>),
    /// Content that is malformed or damaged: a manifest, a CSV file, a saved query (exit code 1).
    Invalid {
        /// What is malformed (a path, `path:line`, a saved query).
        what: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A check ran and found failures (exit code 1).
    Failed {
        /// What was checked (`validation`, `extraction`).
        check: &'static str,
        /// The failures, summed up.
        summary: String,
    },
    /// A warehouse directory that is not there (exit code 2: nothing to write into) or cannot be
    /// read (exit code 1).
    NoWarehouse {
        /// The directory.
        path: PathBuf,
        /// Why it could not be read, when it was read.
        source: Option<std::io::Error>,
    },
    /// The default warehouse could not be built in the cache directory (exit code 1).
    DefaultWarehouse {
        /// Where it was to be built.
        dir: PathBuf,
        /// Why it could not be.
        source: Box<Error>,
    },
    /// Another process holds the warehouse's write lock (exit code 1).
    Busy {
        /// The warehouse.
        warehouse: PathBuf,
        /// Its lock file.
        lock: PathBuf,
    },
    /// Another writer committed to a table while this one worked; nothing was committed (exit code 1).
    Conflict {
        /// The table.
        table: String,
        /// What the table's log said.
        detail: String,
    },
    /// The query needs more memory than the session's memory limit (exit code 1).
    Memory(DataFusionError),
    /// The work did not finish in time (exit code 1).
    Timeout {
        /// The limit, in seconds.
        seconds: u64,
    },
    /// The cluster could not be reached or failed the work (exit code 1).
    Cluster {
        /// What went wrong, with what to do.
        message: String,
        /// The underlying failure, if any.
        source: Option<Cause>,
    },
    /// Asked for a part this build of chiso leaves out (exit code 2).
    NotBuilt {
        /// What was asked for.
        what: String,
        /// The cargo feature that builds it.
        feature: &'static str,
    },
    /// A file or directory could not be read or written (exit code 1).
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done (`read`, `write`...).
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// DataFusion refused or failed the query (exit code 1).
    Query(DataFusionError),
    /// A failure with what was being done when it happened (the exit code of the cause).
    Context {
        /// What was being done.
        context: String,
        /// The failure.
        source: Box<Error>,
    },
    /// Something that should not happen did: a bug in chiso (exit code 1).
    Internal(String),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The process exit code this error should end with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::Setting { .. }
            | Error::Statements { .. }
            | Error::Exists { .. }
            | Error::NotBuilt { .. } => 2,
            Error::NotFound { kind, .. } => {
                if *kind == Thing::Table {
                    1
                } else {
                    2
                }
            }
            Error::NoWarehouse { source: None, .. } => 2,
            Error::Context { source, .. } => source.exit_code(),
            _ => 1,
        }
    }

    /// An I/O error on `path`, saying what was being done (`"read"`, `"write"`...).
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), action, source }
    }

    /// A bad value of setting `name`.
    pub fn setting(name: &'static str, value: impl fmt::Display, problem: impl Into<String>) -> Self {
        Error::Setting { name, value: Some(value.to_string()), problem: problem.into() }
    }

    /// A rule setting `name` must follow, whatever its value: `problem` reads after the name
    /// (`must be 1 to 8`).
    pub fn rule(name: &'static str, problem: impl Into<String>) -> Self {
        Error::Setting { name, value: None, problem: problem.into() }
    }

    /// This error's own message (without its causes), with each setting named by `setting`: the
    /// library's own name in `Display`, the flag on the command line.
    pub fn worded(&self, setting: &dyn Fn(&str) -> String) -> String {
        Worded(self, setting).to_string()
    }

    /// This error, with `context` saying what was being done.
    pub fn context(self, context: impl Into<String>) -> Self {
        Error::Context { context: context.into(), source: Box::new(self) }
    }

    /// A panic caught in a worker thread, turned into an [`Error::Internal`].
    pub fn panicked(what: &str, payload: &(dyn std::any::Any + Send)) -> Self {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Error::Internal(format!("{what} panicked: {why}"))
    }

    /// The innermost chiso error of a [`Error::Context`] chain.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            other => other,
        }
    }
}

/// `The closest of candidates`, when one is near enough to `name` to be a likely misspelling.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The did-you-mean sentence for `name` among `candidates`: ` Did you mean X?`, or nothing.
pub fn did_you_mean(name: &str, candidates: &[String]) -> String {
    closest(name, candidates.iter().map(String::as_str))
        .map(|c| format!(" Did you mean {c}?"))
        .unwrap_or_default()
}

/// An error's own message with each setting named by a chosen function (see [`Error::worded`]).
struct Worded<'a>(&'a Error, &'a dyn Fn(&str) -> String);

impl fmt::Display for Worded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let setting = self.1;
        match self.0 {
            Error::Usage(msg) => f.write_str(msg),
            Error::Internal(msg) => {
                write!(f, "internal error: {msg}. This is a bug in chiso: please report it with the command that caused it")
            }
            Error::Statements { found: 0, .. } => f.write_str("no SQL statement given"),
            Error::Statements { what, found, .. } => {
                write!(f, "{what} must hold exactly one statement, it has {found}")
            }
            Error::Setting { name, value: Some(value), problem } => {
                write!(f, "{} {value}: {problem}", setting(name))
            }
            Error::Setting { name, value: None, problem } => write!(f, "{} {problem}", setting(name)),
            Error::NotFound { kind, name, candidates, within, setting: named } => {
                let noun = kind.noun();
                match named {
                    Some(named) => write!(f, "{} {name}: {within} has no such {noun}", setting(named))?,
                    None => write!(f, "{within} has no {noun} {name}")?,
                }
                if candidates.is_empty() {
                    write!(f, "; it has none.")
                } else {
                    write!(f, "; it has {}.{}", candidates.join(", "), did_you_mean(name, candidates))
                }
            }
            Error::Exists { path } => write!(f, "{} already exists", path.display()),
            Error::Input(problems) => {
                write!(f, "nothing was written: {} problem(s) in the input", problems.len())?;
                for p in problems.iter().take(MAX_LISTED) {
                    write!(f, "\n  {p}")?;
                }
                if problems.len() > MAX_LISTED {
                    write!(f, "\n  ... and {} more", problems.len() - MAX_LISTED)?;
                }
                Ok(())
            }
            Error::Invalid { what, problem } => write!(f, "{what}: {problem}"),
            Error::Failed { check, summary } => write!(f, "{check} failed: {summary}"),
            Error::NoWarehouse { path, source: None } => write!(f, "no warehouse at {}", path.display()),
            Error::NoWarehouse { path, source: Some(_) } => {
                write!(f, "cannot read warehouse {}", path.display())
            }
            Error::DefaultWarehouse { dir, .. } => {
                write!(f, "cannot build the default warehouse in {}", dir.display())
            }
            Error::Conflict { table, detail } => write!(
                f,
                "another writer changed table {table} while this one worked ({detail}); nothing was \
                 committed: run it again, and it will check its rows against the new version"
            ),
            Error::Busy { warehouse, lock } => write!(
                f,
                "another chiso is writing to the warehouse {} (it holds {}); try again when it finishes",
                warehouse.display(),
                lock.display()
            ),
            Error::Memory(e) => write!(
                f,
                "{}\nThe query needs more memory than {} allows: raise the limit, or leave it out.",
                e.find_root(),
                setting("memory_limit")
            ),
            Error::Timeout { seconds } => write!(f, "the command did not finish within {seconds} s"),
            Error::Cluster { message, .. } => f.write_str(message),
            Error::NotBuilt { what, feature } => write!(
                f,
                "{what}: this chiso was built without {feature} support; rebuild it with \
                 `cargo build --release --features {feature}`"
            ),
            Error::Io { path, action, .. } => write!(f, "cannot {action} {}", path.display()),
            Error::Query(e) => write!(f, "{}", e.find_root()),
            Error::Context { context, .. } => f.write_str(context),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Worded(self, &|name| name.to_string()).fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Context { source, .. } | Error::DefaultWarehouse { source, .. } => Some(source.as_ref()),
            Error::NoWarehouse { source: Some(source), .. } => Some(source),
            Error::Cluster { source: Some(source), .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// A message followed by each of its causes from `next` on, `: `-separated: the one line a user
/// reads (`chain(e.to_string(), e.source())`).
pub fn chain(head: String, mut next: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut text = head;
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_reads_as_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::io("/w/x.csv", "read", io).context("cannot build the warehouse /w");
        assert_eq!(
            chain(e.to_string(), std::error::Error::source(&e)),
            "cannot build the warehouse /w: cannot read /w/x.csv: gone"
        );
        assert_eq!(e.exit_code(), 1);
        assert!(matches!(e.root(), Error::Io { .. }));
    }

    #[test]
    fn not_found_names_the_closest_and_the_rest() {
        let e = Error::NotFound {
            kind: Thing::Table,
            name: "provnces".into(),
            candidates: vec!["observations".into(), "provinces".into()],
            within: "the warehouse".into(),
            setting: None,
        };
        assert_eq!(
            e.to_string(),
            "the warehouse has no table provnces; it has observations, provinces. Did you mean provinces?"
        );
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn a_worker_panic_is_internal() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("index out of range");
        let e = Error::panicked("a generator thread", payload.as_ref());
        assert!(e.to_string().contains("a generator thread panicked: index out of range"));
        assert!(e.to_string().contains("please report it"));
    }
}
