//! From a query result to what a chart shows: which column goes on each axis, the series, and
//! each point's qualifier. Defaults follow the column types; every refusal names the column.
use std::collections::{BTreeMap, HashMap, HashSet};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type};

use super::labels::{Locale, Mark};
use crate::engine::QueryResult;
use crate::error::{Error, Result, Thing};

/// The shape of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Lines over time (the default for a date on x).
    Line,
    /// Vertical bars, one per category.
    Bar,
    /// Horizontal bars: for many or long category names (the default for more than 12 categories).
    Hbar,
}

/// What the user asked for; `None` fields take the defaults.
#[derive(Debug, Clone, Default)]
pub struct ChartRequest {
    /// Chart shape.
    pub kind: Option<Kind>,
    /// Column for the x axis.
    pub x: Option<String>,
    /// Number column for the y axis.
    pub y: Option<String>,
    /// Column whose values split the rows into series.
    pub series: Option<String>,
    /// Title over the chart.
    pub title: Option<String>,
    /// Number convention of the labels.
    pub locale: Locale,
    /// Whether y is a percentage; `None` guesses from the column names.
    pub percent: Option<bool>,
}

/// The x axis: days since 1970-01-01, or named categories in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Dates.
    Days,
    /// Category names; a point's x is its index here.
    Categories(Vec<String>),
}

/// One plotted value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Days since 1970-01-01 or the category index.
    pub x: f64,
    /// The value.
    pub y: f64,
    /// Exact, at least, at most or about.
    pub mark: Mark,
}

/// One line or one colour of bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name (empty for a single unnamed series).
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<Point>,
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Shape.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// x axis caption (the column name).
    pub x_label: String,
    /// y axis caption (the column name, with `%` for percentages).
    pub y_label: String,
    /// The x axis.
    pub x: XAxis,
    /// The series.
    pub series: Vec<Series>,
    /// Whether values are percentages.
    pub percent: bool,
    /// Label convention.
    pub locale: Locale,
}

/// Above this many categories, the default bar chart is horizontal.
const HBAR_FROM: usize = 13;

/// What a column can be used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Date,
    Number,
    Text,
    Other,
}

fn role(t: &DataType) -> Role {
    match t {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Role::Date,
        t if t.is_numeric() => Role::Number,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => Role::Text,
        DataType::Boolean => Role::Text,
        _ => Role::Other,
    }
}

/// One column of the result, all batches concatenated, with its role.
struct Column {
    name: String,
    role: Role,
    array: ArrayRef,
}

impl Column {
    fn texts(&self) -> Result<Vec<Option<String>>> {
        let strings = cast(&self.array, &DataType::Utf8)?;
        let strings = strings.as_string::<i32>();
        Ok(strings.iter().map(|s| s.map(str::to_string)).collect())
    }

    fn numbers(&self) -> Result<Vec<Option<f64>>> {
        let values = cast(&self.array, &DataType::Float64)?;
        Ok(values.as_primitive::<Float64Type>().iter().collect())
    }

    fn days(&self) -> Result<Vec<Option<f64>>> {
        let values = cast(&self.array, &DataType::Date32)?;
        Ok(values.as_primitive::<Date32Type>().iter().map(|d| d.map(f64::from)).collect())
    }
}

fn columns(result: &QueryResult) -> Result<Vec<Column>> {
    let schema = result.schema.clone();
    let mut out = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let parts: Vec<&dyn Array> = result.batches.iter().map(|b| b.column(i).as_ref()).collect();
        let array = datafusion::arrow::compute::concat(&parts)?;
        out.push(Column { name: field.name().clone(), role: role(field.data_type()), array });
    }
    Ok(out)
}

fn find<'a>(cols: &'a [Column], name: &str, setting: &'static str) -> Result<&'a Column> {
    cols.iter().find(|c| c.name == name).ok_or_else(|| Error::NotFound {
        kind: Thing::Column,
        name: name.to_string(),
        candidates: cols.iter().map(|c| c.name.clone()).collect(),
        within: "the result".into(),
        setting: Some(setting),
    })
}

fn names_with(cols: &[Column], role: Role) -> String {
    let names: Vec<&str> = cols.iter().filter(|c| c.role == role).map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Whether a column of this name holds percentages.
fn looks_like_percent(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with("pct") || n.contains("percent") || n.ends_with("_rate") || n == "rate"
}

/// Decide axes and series for `result` as `request` asks, and gather the points.
pub fn resolve(result: &QueryResult, request: &ChartRequest) -> Result<Chart> {
    if result.num_rows() == 0 {
        return Err(Error::Invalid {
            what: "the result".into(),
            problem: "the query returned no rows, so there is nothing to chart".into(),
        });
    }
    let cols = columns(result)?;
    let x = match &request.x {
        Some(name) => find(&cols, name, "x")?,
        None => default_x(&cols)?,
    };
    let y = match &request.y {
        Some(name) => find(&cols, name, "y")?,
        None => default_y(&cols, &x.name)?,
    };
    if y.role != Role::Number {
        return Err(Error::setting(
            "y",
            &y.name,
            format!(
                "the column is not numeric, and a chart's height must be a number; number columns: {}",
                names_with(&cols, Role::Number)
            ),
        ));
    }
    let series = match &request.series {
        Some(name) => Some(find(&cols, name, "series")?),
        None => default_series(&cols, x, y)?,
    };
    let by_date = x.role == Role::Date;
    let kind = request.kind.unwrap_or(if by_date { Kind::Line } else { Kind::Bar });
    let percent = request.percent.unwrap_or_else(|| looks_like_percent(&y.name) || unit_is_percent(&cols));
    let qualifiers = match cols.iter().find(|c| c.name == "qualifier") {
        Some(q) => q.texts()?,
        None => vec![None; result.num_rows()],
    };
    let ys = y.numbers()?;
    let series_names = match series {
        Some(s) => s.texts()?,
        None => vec![None; ys.len()],
    };
    let (axis, xs) =
        if by_date && kind == Kind::Line { (XAxis::Days, x.days()?) } else { categories(x, &ys, kind)? };
    let mut grouped: BTreeMap<usize, Series> = BTreeMap::new();
    let mut order: HashMap<String, usize> = HashMap::new();
    for row in 0..ys.len() {
        let (Some(xv), Some(yv)) = (xs[row], ys[row]) else { continue };
        let name = series_names[row].clone().unwrap_or_default();
        let next = order.len();
        let index = *order.entry(name.clone()).or_insert(next);
        let mark = Mark::from_qualifier(qualifiers[row].as_deref());
        grouped.entry(index).or_insert_with(|| Series { name, points: Vec::new() }).points.push(Point {
            x: xv,
            y: yv,
            mark,
        });
    }
    let mut series: Vec<Series> = grouped.into_values().collect();
    if series.is_empty() {
        return Err(Error::Invalid {
            what: "the result".into(),
            problem: format!("every row has an empty {} or {}, so there is nothing to chart", x.name, y.name),
        });
    }
    if axis == XAxis::Days {
        for s in &mut series {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
    }
    let kind = match (request.kind, &axis) {
        (None, XAxis::Categories(c)) if c.len() >= HBAR_FROM => Kind::Hbar,
        _ => kind,
    };
    let y_label = if percent { format!("{} (%)", y.name) } else { y.name.clone() };
    let title = request.title.clone().unwrap_or_else(|| format!("{} by {}", y.name, x.name));
    Ok(Chart {
        kind,
        title,
        x_label: x.name.clone(),
        y_label,
        x: axis,
        series,
        percent,
        locale: request.locale,
    })
}

fn unit_is_percent(cols: &[Column]) -> bool {
    let Some(unit) = cols.iter().find(|c| c.name == "unit") else { return false };
    let Ok(values) = unit.texts() else { return false };
    !values.is_empty() && values.iter().all(|v| v.as_deref() == Some("percent"))
}

/// The first date column with no empty values, else the first text column.
fn default_x(cols: &[Column]) -> Result<&Column> {
    cols.iter()
        .find(|c| c.role == Role::Date && c.array.null_count() == 0)
        .or_else(|| cols.iter().find(|c| c.role == Role::Text))
        .or_else(|| cols.iter().find(|c| c.role == Role::Date))
        .ok_or_else(|| {
            Error::rule("x", "is needed: the result has no date or text column to put on the x axis")
        })
}

/// `value` if there is such a number column, else the first number column that is not x.
fn default_y<'a>(cols: &'a [Column], x: &str) -> Result<&'a Column> {
    let numbers = || cols.iter().filter(|c| c.role == Role::Number && c.name != x);
    numbers()
        .find(|c| c.name == "value")
        .or_else(|| numbers().next())
        .ok_or_else(|| Error::rule("y", "is needed: the result has no number column to chart"))
}

/// When x repeats, the first text column that tells the repeated rows apart.
fn default_series<'a>(cols: &'a [Column], x: &Column, y: &Column) -> Result<Option<&'a Column>> {
    let xs = x.texts()?;
    let distinct: HashSet<&Option<String>> = xs.iter().collect();
    if distinct.len() == xs.len() {
        return Ok(None);
    }
    for c in cols.iter().filter(|c| c.role == Role::Text && c.name != x.name && c.name != y.name) {
        let values = c.texts()?;
        let pairs: HashSet<(&Option<String>, &Option<String>)> = xs.iter().zip(&values).collect();
        if pairs.len() == xs.len() {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Category positions for each row. Text categories of a bar chart are sorted by their total,
/// largest first; otherwise they keep the result's order.
fn categories(x: &Column, ys: &[Option<f64>], kind: Kind) -> Result<(XAxis, Vec<Option<f64>>)> {
    let names = x.texts()?;
    let mut order: Vec<String> = Vec::new();
    let mut totals: Vec<f64> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (name, y) in names.iter().zip(ys) {
        let Some(name) = name else { continue };
        let at = *index.entry(name).or_insert_with(|| {
            order.push(name.clone());
            totals.push(0.0);
            order.len() - 1
        });
        totals[at] += y.unwrap_or(0.0);
    }
    if x.role == Role::Text && kind != Kind::Line {
        let mut ranked: Vec<(String, f64)> = order.into_iter().zip(totals).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        order = ranked.into_iter().map(|(n, _)| n).collect();
    }
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let xs = names.iter().map(|n| n.as_deref().and_then(|n| position.get(n)).map(|&i| i as f64)).collect();
    Ok((XAxis::Categories(order), xs))
}
