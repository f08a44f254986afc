//! Errors as the command line words them. The library names settings by their library names
//! (`partition_by`, `memory_limit`); here they become the flags a user types (`--partition-by`),
//! with what to pass to fix the problem. Everything else reads as the library words it.
use crate::error::{chain, Error};

/// The flag that sets library setting `name`: `partition_by` → `--partition-by`.
pub fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// The one message a user reads for `e`, causes included, settings worded as flags.
pub fn render(e: &Error) -> String {
    let text = chain(e.worded(&flag), std::error::Error::source(e));
    match e {
        Error::Exists { .. } => format!("{text}; pass --overwrite to replace it"),
        Error::Busy { .. } => format!("{text}, or wait longer with --wait SECONDS"),
        Error::NoWarehouse { path, source: None } => {
            format!("{text}: create one with `chiso build --out {}`", path.display())
        }
        Error::NoWarehouse { source: Some(_), .. } => format!(
            "{text}\nPass --warehouse with a directory of Parquet tables, or leave it out to use the built-in data."
        ),
        Error::DefaultWarehouse { .. } => {
            format!("{text}\nSet CHISO_CACHE_DIR to a writable directory, or pass --warehouse DIR.")
        }
        // A cause may name a setting too: word it here, not in the library's `Display`.
        Error::Context { context, source } => format!("{context}: {}", render(source)),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Thing;

    #[test]
    fn settings_become_flags() {
        let e = Error::NotFound {
            kind: Thing::Column,
            name: "b".into(),
            candidates: vec!["a".into()],
            within: "the result".into(),
            setting: Some("partition_by"),
        };
        assert!(
            render(&e).starts_with("--partition-by b: the result has no such column; it has a"),
            "{}",
            render(&e)
        );
        assert_eq!(render(&Error::rule("indicators", "must be 1 to 8")), "--indicators must be 1 to 8");
        let e = Error::setting("table", "x=y.txt", "unknown format .txt").context("cannot open the session");
        assert_eq!(render(&e), "cannot open the session: --table x=y.txt: unknown format .txt");
    }
}
