//! The admin-unit reference (legacy provinces and districts, the 2025 provinces), read once from
//! the data built into chiso, with lookups by code and by name (with or without tone marks).
use std::collections::HashMap;
use std::sync::OnceLock;

use datafusion::arrow::record_batch::RecordBatch;

use super::build::read_table;
use super::datasets::Datasets;
use super::schema::table_def;
use super::text::strings;

/// A legacy province.
#[derive(Debug, Clone)]
pub struct Province {
    /// 2-digit code.
    pub code: String,
    /// Name without the word tỉnh / thành phố.
    pub name: String,
    /// Statistical region.
    pub region: String,
    /// Code of the 2025 province it became part of.
    pub code_2025: String,
}

/// A legacy district.
#[derive(Debug, Clone)]
pub struct District {
    /// 3-digit code.
    pub code: String,
    /// Name without the word huyện / quận / thị xã / thành phố.
    pub name: String,
    /// Code of its province.
    pub province_code: String,
}

/// A legacy commune.
#[derive(Debug, Clone)]
pub struct Commune {
    /// 5-digit code.
    pub code: String,
    /// Name without the word xã / phường / thị trấn.
    pub name: String,
    /// Code of its district.
    pub district_code: String,
    /// Code of its province.
    pub province_code: String,
}

/// The reference tables, indexed.
#[derive(Debug, Default)]
pub struct Reference {
    /// Legacy provinces by code.
    pub provinces: HashMap<String, Province>,
    /// 2025 province names by code.
    pub provinces_2025: HashMap<String, String>,
    /// Legacy districts.
    pub districts: Vec<District>,
    /// Folded province name → code.
    province_by_name: HashMap<String, String>,
    /// Folded province names with their codes, longest first.
    province_names: Vec<(String, String)>,
}

/// Lower case, tone marks and `đ` folded, single spaces: how names are compared.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn column(batch: &RecordBatch, name: &str, row: usize) -> String {
    strings(batch, name).map(|c| c.value(row).to_string()).unwrap_or_default()
}

fn rows(table: &str) -> Vec<RecordBatch> {
    // The reference data is compiled in: a table that does not parse is a mistake in the build,
    // which every test that names a place finds.
    let def = table_def(table).expect("a built-in reference table");
    read_table(&Datasets::Embedded, def).expect("the built-in reference data parses")
}

/// The reference, loaded on first use.
pub fn reference() -> &'static Reference {
    static CELL: OnceLock<Reference> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut r = Reference::default();
        for batch in rows("provinces") {
            for i in 0..batch.num_rows() {
                let p = Province {
                    code: column(&batch, "code", i),
                    name: column(&batch, "name", i),
                    region: column(&batch, "region", i),
                    code_2025: column(&batch, "province_2025_code", i),
                };
                r.province_by_name.insert(fold(&p.name), p.code.clone());
                r.provinces.insert(p.code.clone(), p);
            }
        }
        r.province_names = r.province_by_name.iter().map(|(n, c)| (n.clone(), c.clone())).collect();
        r.province_names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        for batch in rows("provinces_2025") {
            for i in 0..batch.num_rows() {
                r.provinces_2025.insert(column(&batch, "code", i), column(&batch, "name", i));
            }
        }
        for batch in rows("districts") {
            for i in 0..batch.num_rows() {
                r.districts.push(District {
                    code: column(&batch, "code", i),
                    name: column(&batch, "name", i),
                    province_code: column(&batch, "province_code", i),
                });
            }
        }
        r
    })
}

/// The 10,035 legacy communes, loaded on first use (apart from the rest, which is smaller and
/// needed more often).
pub fn communes() -> &'static [Commune] {
    static CELL: OnceLock<Vec<Commune>> = OnceLock::new();
    CELL.get_or_init(|| {
        each_row("communes", |batch, i| Commune {
            code: column(batch, "code", i),
            name: column(batch, "name", i),
            district_code: column(batch, "district_code", i),
            province_code: column(batch, "province_code", i),
        })
    })
}

/// Every row of built-in table `table`, as `make` makes it from its batch and index.
fn each_row<T>(table: &str, make: impl Fn(&RecordBatch, usize) -> T) -> Vec<T> {
    rows(table)
        .iter()
        .flat_map(|batch| (0..batch.num_rows()).map(|i| make(batch, i)).collect::<Vec<_>>())
        .collect()
}

/// A commune, ward or special zone in force since 2025-07-01.
#[derive(Debug, Clone)]
pub struct Commune2025 {
    /// 5-digit code.
    pub code: String,
    /// Name without the word xã / phường / đặc khu.
    pub name: String,
    /// Code of its 2025 province.
    pub province_2025_code: String,
}

/// The 3,321 communes of 2025, loaded on first use.
pub fn communes_2025() -> &'static [Commune2025] {
    static CELL: OnceLock<Vec<Commune2025>> = OnceLock::new();
    CELL.get_or_init(|| {
        each_row("communes_2025", |batch, i| Commune2025 {
            code: column(batch, "code", i),
            name: column(batch, "name", i),
            province_2025_code: column(batch, "province_2025_code", i),
        })
    })
}

/// The 2025 communes each legacy commune became part of (`commune_crosswalk`), the package's
/// default first: one for a commune taken whole, several for one split.
pub fn commune_targets() -> &'static HashMap<String, Vec<String>> {
    static CELL: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for batch in rows("commune_crosswalk") {
            let default = batch
                .column_by_name("is_default")
                .and_then(|c| c.as_any().downcast_ref::<datafusion::arrow::array::BooleanArray>().cloned());
            for i in 0..batch.num_rows() {
                let targets = out.entry(column(&batch, "legacy_code", i)).or_default();
                let code = column(&batch, "code_2025", i);
                if default.as_ref().is_some_and(|d| d.value(i)) {
                    targets.insert(0, code);
                } else {
                    targets.push(code);
                }
            }
        }
        out
    })
}

/// The words that may come before a unit's name, folded.
const UNIT_WORDS: [&str; 11] = [
    "tinh ",
    "thanh pho ",
    "tp. ",
    "tp.",
    "huyen ",
    "quan ",
    "thi xa ",
    "thi tran ",
    "xa ",
    "phuong ",
    "dac khu ",
];

/// `folded` without a leading unit word.
pub fn bare(folded: &str) -> &str {
    UNIT_WORDS.iter().find_map(|p| folded.strip_prefix(p)).map(str::trim).unwrap_or(folded)
}

/// Every code among `units` (`(code, name, province code)`) named `input`: a name, or a name
/// and its province after a comma (`Châu Thành, Long An`) where the name alone is shared, the
/// province found by `province` (which gives codes of the kind the units' third field holds).
/// Several where units share the name.
pub fn codes_by_name<'a>(
    units: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
    input: &str,
    province: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let (name, province) = match input.split_once(',') {
        Some((n, p)) => (n, province(p)),
        None => (input, None),
    };
    let folded = fold(name);
    let name = bare(&folded);
    units
        .filter(|(_, n, p)| fold(n) == name && province.as_deref().is_none_or(|want| want == *p))
        .map(|(code, _, _)| code.to_string())
        .collect()
}

impl Reference {
    /// The legacy code of a province given by code or by name (with or without tone marks or the
    /// words tỉnh / thành phố).
    pub fn province_code(&self, input: &str) -> Option<String> {
        let trimmed = input.trim();
        if !trimmed.is_empty() && trimmed.len() <= 2 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let code = format!("{trimmed:0>2}");
            return self.provinces.contains_key(&code).then_some(code);
        }
        self.province_by_name.get(bare(&fold(trimmed))).cloned()
    }

    /// The code of a 2025 province given by code or by name.
    pub fn province_2025_code(&self, input: &str) -> Option<String> {
        let trimmed = input.trim();
        if !trimmed.is_empty() && trimmed.len() <= 2 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let code = format!("{trimmed:0>2}");
            return self.provinces_2025.contains_key(&code).then_some(code);
        }
        let want = fold(trimmed);
        let want = bare(&want);
        self.provinces_2025.iter().find(|(_, name)| fold(name) == want).map(|(code, _)| code.clone())
    }

    /// The code of the 2025 province given by its code or name, or by a legacy province's name
    /// (the 2025 province it became part of).
    pub fn province_2025_of(&self, input: &str) -> Option<String> {
        self.province_2025_code(input).or_else(|| {
            let legacy = self.province_code(input)?;
            self.provinces.get(&legacy).map(|p| p.code_2025.clone())
        })
    }

    /// The statistical region named `input` (tone marks optional), as the tables write it.
    pub fn region(&self, input: &str) -> Option<String> {
        let want = fold(input);
        self.provinces.values().map(|p| &p.region).find(|r| fold(r) == want).cloned()
    }

    /// Folded province names with their codes, longest first (for finding them in text).
    pub fn province_names(&self) -> &[(String, String)] {
        &self.province_names
    }
}
