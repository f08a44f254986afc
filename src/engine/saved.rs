//! Saved queries: `queries/NAME.sql` files whose comment header describes them and declares their
//! parameters. Parameters are bound as DataFusion placeholders (`$name`), never spliced into SQL.
//!
//! Header format (leading `--` lines):
//! ```sql
//! -- One line saying what the query answers.
//! -- @param indicator text = eid_accounts -- indicator code (see the indicators table)
//! -- @param as_of date -- required: no default
//! -- @param level text in province|region|national = province -- one of the listed values
//! -- @param province place -- a unit, by code or name, at the query's `level` (else a province)
//! ```
//!
//! A `place` is bound as the text given, once it names exactly one unit (see
//! [`find_place`]); the SQL finds its code with `place_code($level, $province)`.
use std::fmt;
use std::path::Path;

use datafusion::common::ScalarValue;

use super::functions::find_place;
use crate::error::{Error, Result, Thing};
use crate::storage::datasets::embedded_queries;

/// The type of a saved query's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Any text (Utf8).
    Text,
    /// A whole number (Int64).
    Int,
    /// A number (Float64).
    Float,
    /// A calendar date written `YYYY-MM-DD` (Date32).
    Date,
    /// A unit, by code or name, at the level of the query's `level` parameter, else a province
    /// (Utf8, as given; it must name exactly one unit).
    Place,
}

impl ParamType {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "text" => Some(Self::Text),
            "int" => Some(Self::Int),
            "float" => Some(Self::Float),
            "date" => Some(Self::Date),
            "place" => Some(Self::Place),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Int => "a whole number",
            Self::Float => "a number",
            Self::Date => "a date written YYYY-MM-DD",
            Self::Place => "a unit's code or name",
        }
    }

    /// Convert `raw` to a value of this type, or `None` if it is not one.
    fn value(self, raw: &str) -> Option<ScalarValue> {
        match self {
            Self::Text | Self::Place => Some(ScalarValue::Utf8(Some(raw.to_string()))),
            Self::Int => raw.trim().parse::<i64>().ok().map(|v| ScalarValue::Int64(Some(v))),
            Self::Float => raw.trim().parse::<f64>().ok().map(|v| ScalarValue::Float64(Some(v))),
            Self::Date => {
                let date = chrono_date(raw.trim())?;
                Some(ScalarValue::Date32(Some(date)))
            }
        }
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (arrow's own parser, strict about the format).
fn chrono_date(raw: &str) -> Option<i32> {
    use datafusion::arrow::compute::kernels::cast_utils::Parser;
    use datafusion::arrow::datatypes::Date32Type;
    let bytes = raw.as_bytes();
    let well_formed = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    if !well_formed {
        return None;
    }
    Date32Type::parse(raw)
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Int => "int",
            Self::Float => "float",
            Self::Date => "date",
            Self::Place => "place",
        })
    }
}

/// One declared parameter of a saved query.
#[derive(Debug, Clone)]
pub struct Param {
    /// Name, used as `$name` in the SQL and `--param name=value` on the command line.
    pub name: String,
    /// Declared type.
    pub ty: ParamType,
    /// Default value as written in the header; `None` makes the parameter required.
    pub default: Option<String>,
    /// The values allowed (`in a|b|c` in the header); empty when any value of the type is.
    pub choices: Vec<String>,
    /// What the parameter means.
    pub help: String,
}

/// A saved query: its name, header and SQL.
#[derive(Debug, Clone)]
pub struct SavedQuery {
    /// File stem of `queries/NAME.sql`.
    pub name: String,
    /// The header's description.
    pub description: String,
    /// Declared parameters, in header order.
    pub params: Vec<Param>,
    /// The whole file, header included (comments are valid SQL).
    pub sql: String,
}

impl SavedQuery {
    /// Parse a saved query file called `name` with contents `text`.
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let mut description = Vec::new();
        let mut params = Vec::new();
        for line in text.lines() {
            let Some(comment) = line.trim().strip_prefix("--") else {
                break;
            };
            let comment = comment.trim();
            if let Some(decl) = comment.strip_prefix("@param") {
                params.push(parse_param(name, decl)?);
            } else if !comment.is_empty() && params.is_empty() {
                description.push(comment);
            }
        }
        if description.is_empty() {
            return Err(Error::Invalid {
                what: format!("saved query {name}"),
                problem: "the file must start with a `-- description` comment line".into(),
            });
        }
        Ok(Self { name: name.to_string(), description: description.join(" "), params, sql: text.to_string() })
    }

    /// Bind `given` (`name=value` pairs from the command line) to the declared parameters,
    /// filling defaults; every value is converted to its declared type.
    pub fn bind(&self, given: &[(String, String)]) -> Result<Vec<(String, ScalarValue)>> {
        for (key, _) in given {
            if !self.params.iter().any(|p| &p.name == key) {
                return Err(Error::NotFound {
                    kind: Thing::Parameter,
                    name: key.clone(),
                    candidates: self.params.iter().map(|p| p.name.clone()).collect(),
                    within: format!("saved query {}", self.name),
                    setting: Some("param"),
                });
            }
        }
        let mut bound = Vec::new();
        for p in &self.params {
            let raw = given.iter().rev().find(|(k, _)| *k == p.name).map(|(_, v)| v.as_str());
            let Some(raw) = raw.or(p.default.as_deref()) else {
                let problem = format!("saved query {} needs it ({}): {}", self.name, p.ty.describe(), p.help);
                return Err(Error::setting("param", format!("{}=<{}>", p.name, p.ty), problem));
            };
            if !p.choices.is_empty() && !p.choices.iter().any(|c| c == raw) {
                return Err(Error::NotFound {
                    kind: Thing::Value,
                    name: raw.to_string(),
                    candidates: p.choices.clone(),
                    within: format!("parameter {} of {}", p.name, self.name),
                    setting: Some("param"),
                });
            }
            let value = p.ty.value(raw).ok_or_else(|| {
                let problem =
                    format!("parameter {} of {} must be {}, not {raw:?}", p.name, self.name, p.ty.describe());
                Error::setting("param", format!("{}={raw}", p.name), problem)
            })?;
            if p.ty == ParamType::Place {
                let level = self.value_of("level", given).unwrap_or_else(|| "province".into());
                find_place(&level, raw).map_err(|miss| {
                    Error::setting("param", format!("{}={raw}", p.name), miss.describe(&level, raw))
                })?;
            }
            bound.push((p.name.clone(), value));
        }
        Ok(bound)
    }

    /// The value the query will run with for parameter `name`: the last one given, else its default.
    pub fn value_of(&self, name: &str, given: &[(String, String)]) -> Option<String> {
        let declared = self.params.iter().find(|p| p.name == name)?;
        given
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| declared.default.clone())
    }
}

fn parse_param(query: &str, decl: &str) -> Result<Param> {
    let bad = |why: &str| Error::Invalid {
        what: format!("saved query {query}"),
        problem: format!("bad @param line {decl:?}: {why}"),
    };
    let (spec, help) = match decl.split_once(" -- ") {
        Some((s, h)) => (s.trim(), h.trim().to_string()),
        None => (decl.trim(), String::new()),
    };
    let (head, default) = match spec.split_once('=') {
        Some((h, d)) => (h.trim(), Some(d.trim().to_string())),
        None => (spec, None),
    };
    let mut words = head.split_whitespace();
    let name = words.next().ok_or_else(|| bad("no name"))?.to_string();
    let ty_word = words.next().ok_or_else(|| bad("no type"))?;
    let ty = ParamType::parse(ty_word).ok_or_else(|| bad("type must be text, int, float, date or place"))?;
    let choices: Vec<String> = match (words.next(), words.next(), words.next()) {
        (None, _, _) => Vec::new(),
        (Some("in"), Some(list), None) => list.split('|').map(str::to_string).collect(),
        _ => return Err(bad("after the type only `in a|b|c` may follow")),
    };
    if choices.iter().any(|c| c.is_empty() || ty.value(c).is_none()) {
        return Err(bad("every value after `in` must be of the declared type"));
    }
    if let Some(d) = &default {
        if ty.value(d).is_none() {
            return Err(bad("the default is not of the declared type"));
        }
        if !choices.is_empty() && !choices.contains(d) {
            return Err(bad("the default is not one of the values after `in`"));
        }
    }
    Ok(Param { name, ty, default, choices, help })
}

/// Every saved query: the ones built into chiso, then those in `dir` (which replace built-in
/// ones of the same name). Sorted by name.
pub fn load_all(dir: Option<&Path>) -> Result<Vec<SavedQuery>> {
    let mut all: Vec<SavedQuery> = Vec::new();
    let mut add = |q: SavedQuery| {
        all.retain(|old| old.name != q.name);
        all.push(q);
    };
    for (file, text) in embedded_queries() {
        if let Some(name) = file.strip_suffix(".sql").filter(|n| !n.contains('/')) {
            add(SavedQuery::parse(name, text)?);
        }
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read queries directory", e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".sql"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, "read", e))?;
            add(SavedQuery::parse(name, &text)?);
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The saved query called `name`, or an error naming the closest ones.
pub fn find<'a>(all: &'a [SavedQuery], name: &str) -> Result<&'a SavedQuery> {
    all.iter().find(|q| q.name == name).ok_or_else(|| Error::NotFound {
        kind: Thing::SavedQuery,
        name: name.to_string(),
        candidates: all.iter().map(|q| q.name.clone()).collect(),
        within: "chiso".into(),
        setting: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "-- Figures of one kind.\n-- @param indicator text = eid_accounts -- indicator code\n\
                     -- @param as_of date -- the day\nSELECT $indicator, $as_of";

    #[test]
    fn header_and_binding() {
        let q = SavedQuery::parse("demo", Q).unwrap();
        assert_eq!(q.description, "Figures of one kind.");
        assert_eq!(q.params.len(), 2);
        assert_eq!(q.params[0].default.as_deref(), Some("eid_accounts"));
        let err = q.bind(&[]).unwrap_err().to_string();
        assert!(err.contains("param as_of=<date>: saved query demo needs it"), "{err}");
        let err = q.bind(&[("as_of".into(), "15/4/2023".into())]).unwrap_err().to_string();
        assert!(err.contains("must be a date written YYYY-MM-DD"), "{err}");
        let bound = q.bind(&[("as_of".into(), "2023-04-15".into())]).unwrap();
        assert_eq!(bound[0].1, ScalarValue::Utf8(Some("eid_accounts".into())));
        assert_eq!(bound[1].1, ScalarValue::Date32(Some(19462)));
        let err = q.bind(&[("as_off".into(), "x".into())]).unwrap_err().to_string();
        assert!(
            err.contains(
                "saved query demo has no such parameter; it has indicator, as_of. Did you mean as_of?"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_parameter_may_list_its_values() {
        let text =
            "-- Levels.\n-- @param level text in province|region = province -- the level\nSELECT $level";
        let q = SavedQuery::parse("demo", text).unwrap();
        assert_eq!(q.params[0].choices, ["province", "region"]);
        assert_eq!(q.bind(&[]).unwrap()[0].1, ScalarValue::Utf8(Some("province".into())));
        let err = q.bind(&[("level".into(), "regoin".into())]).unwrap_err().to_string();
        assert!(err.contains("it has province, region. Did you mean region?"), "{err}");
        let bad = "-- Levels.\n-- @param level text in province|region = district\nSELECT 1";
        let err = SavedQuery::parse("demo", bad).unwrap_err().to_string();
        assert!(err.contains("the default is not one of the values after `in`"), "{err}");
        let bad = "-- Levels.\n-- @param level text province region\nSELECT 1";
        assert!(SavedQuery::parse("demo", bad).is_err());
    }

    #[test]
    fn a_place_must_name_one_unit_at_the_level_asked() {
        let text = "-- Places.\n-- @param province place -- a unit\n\
                    -- @param level text in province|district = province -- its level\nSELECT $province";
        let q = SavedQuery::parse("demo", text).unwrap();
        let one = |place: &str, level: &str| {
            q.bind(&[("province".into(), place.into()), ("level".into(), level.into())])
        };
        assert_eq!(one("nghe an", "province").unwrap()[0].1, ScalarValue::Utf8(Some("nghe an".into())));
        let err = one("99", "province").unwrap_err().to_string();
        assert!(
            err.contains("param province=99: no unit at level province has the code or name \"99\""),
            "{err}"
        );
        let err = one("Nghe Anh", "province").unwrap_err().to_string();
        assert!(err.ends_with("Did you mean Nghệ An?"), "{err}");
        // Ten legacy districts are called Châu Thành (datasets/reference/districts.csv).
        let err = one("Châu Thành", "district").unwrap_err().to_string();
        assert!(err.contains("10 units at level district are named \"Châu Thành\""), "{err}");
        assert!(err.contains("Châu Thành, Long An; Châu Thành, Sóc Trăng"), "{err}");
        assert!(one("Châu Thành, Long An", "district").is_ok());
        // Without a level parameter a place is a province.
        let text = "-- Provinces.\n-- @param province place -- a province\nSELECT $province";
        let q = SavedQuery::parse("demo", text).unwrap();
        assert!(q.bind(&[("province".into(), "Bến Lức".into())]).is_err());
        assert!(q.bind(&[("province".into(), "40".into())]).is_ok());
    }
}
