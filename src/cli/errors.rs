//! Errors as the command line words them. The library names settings by their library names
//! (`partition_by`, `memory_limit`); here they become the flags a user types (`--partition-by`),
//! with what to pass to fix the problem. Everything else reads as the library words it.
use crate::error::{chain, Error};

/// The flag that sets library setting `name`: `partition_by` → `--partition-by`.
pub fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// The one message a user reads for `e`, causes included.
pub fn render(e: &Error) -> String {
    match e {
        Error::Setting { name, value: Some(value), problem } => format!("{} {value}: {problem}", flag(name)),
        Error::Setting { name, value: None, problem } => format!("{} {problem}", flag(name)),
        Error::NotFound { setting: Some(setting), name, .. } => {
            // The library's wording starts with the setting's name: put the flag in its place.
            let text = e.to_string();
            let rest = text.strip_prefix(&format!("{setting} {name}")).unwrap_or(&text);
            format!("{} {name}{rest}", flag(setting))
        }
        Error::Exists { path } => format!("{} already exists; pass --overwrite to replace it", path.display()),
        Error::Busy { .. } => format!("{e}, or wait longer with --wait SECONDS"),
        Error::Memory(inner) => format!(
            "{}\nThe query needs more memory than --memory-limit allows: raise the limit, or leave it out.",
            inner.find_root()
        ),
        Error::NoWarehouse { path, source: None } => {
            format!("{e}: create one with `chiso build --out {}`", path.display())
        }
        Error::NoWarehouse { source: Some(_), .. } => format!(
            "{}\nPass --warehouse with a directory of Parquet tables, or leave it out to use the built-in data.",
            chain(e)
        ),
        Error::DefaultWarehouse { .. } => format!(
            "{}\nSet CHISO_CACHE_DIR to a writable directory, or pass --warehouse DIR.",
            chain(e)
        ),
        Error::Context { context, source } => format!("{context}: {}", render(source)),
        _ => chain(e),
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
