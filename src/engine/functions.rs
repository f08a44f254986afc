//! chiso's SQL functions, registered in every session: Vietnamese numbers, period labels,
//! percentages, and the admin-unit reference tables as functions. `chiso functions` lists them
//! with the examples below (which a test runs, so they stay true).
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};
use datafusion::prelude::SessionContext;

use crate::error::closest;
use crate::numbers::parse_vn_number;
use crate::storage::reference::{codes_by_name, commune_targets, communes, communes_2025, fold, reference};

/// How one function is called and what it does, for `chiso functions`.
pub struct FunctionDoc {
    /// Name as called in SQL.
    pub name: &'static str,
    /// Arguments and result type.
    pub signature: &'static str,
    /// What it does.
    pub about: &'static str,
    /// `(SQL expression, expected result as CSV text)` pairs; empty text is NULL.
    pub examples: &'static [(&'static str, &'static str)],
}

/// Every function chiso adds to DataFusion's own.
pub const FUNCTIONS: &[FunctionDoc] = &[
    FunctionDoc {
        name: "vn_number",
        signature: "vn_number(text) -> double",
        about: "A number as Vietnamese reports write it: `.` groups thousands, `,` marks decimals, \
                a dot before other than three digits is a decimal point; scale words triệu, nghìn/ngàn, tỷ. NULL if not a number.",
        examples: &[
            ("vn_number('1.494.541')", "1494541.0"),
            ("vn_number('99,68')", "99.68"),
            ("vn_number('85.7%')", "85.7"),
            ("vn_number('1,5 triệu')", "1500000.0"),
            ("vn_number('8 nghìn')", "8000.0"),
            ("vn_number('hơn')", ""),
        ],
    },
    FunctionDoc {
        name: "pct",
        signature: "pct(numerator double, denominator double) -> double",
        about: "100 × numerator / denominator; NULL when the denominator is 0 or either is NULL.",
        examples: &[("pct(338202, 339287)", "99.68021173814499"), ("pct(1, 0)", ""), ("pct(NULL, 4)", "")],
    },
    FunctionDoc {
        name: "period_label",
        signature: "period_label(period_start date, period_end date) -> text",
        about: "A short label for a period: 2023, 2023-H1, 2023-Q2, 2023-04, `to 2023-04-15` for a stock \
                (no start), else `start..end`.",
        examples: &[
            ("period_label(DATE '2023-01-01', DATE '2023-06-30')", "2023-H1"),
            ("period_label(DATE '2023-04-01', DATE '2023-06-30')", "2023-Q2"),
            ("period_label(DATE '2023-04-01', DATE '2023-04-30')", "2023-04"),
            ("period_label(DATE '2024-01-01', DATE '2024-12-31')", "2024"),
            ("period_label(NULL, DATE '2023-04-15')", "to 2023-04-15"),
            ("period_label(DATE '2023-04-01', DATE '2023-04-18')", "2023-04-01..2023-04-18"),
        ],
    },
    FunctionDoc {
        name: "date_floor",
        signature: "date_floor(granularity text, day date) -> date",
        about: "The first day of the year, quarter, month, ISO week (from Monday) or day holding a date: \
                `CAST(date_trunc(granularity, day) AS DATE)`, which chiso plans as this function.",
        examples: &[
            ("date_floor('month', DATE '2024-02-29')", "2024-02-01"),
            ("date_floor('quarter', DATE '2023-08-15')", "2023-07-01"),
            ("date_floor('week', DATE '2025-01-01')", "2024-12-30"),
            ("date_floor('year', NULL)", ""),
        ],
    },
    FunctionDoc {
        name: "province_code",
        signature: "province_code(text) -> text",
        about: "The legacy (63-province) code of a province given by code or by name, with or without \
                tone marks or the words tỉnh / thành phố. NULL if there is no such province.",
        examples: &[
            ("province_code('Nghệ An')", "40"),
            ("province_code('thai binh')", "34"),
            ("province_code('Tỉnh Hưng Yên')", "33"),
            ("province_code('4')", "04"),
            ("province_code('Atlantis')", ""),
        ],
    },
    FunctionDoc {
        name: "province_name",
        signature: "province_name(code text) -> text",
        about: "The name of a legacy province code (the 2025 name for a code only the 34 provinces use).",
        examples: &[("province_name('40')", "Nghệ An"), ("province_name('34')", "Thái Bình")],
    },
    FunctionDoc {
        name: "province_2025",
        signature: "province_2025(code text) -> text",
        about: "The code of the province (of the 34 in force since 2025-07-01) a legacy province became part of.",
        examples: &[("province_2025('34')", "33"), ("province_2025('06')", "19"), ("province_2025('40')", "40")],
    },
    FunctionDoc {
        name: "commune_2025",
        signature: "commune_2025(code text) -> text",
        about: "The code of the commune of 2025 a legacy commune became wholly part of. NULL for a commune \
                split between several (commune_crosswalk lists their parts), or no such commune.",
        examples: &[
            ("commune_2025('09610')", "09616"),
            ("commune_2025('09616')", ""),
            ("commune_2025('99999')", ""),
        ],
    },
    FunctionDoc {
        name: "place_code",
        signature: "place_code(level text, place text) -> text",
        about: "The code of a unit at a level of `figures` (commune, district, province, region, national, \
                province_2025) or a commune of 2025 (commune_2025), given by code or by name; a name several units share takes its province \
                after a comma (for a commune of 2025, its 2025 province or the legacy one it was in). NULL if there is no such unit, or several.",
        examples: &[
            ("place_code('district', 'Bến Lức')", "803"),
            ("place_code('district', 'Châu Thành')", ""),
            ("place_code('district', 'huyen chau thanh, Long An')", "808"),
            ("place_code('commune', 'Phúc Xá')", "00001"),
            ("place_code('province', 'nghe an')", "40"),
            ("place_code('region', 'Tay Nguyen')", "Tây Nguyên"),
            ("place_code('national', 'Việt Nam')", "VN"),
            ("place_code('province_2025', 'Hưng Yên')", "33"),
            ("place_code('commune_2025', 'Phường Ba Đình, Hà Nội')", "00004"),
            ("place_code('commune_2025', 'Ba Đình')", ""),
            ("place_code('commune_2025', 'xa tan thanh, Thái Nguyên')", "05923"),
            ("place_code('commune_2025', 'Tân Thành, Bắc Kạn')", "05923"),
        ],
    },
    FunctionDoc {
        name: "place_name",
        signature: "place_name(level text, code text) -> text",
        about: "The name of the unit with `code` at a level of `figures`. NULL if there is none.",
        examples: &[
            ("place_name('district', '803')", "Bến Lức"),
            ("place_name('commune', '00001')", "Phúc Xá"),
            ("place_name('province', '34')", "Thái Bình"),
            ("place_name('province_2025', '33')", "Hưng Yên"),
            ("place_name('commune_2025', '00097')", "Hồng Hà"),
            ("place_name('national', 'VN')", "Việt Nam"),
        ],
    },
    FunctionDoc {
        name: "region",
        signature: "region(code text) -> text",
        about: "The statistical region (one of six) of a legacy province code.",
        examples: &[("region('40')", "Bắc Trung Bộ và duyên hải miền Trung"), ("region('80')", "Đồng bằng sông Cửu Long")],
    },
];

/// The legacy code for a code or name (see [`FUNCTIONS`]).
pub fn resolve_province(input: &str) -> Option<String> {
    reference().province_code(input)
}

/// The code of `place` at `level` (see [`FUNCTIONS`]).
pub fn place_code(level: &str, place: &str) -> Option<String> {
    let r = reference();
    let place = place.trim();
    let given_code = !place.is_empty() && place.bytes().all(|b| b.is_ascii_digit());
    match level {
        "commune" | "district" | "commune_2025" if given_code => {
            let width = if level == "district" { 3 } else { 5 };
            let code = format!("{place:0>width$}");
            units(level).any(|(c, _, _)| c == code).then_some(code)
        }
        "commune" | "district" | "commune_2025" => match named(level, place).as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        "province" => r.province_code(place),
        "region" => r.region(place),
        "national" => Some("VN".to_string()),
        "province_2025" => r.province_2025_code(place),
        _ => None,
    }
}

/// Why a place names no one unit of a level (see [`find_place`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceMiss {
    /// No unit of the level has that code or name; the closest name, if one is near.
    Unknown(Option<String>),
    /// Several units share the name: each as `name, province`, which names it alone.
    Several(Vec<String>),
}

impl PlaceMiss {
    /// What is wrong, for `place` at `level`, and what to write instead.
    pub fn describe(&self, level: &str, place: &str) -> String {
        match self {
            PlaceMiss::Unknown(near) => {
                let mut text = format!("no unit at level {level} has the code or name {place:?}");
                if let Some(near) = near {
                    text.push_str(&format!(". Did you mean {near}?"));
                }
                text
            }
            PlaceMiss::Several(names) => format!(
                "{} units at level {level} are named {place:?}; name one with its province after a comma: {}",
                names.len(),
                names.join("; ")
            ),
        }
    }
}

/// One unit: `(code, name, province code)`.
type Unit = (&'static str, &'static str, &'static str);

/// The units of `level`.
fn units(level: &str) -> Box<dyn Iterator<Item = Unit>> {
    let r = reference();
    match level {
        "commune" => {
            Box::new(communes().iter().map(|c| (c.code.as_str(), c.name.as_str(), c.province_code.as_str())))
        }
        "district" => {
            Box::new(r.districts.iter().map(|d| (d.code.as_str(), d.name.as_str(), d.province_code.as_str())))
        }
        "province" => {
            Box::new(r.provinces.values().map(|p| (p.code.as_str(), p.name.as_str(), p.code.as_str())))
        }
        "region" => Box::new(r.provinces.values().map(|p| (p.region.as_str(), p.region.as_str(), ""))),
        "province_2025" => Box::new(r.provinces_2025.iter().map(|(c, n)| (c.as_str(), n.as_str(), ""))),
        "commune_2025" => Box::new(
            communes_2025().iter().map(|c| (c.code.as_str(), c.name.as_str(), c.province_2025_code.as_str())),
        ),
        _ => Box::new(std::iter::empty()),
    }
}

/// The codes of every unit of `level` named `place` (a name, or a name and its province after a
/// comma: a 2025 province, or a legacy one's name, for a 2025 commune).
fn named(level: &str, place: &str) -> Vec<String> {
    let r = reference();
    if level == "commune_2025" {
        codes_by_name(units(level), place, |p| r.province_2025_of(p))
    } else {
        codes_by_name(units(level), place, |p| r.province_code(p))
    }
}

/// The name of the province with `code`, of those a unit of `level` lies in.
fn province_of_level(level: &str, code: &str) -> String {
    let r = reference();
    let name = if level == "commune_2025" {
        r.provinces_2025.get(code).cloned()
    } else {
        r.provinces.get(code).map(|p| p.name.clone())
    };
    name.unwrap_or_else(|| code.to_string())
}

/// The code of `place` at `level`, as [`place_code`] finds it, or why it names no one unit.
pub fn find_place(level: &str, place: &str) -> std::result::Result<String, PlaceMiss> {
    if let Some(code) = place_code(level, place) {
        return Ok(code);
    }
    let shared = named(level, place);
    if shared.len() > 1 {
        let mut named: Vec<String> = units(level)
            .filter(|(code, _, _)| shared.iter().any(|s| s == code))
            .map(|(_, name, p)| format!("{name}, {}", province_of_level(level, p)))
            .collect();
        named.sort();
        return Err(PlaceMiss::Several(named));
    }
    let folded: Vec<(String, &str)> = units(level).map(|(_, name, _)| (fold(name), name)).collect();
    let want = fold(place);
    let near = closest(&want, folded.iter().map(|(f, _)| f.as_str()))
        .and_then(|f| folded.iter().find(|(g, _)| g == f))
        .map(|(_, name)| name.to_string());
    Err(PlaceMiss::Unknown(near))
}

/// The 2025 commune legacy commune `code` became wholly part of (see [`FUNCTIONS`]).
pub fn whole_commune_2025(code: &str) -> Option<String> {
    match commune_targets().get(code)?.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The name of the unit `code` at `level` (see [`FUNCTIONS`]).
pub fn place_name(level: &str, code: &str) -> Option<String> {
    let r = reference();
    match level {
        "commune" => communes().iter().find(|c| c.code == code).map(|c| c.name.clone()),
        "district" => r.districts.iter().find(|d| d.code == code).map(|d| d.name.clone()),
        "province" => r.provinces.get(code).map(|p| p.name.clone()),
        "region" => r.region(code),
        "national" => (code == "VN").then(|| "Việt Nam".to_string()),
        "province_2025" => r.provinces_2025.get(code).cloned(),
        "commune_2025" => communes_2025().iter().find(|c| c.code == code).map(|c| c.name.clone()),
        _ => None,
    }
}

/// A period label (see [`FUNCTIONS`]).
pub fn period_label(start: Option<NaiveDate>, end: NaiveDate) -> String {
    let Some(start) = start else {
        return format!("to {end}");
    };
    let last_of_month = |d: NaiveDate| d.succ_opt().is_some_and(|next| next.day() == 1);
    if start.year() == end.year() && start.day() == 1 && last_of_month(end) {
        let (y, m0, m1) = (start.year(), start.month(), end.month());
        match (m0, m1) {
            (1, 12) => return format!("{y}"),
            (1, 6) => return format!("{y}-H1"),
            (7, 12) => return format!("{y}-H2"),
            (m, n) if n == m + 2 && m % 3 == 1 => return format!("{y}-Q{}", m / 3 + 1),
            (m, n) if m == n => return format!("{y}-{m:02}"),
            _ => {}
        }
    }
    format!("{start}..{end}")
}

/// Apply `f` row by row; scalar in, scalar out (DataFusion expects that shape back).
fn map_rows(
    args: &[ColumnarValue],
    f: impl Fn(&[ArrayRef], usize) -> ArrayRef,
) -> datafusion::error::Result<ColumnarValue> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let rows = arrays.first().map(|a| a.len()).unwrap_or(1);
    let out = f(&arrays, rows);
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

fn text_fn(
    args: &[ColumnarValue],
    f: impl Fn(&str) -> Option<String>,
) -> datafusion::error::Result<ColumnarValue> {
    map_rows(args, |arrays, rows| {
        let input = arrays[0].as_string::<i32>();
        let out: StringArray =
            (0..rows).map(|i| if input.is_null(i) { None } else { f(input.value(i)) }).collect();
        Arc::new(out)
    })
}

/// A function of two texts, row by row; NULL in, NULL out.
fn text_fn2(
    args: &[ColumnarValue],
    f: impl Fn(&str, &str) -> Option<String>,
) -> datafusion::error::Result<ColumnarValue> {
    map_rows(args, |arrays, rows| {
        let (a, b) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
        let out: StringArray = (0..rows)
            .map(|i| if a.is_null(i) || b.is_null(i) { None } else { f(a.value(i), b.value(i)) })
            .collect();
        Arc::new(out)
    })
}

fn udf(
    name: &str,
    inputs: Vec<DataType>,
    output: DataType,
    fun: impl Fn(&[ColumnarValue]) -> datafusion::error::Result<ColumnarValue> + Send + Sync + 'static,
) -> ScalarUDF {
    create_udf(name, inputs, output, Volatility::Immutable, Arc::new(fun))
}

fn date_of(array: &ArrayRef, row: usize) -> Option<NaiveDate> {
    let dates = array.as_primitive_opt::<Date32Type>()?;
    if dates.is_null(row) {
        return None;
    }
    Date32Type::to_naive_date_opt(dates.value(row))
}

/// Register every function of [`FUNCTIONS`] in `ctx`.
///
/// It also replaces DataFusion's `date_trunc` by [`DateTrunc`](super::date_trunc::DateTrunc),
/// the same function with a fast path for dates.
pub fn register(ctx: &SessionContext) {
    for f in udfs() {
        ctx.register_udf(f);
    }
}

/// chiso's SQL functions, ready to register in a session or a cluster's function registry.
pub fn udfs() -> Vec<ScalarUDF> {
    use DataType::{Date32, Float64, Utf8};
    vec![
        super::date_trunc::DateTrunc::udf(),
        super::date_floor::DateFloor::udf(),
        udf("vn_number", vec![Utf8], Float64, |args| {
            map_rows(args, |arrays, rows| {
                let input = arrays[0].as_string::<i32>();
                let out: Float64Array = (0..rows)
                    .map(|i| if input.is_null(i) { None } else { parse_vn_number(input.value(i)) })
                    .collect();
                Arc::new(out)
            })
        }),
        udf("pct", vec![Float64, Float64], Float64, |args| {
            map_rows(args, |arrays, rows| {
                let (n, d) =
                    (arrays[0].as_primitive::<Float64Type>(), arrays[1].as_primitive::<Float64Type>());
                let out: Float64Array = (0..rows)
                    .map(|i| {
                        (!n.is_null(i) && !d.is_null(i) && d.value(i) != 0.0)
                            .then(|| 100.0 * n.value(i) / d.value(i))
                    })
                    .collect();
                Arc::new(out)
            })
        }),
        udf("period_label", vec![Date32, Date32], Utf8, |args| {
            map_rows(args, |arrays, rows| {
                let out: StringArray = (0..rows)
                    .map(|i| date_of(&arrays[1], i).map(|end| period_label(date_of(&arrays[0], i), end)))
                    .collect();
                Arc::new(out)
            })
        }),
        udf("province_code", vec![Utf8], Utf8, |args| text_fn(args, resolve_province)),
        udf("province_name", vec![Utf8], Utf8, |args| {
            text_fn(args, |code| {
                let r = reference();
                r.provinces.get(code).map(|p| p.name.clone()).or_else(|| r.provinces_2025.get(code).cloned())
            })
        }),
        udf("province_2025", vec![Utf8], Utf8, |args| {
            text_fn(args, |code| reference().provinces.get(code).map(|p| p.code_2025.clone()))
        }),
        udf("commune_2025", vec![Utf8], Utf8, |args| text_fn(args, whole_commune_2025)),
        udf("place_code", vec![Utf8, Utf8], Utf8, |args| text_fn2(args, place_code)),
        udf("place_name", vec![Utf8, Utf8], Utf8, |args| text_fn2(args, place_name)),
        udf("region", vec![Utf8], Utf8, |args| {
            text_fn(args, |code| reference().provinces.get(code).map(|p| p.region.clone()))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_labels() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(period_label(Some(d("2023-07-01")), d("2023-12-31")), "2023-H2");
        assert_eq!(period_label(Some(d("2023-10-01")), d("2023-12-31")), "2023-Q4");
        assert_eq!(period_label(Some(d("2024-02-01")), d("2024-02-29")), "2024-02");
        assert_eq!(period_label(Some(d("2023-02-01")), d("2023-03-31")), "2023-02-01..2023-03-31");
        assert_eq!(period_label(Some(d("2022-01-01")), d("2023-12-31")), "2022-01-01..2023-12-31");
    }

    #[test]
    fn province_lookup_awkward_cases() {
        assert_eq!(resolve_province(" 40 ").as_deref(), Some("40"));
        assert_eq!(resolve_province("NGHỆ AN").as_deref(), Some("40"));
        assert_eq!(resolve_province("Thành phố Hà Nội").as_deref(), Some("01"));
        assert_eq!(resolve_province("ha noi").as_deref(), Some("01"));
        assert_eq!(resolve_province(""), None);
        assert_eq!(resolve_province("99"), None);
        assert_eq!(resolve_province("400"), None);
    }
}
