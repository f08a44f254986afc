//! `chiso shell`: an interactive SQL prompt. Statements may span lines and end with `;`;
//! history is kept in the cache directory. Backslash commands: \q quit, \d list tables,
//! \d TABLE describe one, \? help.
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use super::print::print_results;
use super::{Cli, OutputArgs};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ops::output::Format;
use crate::storage::warehouse::cache_dir;

const HELP: &str = "Type SQL ending with ; (it may span several lines).\n\
  \\d          list tables\n  \\d TABLE    describe a table\n  \\q          quit (or Ctrl-D)\n  \\?          this help";

/// A failure of the prompt's terminal, as an I/O error on it.
fn terminal_error(action: &'static str, e: ReadlineError) -> Error {
    let source = match e {
        ReadlineError::Io(io) => io,
        other => std::io::Error::other(other.to_string()),
    };
    Error::io("the terminal", action, source)
}

pub async fn run(cli: &Cli) -> Result<()> {
    let engine = cli.engine().await?;
    let mut editor = DefaultEditor::new().map_err(|e| terminal_error("open", e))?;
    let history = cache_dir().join("shell_history");
    let _ = editor.load_history(&history);
    let table = OutputArgs { format: Some(Format::Table), out: None };
    println!(
        "chiso {} — SQL over {}. \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION"),
        engine.warehouse().display()
    );
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "chiso> " } else { "   ..> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(terminal_error("read", e)),
        };
        let trimmed = line.trim();
        if pending.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            if !command(&engine, trimmed, &table).await {
                break;
            }
            continue;
        }
        if trimmed.is_empty() && pending.is_empty() {
            continue;
        }
        pending.push_str(&line);
        pending.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(sql.trim());
        match engine.sql(&sql).await {
            Ok(results) => report(print_results(&table, &results)),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(&history);
    Ok(())
}

fn report(result: Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e}");
    }
}

/// Run one backslash command; false means quit.
async fn command(engine: &Engine, line: &str, table: &OutputArgs) -> bool {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("\\q"), _) => return false,
        (Some("\\d"), None) => println!("{}", engine.table_names().join("\n")),
        (Some("\\d"), Some(name)) => match engine.sql(&format!("DESCRIBE \"{name}\"")).await {
            Ok(results) => report(print_results(table, &results)),
            Err(e) => eprintln!("error: {e}"),
        },
        (Some("\\?"), _) => println!("{HELP}"),
        (Some(other), _) => eprintln!("unknown command {other}; \\? lists the commands"),
        (None, _) => {}
    }
    true
}
