//! The tables chiso knows: their names, columns and types (a contract the queries and tests rely on),
//! where their curated CSV lives under `datasets/`, and the order they are sorted in when built.
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};

/// One curated table: its name, its CSV source(s) under `datasets/` and its build order.
pub struct TableDef {
    /// Table name as registered in SQL.
    pub name: &'static str,
    /// Path under `datasets/`: a CSV file, or a directory whose CSV files are concatenated.
    pub source: &'static str,
    /// Columns the built Parquet file is sorted by.
    pub sort_by: &'static [&'static str],
    /// One line for `chiso tables`.
    pub about: &'static str,
}

/// Every curated table, in the order they are built and listed.
pub const TABLES: &[TableDef] = &[
    TableDef {
        name: "observations",
        source: "observations",
        sort_by: &["indicator", "province_code", "period_end"],
        about: "one row per reported figure",
    },
    TableDef {
        name: "indicators",
        source: "indicators.csv",
        sort_by: &["code"],
        about: "the indicator catalog",
    },
    TableDef {
        name: "sources",
        source: "sources.csv",
        sort_by: &["source_id"],
        about: "the reports figures come from",
    },
    TableDef {
        name: "provinces",
        source: "reference/provinces.csv",
        sort_by: &["code"],
        about: "the 63 provinces in force until 2025-06-30",
    },
    TableDef {
        name: "provinces_2025",
        source: "reference/provinces_2025.csv",
        sort_by: &["code"],
        about: "the 34 provinces in force since 2025-07-01",
    },
    TableDef {
        name: "province_crosswalk",
        source: "reference/province_crosswalk.csv",
        sort_by: &["legacy_code"],
        about: "legacy province code to 2025 province code",
    },
    TableDef {
        name: "districts",
        source: "reference/districts.csv",
        sort_by: &["code"],
        about: "the 696 legacy districts",
    },
    TableDef {
        name: "communes",
        source: "reference/communes.csv",
        sort_by: &["code"],
        about: "the 10,035 legacy communes, with the 2025 commune each became part of",
    },
    TableDef {
        name: "communes_2025",
        source: "reference/communes_2025.csv",
        sort_by: &["code"],
        about: "the 3,321 communes, wards and special zones in force since 2025-07-01",
    },
    TableDef {
        name: "commune_crosswalk",
        source: "reference/commune_crosswalk.csv",
        sort_by: &["legacy_code", "code_2025"],
        about: "legacy commune to each 2025 commune it became part of, the default marked",
    },
];

/// The curated table called `name`, if there is one.
pub fn table_def(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

/// The definition of table `name`, which chiso's own code names: one it does not know is a bug.
pub fn builtin(name: &str) -> Result<&'static TableDef> {
    table_def(name).ok_or_else(|| Error::Internal(format!("chiso has no built-in table {name}")))
}

fn text(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn float(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float64, nullable)
}

fn date(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Date32, nullable)
}

/// The Arrow schema of curated table `name` (panics on an unknown name: callers pass a [`TableDef`] name).
pub fn schema(name: &str) -> SchemaRef {
    let fields = match name {
        "observations" => vec![
            text("obs_id", true),
            text("indicator", false),
            text("geo_level", false),
            text("province_code", true),
            text("district_code", true),
            text("commune_code", true),
            date("period_start", true),
            date("period_end", false),
            float("value", false),
            float("numerator", true),
            float("denominator", true),
            float("target", true),
            text("qualifier", false),
            text("source_id", false),
            text("quote", true),
            text("period_basis", true),
        ],
        "indicators" => vec![
            text("code", false),
            text("name_vi", false),
            text("name_en", false),
            text("unit", false),
            text("kind", false),
            Field::new("higher_is_better", DataType::Boolean, false),
            text("aggregation", false),
            text("sum_of", true),
            text("keywords", true),
            text("rate_of", true),
        ],
        "sources" => vec![
            text("source_id", false),
            text("title", false),
            text("publisher", false),
            date("published", true),
            text("province_code", true),
            text("seed_file", true),
            text("url", true),
            Field::new("restated", DataType::Boolean, true),
            text("published_month", true),
        ],
        "provinces" => vec![
            text("code", false),
            text("name", false),
            text("name_ascii", false),
            text("type", false),
            text("region", false),
            text("province_2025_code", false),
        ],
        "provinces_2025" => vec![
            text("code", false),
            text("name", false),
            text("name_ascii", false),
            text("type", false),
            text("legacy_codes", false),
        ],
        "province_crosswalk" => {
            vec![text("legacy_code", false), text("code_2025", false), date("effective_date", false)]
        }
        "districts" => vec![
            text("code", false),
            text("name", false),
            text("name_ascii", false),
            text("type", false),
            text("province_code", false),
        ],
        "communes" => vec![
            text("code", false),
            text("name", false),
            text("name_ascii", false),
            text("type", false),
            text("district_code", false),
            text("province_code", false),
            text("commune_2025_code", true),
        ],
        "communes_2025" => vec![
            text("code", false),
            text("name", false),
            text("name_ascii", false),
            text("type", false),
            text("province_2025_code", false),
            date("effective_date", false),
        ],
        "commune_crosswalk" => vec![
            text("legacy_code", false),
            text("code_2025", false),
            Field::new("is_default", DataType::Boolean, false),
            date("effective_date", false),
        ],
        other => panic!("no schema for table {other}"),
    };
    Arc::new(Schema::new(fields))
}
