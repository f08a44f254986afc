//! What a server runs: reading statements only. Both protocols ask [`refusal`] before planning;
//! a write, a DDL statement, `COPY`, or a `SET` of the session's DataFusion settings (which every
//! client shares) gets one message and nothing is run.
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};

/// The SQLSTATE of a refused write: `read_only_sql_transaction`.
pub const READ_ONLY_STATE: &str = "25006";

/// Why `statement` is refused, or `None` when a read-only server may run it.
pub fn refusal(statement: &Statement) -> Option<String> {
    let what = match statement {
        Statement::Query(query) => {
            // `SELECT ... INTO t` creates a table.
            let into = matches!(query.body.as_ref(), SetExpr::Select(s) if s.into.is_some());
            return into.then(|| refused("SELECT ... INTO"));
        }
        Statement::Explain { statement, .. } => return refusal(statement),
        Statement::Prepare { statement, .. } => return refusal(statement),
        Statement::Set(set) => {
            let text = set.to_string().to_lowercase();
            return text.contains("datafusion.").then(|| {
                "the server's DataFusion settings are shared by every client and fixed when it starts: \
                 SET of a datafusion.* setting is refused (start `chiso serve` with DATAFUSION_* variables \
                 to change them)"
                    .to_string()
            });
        }
        Statement::ExplainTable { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::Discard { .. } => return None,
        Statement::Execute { name, .. } if name.is_some() => return None,
        Statement::Insert(_) => "INSERT",
        Statement::Update { .. } => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Merge { .. } => "MERGE",
        Statement::Truncate { .. } => "TRUNCATE",
        Statement::Copy { .. } | Statement::CopyIntoSnowflake { .. } => "COPY",
        Statement::Drop { .. } => "DROP",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateView { .. } => "CREATE VIEW",
        Statement::AlterTable { .. } => "ALTER TABLE",
        other => return Some(refused(first_words(&other.to_string()).as_str())),
    };
    Some(refused(what))
}

/// [`refusal`] for a statement of DataFusion's own parser (the Flight SQL server's).
pub fn refusal_df(statement: &DfStatement) -> Option<String> {
    match statement {
        DfStatement::Statement(inner) => refusal(inner),
        DfStatement::Explain(explain) => refusal_df(&explain.statement),
        DfStatement::CreateExternalTable(_) => Some(refused("CREATE EXTERNAL TABLE")),
        DfStatement::CopyTo(_) => Some(refused("COPY")),
        DfStatement::Reset(_) => Some(refused("RESET")),
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_uppercase()
}

fn refused(what: &str) -> String {
    format!(
        "{what} is refused: chiso serve is read-only (change the warehouse with `chiso ingest` or `chiso build`, \
         then query it here)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn judge(sql: &str) -> Option<String> {
        let mut statements = DFParser::parse_sql(sql).expect("parses");
        refusal_df(&statements.pop_front().expect("one statement"))
    }

    #[test]
    fn reads_pass_and_writes_are_refused() {
        for read in
            ["select 1", "explain select * from observations", "show tables", "set application_name = 'x'"]
        {
            assert_eq!(judge(read), None, "{read}");
        }
        for (write, named) in [
            ("insert into observations values (1)", "INSERT is refused"),
            ("drop table observations", "DROP is refused"),
            ("create table t as select 1", "CREATE TABLE is refused"),
            ("create external table t stored as parquet location '/etc'", "CREATE EXTERNAL TABLE is refused"),
            ("copy observations to '/tmp/x.parquet'", "COPY is refused"),
            ("explain analyze insert into observations values (1)", "INSERT is refused"),
            ("set datafusion.execution.target_partitions = 1", "shared by every client"),
            ("create view v as select 1", "CREATE VIEW is refused"),
        ] {
            let why = judge(write).unwrap_or_default();
            assert!(why.contains(named), "{write}: {why}");
        }
    }
}
