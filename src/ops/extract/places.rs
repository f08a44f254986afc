//! Where a figure is: the units a sentence names (`tỉnh`, `huyện`, `thành phố`, `TP.`, `xã`,
//! `phường`, `thị trấn`, `đặc khu` and a capitalised name from the reference tables; province
//! names alone; the usual short forms of Hồ Chí Minh City; in a report after the 1 July 2025
//! reform, the communes and wards of 2025 by name, with or without their type word), the nation
//! (`cả nước`, `1 trong 13 địa phương`), and the unit a sentence points back to (`toàn xã`,
//! `con số này`).
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::text::{phrase_at, words, Word};
use crate::storage::reference::{bare, commune_targets, communes, communes_2025, fold, reference};

/// A place named in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Province code; `None` for the nation.
    pub province: Option<String>,
    /// District code, for a district or a commune.
    pub district: Option<String>,
    /// Commune code, for a commune.
    pub commune: Option<String>,
    /// Byte offset in the text.
    pub at: usize,
    /// Only the figure at `at` is here (the 13 of `1 trong 13 địa phương`).
    pub only_at: bool,
    /// `commune` is the code of a 2025 commune (no district); `province` is then the legacy
    /// province its parts came from.
    pub reform: bool,
}

impl Place {
    /// The nation.
    pub fn is_national(&self) -> bool {
        self.province.is_none() && self.commune.is_none()
    }

    /// `national`, `province`, `district`, `commune` or `commune_2025`.
    pub fn level(&self) -> &'static str {
        match (&self.province, &self.district, &self.commune) {
            (_, _, Some(_)) if self.reform => "commune_2025",
            (None, _, _) => "national",
            (_, _, Some(_)) => "commune",
            (_, Some(_), _) => "district",
            _ => "province",
        }
    }

    /// A district or a commune (legacy or 2025): a unit below the province.
    pub fn is_local(&self) -> bool {
        self.district.is_some() || self.commune.is_some()
    }

    fn province(code: String, at: usize) -> Self {
        Place { province: Some(code), district: None, commune: None, at, only_at: false, reform: false }
    }
}

/// The provinces a report's unit names are looked up in: its own, and, for a report after the
/// 1 July 2025 merger, the legacy provinces merged with it (their communes now share its name)
/// and the 2025 province they form, whose communes and wards are then named too.
#[derive(Debug, Clone, Default)]
pub struct Scope(Vec<String>, Option<String>);

impl Scope {
    /// The scope of a report on `province` (legacy code); `after_merger` when the report speaks
    /// of a day on or after 2025-07-01.
    pub fn new(province: Option<&str>, after_merger: bool) -> Self {
        let Some(code) = province else { return Self::default() };
        let r = reference();
        let mut codes = vec![code.to_string()];
        let new = r.provinces.get(code).map(|p| p.code_2025.clone()).filter(|_| after_merger);
        if let Some(new) = &new {
            let mut others: Vec<String> = r
                .provinces
                .values()
                .filter(|p| p.code_2025 == *new && p.code != code)
                .map(|p| p.code.clone())
                .collect();
            others.sort();
            codes.extend(others);
        }
        Self(codes, new)
    }

    fn has(&self, province: &str) -> bool {
        self.0.iter().any(|c| c == province)
    }
}

fn unit_pattern() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| {
        // A constant pattern: a mistake in it fails every test that reads a report.
        Regex::new(
            r"(?i)\b(huyện|quận|thị xã|thành phố|tp\.?|tỉnh|thị trấn|xã|phường|đặc khu)\s*((?-i:\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){0,3}))",
        )
        .expect("a constant pattern")
    })
}

/// Folded name → (district code, province code).
fn districts_by_name() -> &'static HashMap<String, Vec<(String, String)>> {
    static CELL: OnceLock<HashMap<String, Vec<(String, String)>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for d in &reference().districts {
            map.entry(fold(&d.name)).or_default().push((d.code.clone(), d.province_code.clone()));
        }
        map
    })
}

/// (commune code, district code, province code).
type CommuneCodes = (String, String, String);

/// Folded name → the communes of that name.
fn communes_by_name() -> &'static HashMap<String, Vec<CommuneCodes>> {
    static CELL: OnceLock<HashMap<String, Vec<CommuneCodes>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut map: HashMap<String, Vec<CommuneCodes>> = HashMap::new();
        for c in communes() {
            map.entry(fold(&c.name)).or_default().push((
                c.code.clone(),
                c.district_code.clone(),
                c.province_code.clone(),
            ));
        }
        map
    })
}

/// The one entry of `found` in scope; with no scope, the only entry.
fn pick<'a, T>(found: &'a [T], scope: &Scope, province: impl Fn(&T) -> &str) -> Option<&'a T> {
    let mut inside = found.iter().filter(|f| scope.has(province(f)));
    match (inside.next(), inside.next()) {
        (Some(one), None) => Some(one),
        (Some(_), Some(_)) => None,
        (None, _) if found.len() == 1 => found.first(),
        _ => None,
    }
}

/// The short forms of Hồ Chí Minh City's name, folded, as single words or pairs.
const HCM: &[&[&str]] = &[&["tphcm"], &["tp", "hcm"], &["hcm"], &["tp", "ho", "chi", "minh"]];

/// Places `text` names, in order. District and commune names shared by several provinces resolve
/// within `scope`; a commune name shared within it, by the district the text names.
pub fn places(text: &str, scope: &Scope) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    for c in unit_pattern().captures_iter(text) {
        let (Some(kind), Some(name)) = (c.get(1), c.get(2)) else { continue };
        let kind = fold(kind.as_str());
        let at = kind_start(&c);
        let names: Vec<&str> = name.as_str().split_whitespace().collect();
        // The longest run of capitalised words that names a unit: `Bến Lức thực` → `Bến Lức`.
        for n in (1..=names.len()).rev() {
            let candidate = fold(&names[..n].join(" "));
            if let Some(place) = unit(&kind, &candidate, text, scope, at) {
                out.push(place);
                break;
            }
        }
    }
    let ws = words(text);
    // Province names standing alone (`Hưng Yên là 1 trong 3 tỉnh`), and Hồ Chí Minh City's short forms.
    for (name, code) in reference().province_names() {
        let parts: Vec<&str> = name.split(' ').collect();
        for k in 0..ws.len() {
            if ws[k].folded == parts[0] && phrase_at(&ws, k, &parts) && !near_another(&out, ws[k].start) {
                out.push(Place::province(code.clone(), ws[k].start));
            }
        }
    }
    for k in 0..ws.len() {
        if HCM.iter().any(|f| phrase_at(&ws, k, f)) && !near_another(&out, ws[k].start) {
            out.push(Place::province("79".into(), ws[k].start));
        }
    }
    // After the reform, a 2025 commune or ward by its name alone (`Quy Nhơn Đông đạt 98%`).
    if let Some(new) = &scope.1 {
        // Not a run inside a name found above, nor the run of a province's name.
        let taken: Vec<(usize, usize)> = unit_pattern()
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .chain(out.iter().filter(|p| !p.is_local()).map(|p| (p.at, p.at + 1)))
            .collect();
        for m in name_run().find_iter(text) {
            if taken.iter().any(|(a, b)| *a <= m.start() && m.start() < *b) {
                continue;
            }
            let names: Vec<&str> = m.as_str().split_whitespace().collect();
            for n in (2..=names.len()).rev() {
                if let Some(place) = commune_2025(new, &fold(&names[..n].join(" ")), m.start()) {
                    out.push(place);
                    break;
                }
            }
        }
    }
    // The nation: `cả nước`, `toàn quốc`, and the total of `1 trong 13 địa phương`.
    for k in 0..ws.len() {
        let whole = phrase_at(&ws, k, &["ca", "nuoc"]) || phrase_at(&ws, k, &["toan", "quoc"]);
        let one_of =
            k >= 2 && matches!(ws[k - 2].folded.as_str(), "1" | "mot") && ws[k - 1].folded == "trong";
        if whole || one_of {
            out.push(Place {
                province: None,
                district: None,
                commune: None,
                at: ws[k].start,
                only_at: one_of,
                reform: false,
            });
        }
    }
    out.sort_by_key(|p| p.at);
    // `xã Minh Sơn (huyện Đô Lương)`: a district named right after one of its communes says where
    // the commune is; it is not a place of its own.
    let parents: Vec<(String, usize)> = out
        .iter()
        .filter(|p| p.commune.is_some())
        .filter_map(|p| Some((p.district.clone()?, p.at)))
        .collect();
    out.retain(|p| {
        p.commune.is_some()
            || !parents.iter().any(|(d, at)| p.district.as_ref() == Some(d) && *at < p.at && p.at - at < 60)
    });
    out
}

fn kind_start(c: &regex::Captures) -> usize {
    c.get(0).map(|m| m.start()).unwrap_or(0)
}

fn near_another(out: &[Place], at: usize) -> bool {
    out.iter().any(|pl| pl.at <= at && at < pl.at + 40)
}

/// The unit of kind `kind` (folded: `huyen`, `xa`, ...) named `name` (folded).
fn unit(kind: &str, name: &str, text: &str, scope: &Scope, at: usize) -> Option<Place> {
    let r = reference();
    match kind {
        "xa" | "phuong" | "dac khu" if scope.1.is_some() => {
            let new = scope.1.as_deref().unwrap_or_default();
            commune_2025(new, name, at).or_else(|| unit("thi tran", name, text, scope, at))
        }
        "dac khu" => None,
        "xa" | "phuong" | "thi tran" => {
            let found = communes_by_name().get(name)?;
            let mut inside: Vec<&CommuneCodes> = found.iter().filter(|c| scope.has(&c.2)).collect();
            // Ten thousand communes share few names across the country: outside the report's
            // province one is taken only when the report's province is unknown.
            if inside.is_empty() && found.len() == 1 && scope.0.is_empty() {
                inside = found.iter().collect();
            }
            if inside.len() > 1 {
                // `xã X (huyện Y)`: the district the text names decides.
                let named: Vec<String> =
                    places_of_kind(text, scope, &["huyen", "quan", "thi xa", "thanh pho"]);
                inside.retain(|c| named.contains(&c.1));
            }
            let [(code, district, province)] = inside.as_slice() else { return None };
            Some(Place {
                province: Some(province.clone()),
                district: Some(district.clone()),
                commune: Some(code.clone()),
                at,
                only_at: false,
                reform: false,
            })
        }
        "tinh" => Some(Place::province(r.province_code(name)?, at)),
        _ => {
            let district = districts_by_name().get(name).and_then(|found| pick(found, scope, |d| &d.1));
            if let Some((d, p)) = district {
                return Some(Place {
                    province: Some(p.clone()),
                    district: Some(d.clone()),
                    commune: None,
                    at,
                    only_at: false,
                    reform: false,
                });
            }
            // `thành phố Đà Nẵng`, `TP Hồ Chí Minh`: a city that is a province.
            let code = r.province_code(name).filter(|_| kind != "huyen" && kind != "quan")?;
            Some(Place::province(code, at))
        }
    }
}

/// The unit a table's row header names: with its type word as [`places`] reads it, else by its
/// name alone, within `scope`: a 2025 commune or ward after the reform, else a legacy district,
/// then a legacy commune, then a province.
pub fn place_named(cell: &str, scope: &Scope) -> Option<Place> {
    let cell = cell.trim();
    if let Some(p) = places(cell, scope).into_iter().find(|p| p.at == 0 && !p.is_national()) {
        return Some(p);
    }
    // The type word written without its tone marks (`Phuong Quy Nhon Nam`) is still a type word.
    let folded = fold(cell);
    let name = bare(&folded);
    let after = scope.1.as_deref().and_then(|new| commune_2025(new, name, 0));
    after
        .or_else(|| unit("huyen", name, cell, scope, 0))
        .or_else(|| unit("thi tran", name, cell, scope, 0))
        .or_else(|| unit("tinh", name, cell, scope, 0))
}

/// Runs of up to five capitalised words: where a 2025 unit's bare name may be.
fn name_run() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| {
        // A constant pattern: a mistake in it fails every test that reads a report.
        Regex::new(r"\b\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){1,4}").expect("a constant pattern")
    })
}

/// Folded name → the 2025 communes of that name, with their 2025 province.
fn communes_2025_by_name() -> &'static HashMap<String, Vec<(String, String)>> {
    static CELL: OnceLock<HashMap<String, Vec<(String, String)>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for c in communes_2025() {
            map.entry(fold(&c.name)).or_default().push((c.code.clone(), c.province_2025_code.clone()));
        }
        map
    })
}

/// 2025 commune code → the one legacy province its parts came from (none where they came from
/// several).
fn legacy_province_2025() -> &'static HashMap<String, String> {
    static CELL: OnceLock<HashMap<String, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let province: HashMap<&str, &str> =
            communes().iter().map(|c| (c.code.as_str(), c.province_code.as_str())).collect();
        let mut of: HashMap<String, Option<String>> = HashMap::new();
        for (legacy, targets) in commune_targets() {
            let Some(p) = province.get(legacy.as_str()) else { continue };
            for t in targets {
                let entry = of.entry(t.clone()).or_insert_with(|| Some(p.to_string()));
                if entry.as_deref() != Some(*p) {
                    *entry = None;
                }
            }
        }
        of.into_iter().filter_map(|(c, p)| Some((c, p?))).collect()
    })
}

/// The 2025 commune of province `new` (2025 code) named `name` (folded, no type word).
fn commune_2025(new: &str, name: &str, at: usize) -> Option<Place> {
    let found = communes_2025_by_name().get(name)?;
    let mut inside = found.iter().filter(|c| c.1 == new);
    let (Some((code, _)), None) = (inside.next(), inside.next()) else { return None };
    Some(Place {
        province: legacy_province_2025().get(code).cloned(),
        district: None,
        commune: Some(code.clone()),
        at,
        only_at: false,
        reform: true,
    })
}

/// District codes the text names with one of `kinds`.
fn places_of_kind(text: &str, scope: &Scope, kinds: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for c in unit_pattern().captures_iter(text) {
        let (Some(kind), Some(name)) = (c.get(1), c.get(2)) else { continue };
        if !kinds.contains(&fold(kind.as_str()).as_str()) {
            continue;
        }
        let names: Vec<&str> = name.as_str().split_whitespace().collect();
        for n in (1..=names.len()).rev() {
            let found = districts_by_name().get(&fold(&names[..n].join(" ")));
            if let Some((d, _)) = found.and_then(|f| pick(f, scope, |d| &d.1)) {
                out.push(d.clone());
                break;
            }
        }
    }
    out
}

/// What a sentence points back to when it names no unit itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Back {
    /// `toàn tỉnh`, `trong tỉnh`: the report's province.
    Province,
    /// `toàn huyện`, `Công an huyện`, `huyện thu nhận`: the district named last.
    District,
    /// `toàn xã`, `trong xã`: the commune named last.
    Commune,
    /// `con số này`, `số này`: whatever the sentence before was about.
    Same,
}

/// Words before a bare unit word that make it a tier or a count, not the unit named before:
/// `cấp huyện`, `các xã`, `15/15 huyện`.
const NOT_BACK: &[&str] = &["cap", "cac", "nhieu", "moi", "nhung", "tung", "va", "hoac"];

/// How a sentence points back to a unit named before it, if it does: `toàn xã`, `trong huyện`,
/// `huyện thu nhận` (the word alone, no name after it), `con số này`.
pub fn points_back(text: &str, words: &[Word]) -> Option<Back> {
    for (k, w) in words.iter().enumerate() {
        if phrase_at(words, k, &["con", "so", "nay"]) || phrase_at(words, k, &["so", "nay"]) {
            return Some(Back::Same);
        }
        let back = match w.folded.as_str() {
            "tinh" => Back::Province,
            "huyen" => Back::District,
            "xa" | "phuong" => Back::Commune,
            _ => continue,
        };
        let prev = k.checked_sub(1).map(|p| words[p].folded.as_str()).unwrap_or("");
        let next = words.get(k + 1);
        // A name after it is a unit named here (see [`places`]); a comma makes it a list.
        let named = next.is_some_and(|n| {
            text[n.start..].starts_with(|c: char| c.is_uppercase())
                || text[w.end..n.start].contains([',', ';'])
        });
        let counted = prev.starts_with(|c: char| c.is_ascii_digit()) || NOT_BACK.contains(&prev);
        if !named && !counted && next.is_some() {
            return Some(back);
        }
    }
    None
}

/// The province a report is about: the one it names most, else the province of the units it names.
pub fn report_province(text: &str) -> Option<String> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for place in places(text, &Scope::default()) {
        let Some(province) = place.province.clone() else { continue };
        let entry = counts.entry(province).or_default();
        if place.is_local() {
            entry.1 += 1
        } else {
            entry.0 += 1
        }
    }
    counts
        .into_iter()
        .max_by_key(|(code, (named, via))| (*named, *via, std::cmp::Reverse(code.clone())))
        .map(|(c, _)| c)
}
