//! HTML pieces of the report: escaping, result tables with locale-formatted numbers, the page frame.
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::engine::QueryResult;
use crate::error::Result;
use crate::ops::chart::labels::{number, Locale};

/// `text` safe to put in HTML text or a double-quoted attribute.
///
/// Five replacements; a crate would add a dependency for no gain.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The rows of `result` as an HTML table; numbers right-aligned in the locale's convention.
pub fn table(result: &QueryResult, locale: Locale) -> Result<String> {
    let mut out = String::from("<table>\n<thead><tr>");
    for field in result.schema.fields() {
        out.push_str(&format!("<th>{}</th>", escape(field.name())));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let options = FormatOptions::default().with_null("");
    for batch in &result.batches {
        let mut cells: Vec<Vec<(String, bool)>> = vec![Vec::new(); batch.num_rows()];
        for column in batch.columns() {
            let numeric = column.data_type().is_numeric();
            if numeric {
                let values = cast(column, &DataType::Float64)?;
                let values = values.as_primitive::<Float64Type>();
                for (row, cell) in cells.iter_mut().enumerate() {
                    let text = if values.is_valid(row) {
                        number(values.value(row), locale, 2)
                    } else {
                        String::new()
                    };
                    cell.push((text, true));
                }
            } else {
                let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
                for (row, cell) in cells.iter_mut().enumerate() {
                    cell.push((formatter.value(row).to_string(), false));
                }
            }
        }
        for row in cells {
            out.push_str("<tr>");
            for (text, numeric) in row {
                let class = if numeric { " class=\"n\"" } else { "" };
                out.push_str(&format!("<td{class}>{}</td>", escape(&text)));
            }
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(out)
}

/// The page around the sections: inline style only, no scripts, nothing fetched.
pub fn page(title: &str, intro: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{intro}\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

const STYLE: &str = "body { font-family: 'DejaVu Sans', 'Segoe UI', Arial, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
p.about { color: #555; } p.empty { font-style: italic; color: #777; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 0.5rem 0; } figure svg { max-width: 100%; height: auto; }
";

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a < b & \"c\" > 'd'"), "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;");
        assert_eq!(escape("Nghệ An"), "Nghệ An");
    }
}
