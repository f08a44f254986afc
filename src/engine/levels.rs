//! One hierarchy for every figure: the SQL that gives an indicator at any level (commune →
//! district → province → region → national, and legacy province → 2025 province) and any period
//! grain, from the level it was reported at, by the catalog's rules. The table `figures`
//! ([`super::figures`]) plans it for the level, grain and indicators a query asks for.
//!
//! Over time (a grain coarser than the reported periods), per unit: a stock takes its last value
//! in the period, a flow sums, a ratio of a flow recomputes from the period's summed parts. Over
//! units (a level above the reported one): the catalog's `aggregation` decides: `sum` adds the
//! units' values, `recompute` divides summed numerators by summed denominators (never an average;
//! a ratio without its parts gives no figure), `none` (ranks, changes, attainments) is not
//! aggregated. A derived figure says it is derived and how complete it is (`reporting` of
//! `expected` units); a sum with units missing is a `lower_bound`. A figure reported at a level
//! is preferred over one derived from below, unless derived figures are asked for.
use std::fmt::Write as _;

/// A level figures are given at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A legacy commune (5-digit code).
    Commune,
    /// A legacy district (3-digit code).
    District,
    /// A legacy province (2-digit code).
    Province,
    /// One of the six statistical regions (its name is its code).
    Region,
    /// The whole country (code `VN`).
    National,
    /// One of the 34 provinces in force since 2025-07-01.
    Province2025,
    /// One of the 3,321 communes, wards and special zones in force since 2025-07-01.
    Commune2025,
}

/// Every level: the legacy ones finest first, then those of 2025.
pub const LEVELS: [Level; 7] = [
    Level::Commune,
    Level::District,
    Level::Province,
    Level::Region,
    Level::National,
    Level::Province2025,
    Level::Commune2025,
];

impl Level {
    /// The level's name in `geo_level`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::District => "district",
            Level::Province => "province",
            Level::Region => "region",
            Level::National => "national",
            Level::Province2025 => "province_2025",
            Level::Commune2025 => "commune_2025",
        }
    }

    /// The level called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        LEVELS.into_iter().find(|l| l.name() == name)
    }

    /// The reported levels this one is derived from, nearest first.
    pub fn sources(self) -> &'static [Level] {
        match self {
            Level::Commune => &[],
            Level::District | Level::Commune2025 => &[Level::Commune],
            Level::Province => &[Level::District, Level::Commune],
            Level::Region | Level::National | Level::Province2025 => {
                &[Level::Province, Level::District, Level::Commune]
            }
        }
    }

    /// The unit's code at this level, as SQL over a row reported at a finer level. A legacy
    /// commune split between several 2025 communes has none at `commune_2025`: its figures are
    /// not divided, and go to none of them.
    fn key(self) -> &'static str {
        match self {
            Level::Commune2025 => "commune_2025(commune_code)",
            Level::Commune => "commune_code",
            Level::District => "district_code",
            Level::Province => "province_code",
            Level::Region => "region(province_code)",
            Level::National => "'VN'",
            Level::Province2025 => "province_2025(province_code)",
        }
    }

    /// The unit's code at this level, as SQL over a row reported at it: [`Level::key`], but for a
    /// 2025 commune, whose rows name it in their commune column.
    fn own_key(self) -> &'static str {
        match self {
            Level::Commune2025 => "commune_code",
            _ => self.key(),
        }
    }

    /// How many units of reported level `source` each unit of this level holds: SQL giving
    /// `(code, expected)` from the reference tables.
    fn expected(self, source: Level) -> String {
        if self == Level::Commune2025 {
            // Every legacy commune with a part in the 2025 commune, split ones too: a 2025
            // commune fed by a split one is never complete.
            return "SELECT code_2025 AS code, count(*) AS expected FROM commune_crosswalk GROUP BY code_2025".into();
        }
        // The reference tables name their parent codes as observations do, but for the
        // provinces table, whose own code is `code`.
        let (table, key) = match source {
            Level::Commune => ("communes", self.key().to_string()),
            Level::District => ("districts", self.key().to_string()),
            _ => ("provinces", self.key().replace("province_code", "code")),
        };
        format!("SELECT {key} AS code, count(*) AS expected FROM {table} GROUP BY {key}")
    }
}

/// The periods figures are given over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// Each figure's own period, as reported.
    Reported,
    /// Days: figures of one day (stocks at a date, flows of that day).
    Day,
    /// ISO weeks (Monday to Sunday).
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

/// Every grain, finest first.
pub const GRAINS: [Grain; 6] =
    [Grain::Reported, Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year];

impl Grain {
    /// The grain's name.
    pub fn name(self) -> &'static str {
        match self {
            Grain::Reported => "reported",
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }

    /// The grain called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        GRAINS.into_iter().find(|g| g.name() == name)
    }
}

/// What one plan of `figures` gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The level.
    pub level: Level,
    /// The grain.
    pub grain: Grain,
    /// Only these indicators (all when empty).
    pub indicators: Vec<String>,
    /// Derived figures only (the ones reported at the level are left out).
    pub derived_only: bool,
    /// The catalog's `aggregation` of each indicator that may be derived (`sum` or `recompute`):
    /// derived figures are computed for these, each rule with only the work it needs.
    pub rules: Vec<(String, String)>,
    /// Only rows whose column (of `observations`) has one of the values: how a query for some
    /// units reads only their rows.
    pub within: Vec<(&'static str, Vec<String>)>,
    /// The catalog's `kind` of the indicators asked for (of all when none is named), where known.
    pub kinds: Vec<(String, String)>,
    /// The levels that hold rows of these indicators (see [`probe`]); parts over other levels
    /// are left out of the plan. `None`: every level may.
    pub stored: Option<Vec<Level>>,
}

/// `WHERE` and the conditions on `observations` that keep rows of `indicators` (all when empty)
/// whose columns have the values `within` lists; empty when there are none.
fn conditions(indicators: &[String], within: &[(&str, Vec<String>)]) -> String {
    let mut all: Vec<(&str, &[String])> = Vec::new();
    if !indicators.is_empty() {
        all.push(("indicator", indicators));
    }
    all.extend(within.iter().map(|(column, values)| (*column, values.as_slice())));
    let mut sql = String::new();
    for (n, (column, values)) in all.iter().enumerate() {
        let list: Vec<String> = values.iter().map(|v| quoted(v)).collect();
        let _ = write!(sql, " {} {column} IN ({})", if n == 0 { "WHERE" } else { "AND" }, list.join(", "));
    }
    sql
}

/// SQL naming (column `level`) each of `levels` that holds rows of `indicators` within `within`.
/// Each level is asked for one row: where the files' statistics rule a level out, nothing is read.
pub fn probe(indicators: &[String], within: &[(&str, Vec<String>)], levels: &[Level]) -> String {
    let rest = conditions(indicators, within);
    let rest = if rest.is_empty() { " WHERE".to_string() } else { format!("{rest} AND") };
    levels
        .iter()
        .map(|l| {
            let name = quoted(l.name());
            format!(
                "SELECT {name} AS level FROM (SELECT 1 FROM observations{rest} geo_level = {name} LIMIT 1) p"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// SQL giving each date (`period_end`) that rows of `indicators` within `within` end on, once.
/// Rows of every level count: reading `geo_level` too would cost more than the rows it leaves out.
pub fn dates(indicators: &[String], within: &[(&str, Vec<String>)]) -> String {
    format!("SELECT period_end FROM observations{} GROUP BY period_end", conditions(indicators, within))
}

/// A SQL string literal.
pub fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The observations of `request`'s indicators, as a CTE body. The catalog's rules are joined
/// only after rows are grouped, where there are few of them.
fn base(request: &Request) -> String {
    // Grouping on the indicator as a string view is several times faster than on plain text
    // (0.34 s against 0.14 s for one indicator's 10.9 M rows). A lone indicator is a constant,
    // and its column is not read: a scan that reads it yields the files' declared order, which
    // keeps the scan whole (one core) and the grouping in its slower sorted mode (Hà Nội's
    // monthly figures: 0.075 s against 0.04 s).
    let indicator = match lone(&request.indicators).filter(|_| !request.within.is_empty()) {
        Some(one) => quoted(one),
        None => "indicator".to_string(),
    };
    let mut sql = format!(
        "SELECT arrow_cast({indicator}, 'Utf8View') AS indicator, geo_level, province_code, district_code, \
         commune_code, period_start, period_end, value, numerator, denominator, target, qualifier, source_id, quote, \
         obs_id FROM observations",
    );
    sql.push_str(&conditions(&request.indicators, &request.within));
    sql
}

/// The weakest qualifier of several rows, as a rank (0 exact, 1 lower bound, 2 other). Two
/// `bool_and`s of comparisons cost a fifth of a `max` over a CASE per row.
const QUALIFIER_RANK: &str = "CASE WHEN bool_and(qualifier = 'exact') THEN 0 \
     WHEN bool_and(qualifier IN ('exact', 'lower_bound')) THEN 1 ELSE 2 END";

/// The one indicator of `indicators`, when there is exactly one: its kind is then known in
/// advance. (Grouping on it as a constant instead of a column was a tenth faster, but a
/// cluster's plan codec loses the column when it is a constant under a window.)
fn lone(indicators: &[String]) -> Option<&str> {
    match indicators {
        [one] => Some(one.as_str()),
        _ => None,
    }
}

/// Rows reported at `level`, over the request's grain: one row per unit and period (`bucket` and
/// `bucket_end` name the period), as a CTE body.
fn regrained(grain: Grain, level: Level, from: &str, lone: Option<&str>, request: &Request) -> String {
    let kinds = &request.kinds;
    let at = format!("geo_level = {}", quoted(level.name()));
    let unit = "indicator, province_code, district_code, commune_code";
    match grain {
        Grain::Reported | Grain::Day => {
            // A day's figures are the stocks at a date and the flows of that one day.
            let fits = if grain == Grain::Day {
                " AND (period_start IS NULL OR period_start = period_end)"
            } else {
                ""
            };
            format!(
                "SELECT {unit}, period_start AS bucket, period_end AS bucket_end, period_start, period_end, \
                 value, numerator, denominator, target, qualifier, source_id, quote, obs_id \
                 FROM {from} WHERE {at}{fits}"
            )
        }
        _ => {
            let g = grain.name();
            let bucket = format!("CAST(date_trunc('{g}', period_end) AS DATE)");
            // The kind of a lone indicator is known: a constant instead of a join, and only the
            // ways of combining that kind can take are computed.
            let known = lone.and_then(|one| kinds.iter().find(|(code, _)| code == one));
            let (kind, join) = match known {
                Some((_, kind)) => (quoted(kind), String::new()),
                None => ("r.kind".to_string(), "JOIN indicators r ON r.code = g.indicator".to_string()),
            };
            // A unit column every row read shares one value of (the indicator, a province or unit
            // asked for) is written as that value, not grouped on: DataFusion takes a constant
            // group key for a sorted one and groups in its slower partially sorted mode.
            let one_value = |column: &str| match column {
                "indicator" => lone.map(str::to_string),
                _ => request
                    .within
                    .iter()
                    .find(|(c, v)| *c == column && v.len() == 1)
                    .map(|(_, v)| v[0].clone()),
            };
            let mut select = Vec::new();
            let mut keys = Vec::new();
            for column in ["indicator", "province_code", "district_code", "commune_code"] {
                match one_value(column) {
                    Some(v) => select.push(format!("arrow_cast({}, 'Utf8View') AS {column}", quoted(&v))),
                    None => {
                        select.push(column.to_string());
                        keys.push(column);
                    }
                }
            }
            let (select, keys) =
                (select.join(", "), keys.iter().map(|k| format!("{k}, ")).collect::<String>());
            let per_unit = |sums: &str| {
                format!(
                    "SELECT {select}, {bucket} AS bucket, \
                            max(period_end) AS period_end, {sums}last_value(value ORDER BY period_end) AS last, \
                            last_value(numerator ORDER BY period_end) AS last_n, \
                            last_value(denominator ORDER BY period_end) AS last_d, \
                            last_value(qualifier ORDER BY period_end) AS last_q, {QUALIFIER_RANK} AS rank, \
                            CASE WHEN min(source_id) = max(source_id) THEN min(source_id) WHEN count(source_id) > 0 THEN 'several' END AS source_id, \
                            CASE WHEN count(*) = 1 THEN min(quote) END AS quote, \
                            CASE WHEN count(*) = 1 THEN min(target) END AS target, \
                            CASE WHEN count(*) = 1 THEN min(obs_id) END AS obs_id \
                     FROM {from} WHERE {at} AND (period_start IS NULL OR period_start >= {bucket}) \
                     GROUP BY {keys}{bucket}, period_start IS NULL"
                )
            };
            if known.is_some_and(|(_, k)| k != "flow" && k != "ratio") {
                // A stock (or any kind but a flow or a ratio) takes its last value in the period,
                // with that value's qualifier; the sums, parts and starts it would not use are
                // not computed.
                return format!(
                    "SELECT {unit}, bucket, CAST(NULL AS DATE) AS bucket_end, CAST(NULL AS DATE) AS period_start, \
                     period_end, last AS value, last_n AS numerator, last_d AS denominator, target, \
                     last_q AS qualifier, source_id, quote, obs_id \
                     FROM ({}) g",
                    per_unit("")
                );
            }
            // Every way of combining a unit's period is computed, and the indicator's kind picks
            // one: a stock (or a rate at a date) its last value, a flow the sum, a rate of a flow
            // its summed parts. A flow counts only when its period lies inside one bucket; a
            // flow's running total (no start: everything to date) is kept apart and, like a
            // stock, takes its last value.
            format!(
                "SELECT {unit}, bucket, CAST(NULL AS DATE) AS bucket_end, \
                 CASE WHEN over_time = 'last' THEN CAST(NULL AS DATE) ELSE first_start END AS period_start, period_end, \
                 CASE over_time WHEN 'sum' THEN total WHEN 'parts' THEN pct(parts_n, parts_d) ELSE last END AS value, \
                 CASE WHEN over_time = 'last' THEN last_n ELSE parts_n END AS numerator, \
                 CASE WHEN over_time = 'last' THEN last_d ELSE parts_d END AS denominator, target, \
                 CASE WHEN rank = 0 THEN 'exact' WHEN over_time = 'last' THEN last_q ELSE 'approx' END AS qualifier, \
                 source_id, quote, obs_id \
                 FROM ( \
                   SELECT g.*, CASE WHEN starts = 0 THEN 'last' WHEN {kind} = 'flow' THEN 'sum' \
                                    WHEN {kind} = 'ratio' THEN 'parts' ELSE 'last' END AS over_time \
                   FROM ({}) g {join} \
                 ) t",
                per_unit(
                    "min(period_start) AS first_start, count(period_start) AS starts, sum(value) AS total, \
                     sum(numerator) AS parts_n, sum(denominator) AS parts_d, "
                )
            )
        }
    }
}

/// The output columns, in order, for rows reported at the level.
fn reported_select(level: Level, grain: Grain) -> String {
    format!(
        "SELECT indicator, {lname} AS geo_level, {key} AS code, province_code, district_code, commune_code, \
         {gname} AS grain, period_start, period_end, period_label(period_start, period_end) AS period, \
         value, numerator, denominator, target, qualifier, false AS derived, \
         CAST(NULL AS BIGINT) AS reporting, CAST(NULL AS BIGINT) AS expected, source_id, quote, obs_id \
         FROM at_level",
        lname = quoted(level.name()),
        gname = quoted(grain.name()),
        key = level.own_key(),
    )
}

/// Figures of `level` derived from the rows of reported level `source` (CTE `from_{n}`), as a
/// SELECT. The catalog's `aggregation` is joined after grouping.
fn derived_select(level: Level, grain: Grain, (source, from): (Level, &str), recompute: bool) -> String {
    let key = level.key();
    // A district's province is grouped on with it (it cannot vary: cheaper than an aggregate).
    let (codes, also) = match level {
        Level::District => ("province_code, district_code", ", province_code"),
        Level::Province => ("province_code, CAST(NULL AS VARCHAR) AS district_code", ""),
        _ => ("CAST(NULL AS VARCHAR) AS province_code, CAST(NULL AS VARCHAR) AS district_code", ""),
    };
    // As reported, the period is a group key; over coarser grains it spans the rows grouped.
    let (period, dates) = match grain {
        Grain::Reported | Grain::Day => {
            ("bucket, bucket_end", "bucket AS period_start, bucket_end AS period_end")
        }
        // A running total (no start) is kept apart from the flows of the bucket.
        _ => (
            "bucket, period_start IS NULL",
            "min(period_start) AS period_start, max(period_end) AS period_end",
        ),
    };
    format!(
        "SELECT d.indicator, '{lname}' AS geo_level, d.code, province_code, district_code, \
         CAST(NULL AS VARCHAR) AS commune_code, '{gname}' AS grain, period_start, period_end, \
         period_label(period_start, period_end) AS period, value, numerator, denominator, \
         CAST(NULL AS DOUBLE) AS target, \
         CASE WHEN reporting < coalesce(e.expected, reporting) AND aggregation = 'sum' THEN 'lower_bound' \
              WHEN reporting < coalesce(e.expected, reporting) THEN 'approx' \
              WHEN rank = 0 THEN 'exact' WHEN rank = 1 THEN 'lower_bound' ELSE 'approx' END AS qualifier, \
         true AS derived, reporting, e.expected, source_id, CAST(NULL AS VARCHAR) AS quote, {no_obs_id} AS obs_id \
         FROM ( \
           SELECT g.*, {value} AS value \
           FROM ( \
             SELECT indicator, {aggregation} AS aggregation, {key} AS code, {codes}, \
                    {dates}, {sums} \
                    {QUALIFIER_RANK} AS rank, count(*) AS reporting, \
                    CASE WHEN min(source_id) = max(source_id) THEN min(source_id) WHEN count(source_id) > 0 THEN 'several' END AS source_id \
             FROM {from} GROUP BY indicator, {key}{also}, {period} \
           ) g \
         ) d \
         LEFT JOIN ({expected}) e ON e.code = d.code \
         WHERE d.value IS NOT NULL AND d.code IS NOT NULL",
        lname = level.name(),
        gname = grain.name(),
        // Always NULL, but not the same constant as `quote`: DataFusion 55 takes two equal
        // constant columns for one, and a sort on `obs_id` over a union of such plans then fails
        // its own sanity check ("does not satisfy order requirements").
        no_obs_id = "CASE WHEN reporting < 0 THEN source_id END",
        expected = level.expected(source),
        aggregation = quoted(if recompute { "recompute" } else { "sum" }),
        // A sum needs only the values; a recomputed ratio only its parts.
        sums = if recompute {
            "sum(numerator) AS numerator, sum(denominator) AS denominator, count(numerator) AS with_n, \
             count(denominator) AS with_d,"
        } else {
            "sum(value) AS total, CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator,"
        },
        value = if recompute {
            "CASE WHEN with_n = reporting AND with_d = reporting THEN pct(numerator, denominator) END"
        } else {
            "total"
        },
    )
}

/// What makes two figures of one unit the same period at `grain`: two SQL keys.
fn same_period(grain: Grain) -> (String, String) {
    match grain {
        Grain::Reported | Grain::Day => ("period_start".to_string(), "period_end".to_string()),
        g => (
            "CAST(NULL AS DATE)".to_string(),
            format!("CAST(date_trunc('{}', period_end) AS DATE)", g.name()),
        ),
    }
}

/// The columns every part gives, in order.
const COLUMNS: [&str; 21] = [
    "indicator",
    "geo_level",
    "code",
    "province_code",
    "district_code",
    "commune_code",
    "grain",
    "period_start",
    "period_end",
    "period",
    "value",
    "numerator",
    "denominator",
    "target",
    "qualifier",
    "derived",
    "reporting",
    "expected",
    "source_id",
    "quote",
    "obs_id",
];

/// [`COLUMNS`] as a SELECT list of unqualified names (`name AS name`): a union of columns
/// qualified by their table reaches a cluster misnamed (`reported.indicator` as one name).
fn unqualified() -> String {
    COLUMNS.map(|c| format!("{c} AS {c}")).join(", ")
}

/// The SQL of `request`: one row per indicator, unit of the level and period of the grain.
pub fn sql(request: &Request) -> String {
    let (level, grain) = (request.level, request.grain);
    let mut ctes = vec![format!("base AS ({})", base(request))];
    let mut parts = Vec::new();
    let all = lone(&request.indicators);
    let stored = |l: &Level| request.stored.as_ref().is_none_or(|s| s.contains(l));
    if !request.derived_only && stored(&level) {
        ctes.push(format!("at_level AS ({})", regrained(grain, level, "base", all, request)));
        parts.push(("reported".to_string(), reported_select(level, grain)));
    }
    let mut classes = Vec::new();
    for (rule, recompute) in [("sum", false), ("recompute", true)] {
        let members: Vec<String> =
            request.rules.iter().filter(|(_, a)| a == rule).map(|(i, _)| i.clone()).collect();
        if !members.is_empty() {
            let list: Vec<String> = members.iter().map(|i| quoted(i)).collect();
            ctes.push(format!(
                "base_{rule} AS (SELECT * FROM base WHERE indicator IN ({}))",
                list.join(", ")
            ));
            classes.push((rule, recompute, members));
        }
    }
    for (n, source) in
        level.sources().iter().filter(|l| stored(l)).enumerate().filter(|_| !classes.is_empty())
    {
        let mut union = Vec::new();
        for (rule, recompute, members) in &classes {
            let from = format!("from_{n}_{rule}");
            let one = lone(members);
            ctes.push(format!(
                "{from} AS ({})",
                regrained(grain, *source, &format!("base_{rule}"), one, request)
            ));
            union.push(format!(
                "SELECT {} FROM ({}) u",
                unqualified(),
                derived_select(level, grain, (*source, &from), *recompute)
            ));
        }
        parts.push((format!("derived_{n}"), union.join(" UNION ALL ")));
    }
    if parts.is_empty() {
        // Derived figures only at the finest level, or no level holds rows: there are none.
        ctes.push(format!(
            "at_level AS (SELECT * FROM ({}) r WHERE false)",
            regrained(grain, level, "base", all, request)
        ));
        parts.push(("reported".to_string(), reported_select(level, grain)));
    }
    // Of a unit's figures for one period, the first part's are kept: reported, then derived from
    // the nearest level. Each part is planned once, in a union whose least preference per unit
    // and period is joined back. (A window over the union is shorter, but a cluster's stages
    // lose the order its partitions need.)
    let columns = unqualified();
    let mut picking = Vec::new();
    let body = if parts.len() == 1 {
        format!("SELECT {columns} FROM {}", parts[0].0)
    } else {
        let (k1, k2) = same_period(grain);
        let union: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!("SELECT {columns}, {k1} AS k1, {k2} AS k2, {i} AS preference FROM {name}")
            })
            .collect();
        picking.push(format!("every_part AS ({})", union.join(" UNION ALL ")));
        picking.push(
            "first_part AS (SELECT indicator, code, k1, k2, min(preference) AS preference FROM every_part \
             GROUP BY indicator, code, k1, k2)"
                .to_string(),
        );
        let qualified = COLUMNS.map(|c| format!("e.{c} AS {c}")).join(", ");
        format!(
            "SELECT {qualified} FROM every_part e JOIN first_part f ON e.indicator = f.indicator \
             AND (e.code IS NOT DISTINCT FROM f.code) AND (e.k1 IS NOT DISTINCT FROM f.k1) \
             AND (e.k2 IS NOT DISTINCT FROM f.k2) AND e.preference = f.preference"
        )
    };
    ctes.extend(parts.into_iter().map(|(name, body)| format!("{name} AS ({body})")));
    ctes.extend(picking);
    format!("WITH {} {body}", ctes.join(", "))
}
