//! `chiso functions`: the SQL functions chiso adds, with examples.
use crate::engine::functions::FUNCTIONS;
use crate::error::Result;

pub fn run() -> Result<()> {
    for f in FUNCTIONS {
        println!("{}\n  {}", f.signature, f.about);
        for (sql, result) in f.examples {
            let shown = if result.is_empty() { "NULL" } else { result };
            println!("    {sql:<55} → {shown}");
        }
        println!();
    }
    println!("DataFusion's own functions work too: https://datafusion.apache.org/user-guide/sql/scalar_functions.html");
    Ok(())
}
