//! `chiso report`: one self-contained HTML page with the headline saved queries as tables and
//! charts (inline SVG and style; no script, nothing fetched), for readers who open a file. The
//! page's markup and number formatting are in [`html`].
pub mod html;

use std::sync::Arc;

use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::engine::saved::{find, load_all};
use crate::engine::{Engine, QueryResult};
use crate::error::Result;
use crate::ops::chart::{self, ChartRequest, Kind, Locale};

/// Where a section's rows come from.
enum Rows {
    /// A saved query with parameters.
    Saved(&'static str, &'static [(&'static str, &'static str)]),
    /// A plain statement.
    Sql(&'static str),
}

/// How a section's chart is made: SQL over the section's rows (the table `report_section`), then axes.
struct Picture {
    sql: &'static str,
    x: &'static str,
    y: &'static str,
    percent: bool,
}

struct Section {
    heading: &'static str,
    about: &'static str,
    rows: Rows,
    picture: Option<Picture>,
}

const LATEST: &str = "SELECT province, value, qualifier FROM report_section";

const SECTIONS: &[Section] = &[
    Section {
        heading: "Electronic identification accounts (VNeID)",
        about: "The latest count of each province, as reported or summed from its districts or communes (saved query latest_by_province, indicator eid_accounts).",
        rows: Rows::Saved("latest_by_province", &[("indicator", "eid_accounts")]),
        picture: Some(Picture { sql: LATEST, x: "province", y: "value", percent: false }),
    },
    Section {
        heading: "Chip-based CCCD issued to eligible citizens",
        about: "The latest share of eligible citizens with a chip-based card (latest_by_province, cccd_issued_rate).",
        rows: Rows::Saved("latest_by_province", &[("indicator", "cccd_issued_rate")]),
        picture: Some(Picture { sql: LATEST, x: "province", y: "value", percent: true }),
    },
    Section {
        heading: "Incoming dossiers digitised",
        about: "The latest share of incoming dossiers digitised (latest_by_province, dossiers_digitised_pct).",
        rows: Rows::Saved("latest_by_province", &[("indicator", "dossiers_digitised_pct")]),
        picture: Some(Picture { sql: LATEST, x: "province", y: "value", percent: true }),
    },
    Section {
        heading: "Essential public services deployed",
        about: "Progress toward the 25 essential online public services, per province and district (essential_services).",
        rows: Rows::Saved("essential_services", &[]),
        picture: Some(Picture {
            sql: "SELECT coalesce(district || ', ' || province, province) AS place, pct_deployed FROM report_section",
            x: "place",
            y: "pct_deployed",
            percent: true,
        }),
    },
    Section {
        heading: "Regions",
        about: "How many provinces of each statistical region report, and how recent their figures are (region_summary).",
        rows: Rows::Saved("region_summary", &[]),
        picture: None,
    },
    Section {
        heading: "Data quality warnings",
        about: "Figures that disagree with their own parts, kept as reported and flagged here (data_quality).",
        rows: Rows::Saved("data_quality", &[]),
        picture: None,
    },
    Section {
        heading: "Sources",
        about: "The reports the figures were taken from.",
        rows: Rows::Sql(
            // Counted per source before the join: a join first holds every observation.
            "SELECT s.source_id, s.title, s.publisher, s.published, coalesce(o.figures, 0) AS figures \
             FROM sources s LEFT JOIN (SELECT source_id, count(*) AS figures FROM observations GROUP BY source_id) o \
             ON o.source_id = s.source_id ORDER BY s.source_id",
        ),
        picture: None,
    },
];

/// The report page for the engine's warehouse, numbers written in `locale`'s convention.
pub async fn render(engine: &Engine, locale: Locale, title: &str) -> Result<String> {
    let saved = load_all(None)?;
    let mut body = String::new();
    for section in SECTIONS {
        let result = match &section.rows {
            Rows::Saved(name, params) => {
                let params: Vec<(String, String)> =
                    params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                engine.run_saved(find(&saved, name)?, &params).await?
            }
            Rows::Sql(sql) => engine.query_one(sql).await?,
        };
        body.push_str(&format!(
            "<section>\n<h2>{}</h2>\n<p class=\"about\">{}</p>\n",
            html::escape(section.heading),
            html::escape(section.about)
        ));
        if result.num_rows() == 0 {
            body.push_str("<p class=\"empty\">No figures in this warehouse.</p>\n</section>\n");
            continue;
        }
        if let Some(picture) = &section.picture {
            let svg = picture_of(&result, picture, section.heading, locale).await?;
            body.push_str(&format!("<figure>\n{svg}\n</figure>\n"));
        }
        body.push_str(&html::table(&result, locale)?);
        body.push_str("</section>\n");
    }
    let intro = format!(
        "<p class=\"about\">Made by chiso {} from the warehouse <code>{}</code>. Pale bars are lower bounds or \
         approximations (≥, ≈), as the reports state them.</p>",
        env!("CARGO_PKG_VERSION"),
        html::escape(&engine.warehouse().display().to_string())
    );
    Ok(html::page(title, &intro, &body))
}

/// Chart a section: its rows become the table `report_section` for the picture's SQL.
async fn picture_of(
    result: &QueryResult,
    picture: &Picture,
    heading: &str,
    locale: Locale,
) -> Result<String> {
    // The rows are already here: they are charted in a small session of their own, which leaves the
    // warehouse's tables untouched and works when the engine is a cluster (which could not be
    // sent an in-memory table).
    let table = MemTable::try_new(result.schema.clone(), vec![result.batches.clone()])?;
    let ctx = SessionContext::new();
    crate::engine::functions::register(&ctx);
    ctx.register_table("report_section", Arc::new(table))?;
    let df = ctx.sql(picture.sql).await?;
    let schema = df.schema().inner().clone();
    let rows = QueryResult { schema, batches: df.collect().await? };
    let request = ChartRequest {
        kind: None,
        x: Some(picture.x.into()),
        y: Some(picture.y.into()),
        series: None,
        title: Some(heading.into()),
        locale,
        percent: Some(picture.percent),
    };
    let mut chart = chart::resolve(&rows, &request)?;
    if chart.kind == Kind::Bar && matches!(&chart.x, chart::XAxis::Categories(c) if c.len() > 6) {
        chart.kind = Kind::Hbar;
    }
    // plotters writes a bare <svg> element (no XML declaration), ready to inline.
    chart::draw::svg(&chart)
}
