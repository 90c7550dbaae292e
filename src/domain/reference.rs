//! Reference data kept beside the questionnaires (`questionnaires/reference/`): the 34 provinces
//! (and the 63 former ones), their 3,321 communes since July 2025, sectors, SME size classes per Decree 80/2021 and support programmes
//! per province (or former province) with their sources and validity dates, and the published
//! adoption targets (national or per province) that staff compare measured rates with. Data, not
//! code: a new subsidy or target is a few lines in a file.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::Text;
use crate::domain::problem::{Problem, Problems, line_col};

#[derive(Debug, Clone, PartialEq)]
pub struct Province {
    pub slug: String,
    pub name: Text,
    pub is_city: bool,
    /// Pre-July-2025 provinces merged into this one, as (slug, Vietnamese name).
    pub former: Vec<(String, String)>,
}

/// A commune, ward or special zone in force since 1 July 2025 (`communes.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// The current province's slug.
    pub province: String,
    pub slug: String,
    /// The official unit code.
    pub code: u32,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: String,
    pub name: Text,
    /// Which column of Decree 80/2021's size table applies.
    pub size_group: SizeGroup,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SizeGroup {
    /// Agriculture, forestry, fishery; industry and construction.
    AgriIndustryConstruction,
    TradeServices,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SizeClass {
    pub id: String,
    pub name: Text,
    pub max_employees: u32,
    pub max_revenue_bn: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SizeTable {
    pub group: SizeGroup,
    #[serde(rename = "class")]
    pub classes: Vec<SizeClass>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RevenueBand {
    pub id: String,
    pub label: Text,
    /// Upper bound in billion VND; None for the open top band.
    pub max_bn: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Programme {
    pub id: String,
    pub title: Text,
    pub description: Text,
    pub provider: Text,
    pub url: Option<String>,
    /// What the entry's facts were taken from (a decision, a plan, a page), in words.
    pub source: String,
    /// Whether the facts were checked against the official text; unverified entries say so.
    pub verified: bool,
    /// Current province slugs; empty (with no former provinces) means nationwide.
    pub provinces: Vec<String>,
    /// Former (pre-July-2025) province slugs: the programme is only for firms of that former
    /// unit, such as a Hải Dương subsidy inside today's Hải Phòng.
    pub former_provinces: Vec<String>,
    pub topics: Vec<String>,
    /// Size classes eligible; empty means every SME class.
    pub size_classes: Vec<String>,
    /// Only firms founded at most this many months ago ("chưa quá 1 năm" is 12).
    pub max_firm_age_months: Option<u32>,
    /// Open from this day; None means already open.
    pub valid_from: Option<NaiveDate>,
    /// Open until this day inclusive; None means no end date is set.
    pub valid_to: Option<NaiveDate>,
}

/// The size class of a firm above Decree 80/2021's "medium" limits: not an SME.
pub const LARGE: &str = "large";

/// What a programme looks at to decide whether a firm may claim it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Claimant<'a> {
    pub province: Option<&'a str>,
    /// The firm's former (pre-July-2025) province, when it gave one.
    pub former_province: Option<&'a str>,
    pub size_class: Option<&'a str>,
    /// Whole calendar months since founding (see `facts::Derived::firm_age_months`).
    pub firm_age_months: Option<u32>,
}

impl Programme {
    /// Whether the programme is open on `day`.
    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|end| day <= end)
    }

    pub fn is_nationwide(&self) -> bool {
        self.provinces.is_empty() && self.former_provinces.is_empty()
    }

    /// Whether `firm` can claim this programme on `today`.
    pub fn applies(&self, firm: &Claimant<'_>, today: NaiveDate) -> bool {
        let in_current = firm
            .province
            .is_some_and(|p| self.provinces.iter().any(|x| x == p));
        let in_former = firm
            .former_province
            .is_some_and(|p| self.former_provinces.iter().any(|x| x == p));
        let in_place = self.is_nationwide() || in_current || in_former;
        // No size classes listed means every SME (the file's convention), so not a large firm.
        let in_size = if self.size_classes.is_empty() {
            firm.size_class != Some(LARGE)
        } else {
            firm.size_class
                .is_some_and(|s| self.size_classes.iter().any(|x| x == s))
        };
        let in_age = match (self.max_firm_age_months, firm.firm_age_months) {
            (None, _) => true,
            (Some(max), Some(age)) => age <= max,
            (Some(_), None) => false,
        };
        self.open_on(today) && in_place && in_size && in_age
    }
}

/// Where a target's figure was published: a document (its number) or a page, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSource {
    /// What the document or page is, in words.
    pub title: String,
    /// The document's number, such as `123/2020/NĐ-CP`.
    pub document: Option<String>,
    pub url: Option<String>,
}

/// A published adoption target: by `year`, `share` (0–1) of firms in `province` (None:
/// nationwide) should have adopted `practice` (a `[[practice]]` id of the questionnaires).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    /// A current province slug; None for a national target.
    pub province: Option<String>,
    pub practice: String,
    pub share: f64,
    pub year: i32,
    /// What the target says, for people (bilingual).
    pub title: Text,
    pub source: TargetSource,
    /// Whether the figure was checked against the official text.
    pub verified: bool,
    /// Shown from this day.
    pub valid_from: NaiveDate,
    /// Shown until this day inclusive (a superseded target); None: no end set.
    pub valid_until: Option<NaiveDate>,
    /// Line and column of the `practice` value in `targets.toml`, so the check against the
    /// questionnaires' practices (made once they are loaded) can point at it.
    pub practice_at: (usize, usize),
}

impl Target {
    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_until.is_none_or(|end| day <= end)
    }

    pub fn is_national(&self) -> bool {
        self.province.is_none()
    }
}

/// How a target names the whole country instead of a province.
pub const NATIONAL: &str = "national";

/// The targets file beside the programmes; optional (no file, no targets).
pub const TARGETS_FILE: &str = "targets.toml";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reference {
    pub provinces: Vec<Province>,
    pub communes: Vec<Commune>,
    pub sectors: Vec<Sector>,
    pub size_tables: Vec<SizeTable>,
    pub revenue_bands: Vec<RevenueBand>,
    pub programmes: Vec<Programme>,
    pub targets: Vec<Target>,
    /// Where the targets were read from (for problems found once the questionnaires are loaded).
    pub targets_path: Option<std::path::PathBuf>,
}

impl Reference {
    pub fn province(&self, slug: &str) -> Option<&Province> {
        self.provinces.iter().find(|p| p.slug == slug)
    }

    pub fn sector(&self, id: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.id == id)
    }

    /// Former provinces (before July 2025), as (slug, Vietnamese name, current province slug).
    pub fn former_provinces(&self) -> Vec<(&str, &str, &str)> {
        let mut out: Vec<_> = self
            .provinces
            .iter()
            .flat_map(|p| {
                p.former
                    .iter()
                    .map(move |(s, n)| (s.as_str(), n.as_str(), p.slug.as_str()))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// All size-class ids in order, smallest first, ending with `large` (not an SME).
    pub fn size_class_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for table in &self.size_tables {
            for class in &table.classes {
                if !ids.contains(&class.id) {
                    ids.push(class.id.clone());
                }
            }
        }
        ids.push(LARGE.into());
        ids
    }

    /// The Decree 80/2021 size class from employees, sector and (if known) revenue band.
    /// A firm above every SME class is `large`.
    pub fn size_class(
        &self,
        sector: Option<&str>,
        employees: Option<f64>,
        revenue_band: Option<&str>,
    ) -> Option<String> {
        let employees = employees?;
        let group = sector
            .and_then(|s| self.sector(s))
            .map_or(SizeGroup::TradeServices, |s| s.size_group);
        let table = self.size_tables.iter().find(|t| t.group == group)?;
        let revenue = revenue_band.and_then(|b| self.revenue_bands.iter().find(|r| r.id == b));
        for class in &table.classes {
            let fits_staff = employees <= f64::from(class.max_employees);
            let fits_revenue = match revenue {
                None => true,
                Some(band) => band.max_bn.is_some_and(|max| max <= class.max_revenue_bn),
            };
            if fits_staff && fits_revenue {
                return Some(class.id.clone());
            }
        }
        Some(LARGE.into())
    }

    /// The targets that apply on `today` to a view of `province` (None: the whole country):
    /// the national ones, and the province's own when one is given, in file order. Several may
    /// name one practice (a national and a provincial goal, or goals for different years).
    pub fn targets_for(&self, province: Option<&str>, today: NaiveDate) -> Vec<&Target> {
        self.targets
            .iter()
            .filter(|t| t.open_on(today))
            .filter(|t| t.province.is_none() || t.province.as_deref() == province)
            .collect()
    }

    /// This reference data with its targets replaced by those of another file (test fixtures,
    /// or targets being prepared), checked against these provinces.
    pub fn with_targets_file(&self, path: &Path) -> Result<Reference, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|e| vec![io_problem(path, &e)])?;
        let mut problems = Problems::new(path, &text);
        let targets = parse_targets(&text, self, &mut problems);
        if !problems.is_empty() {
            return Err(problems.list);
        }
        Ok(Reference {
            targets,
            targets_path: Some(path.to_path_buf()),
            ..self.clone()
        })
    }

    /// This reference data with the programmes of another file added (test fixtures, or
    /// programmes being prepared), checked against these provinces and size classes.
    pub fn with_programmes_file(&self, path: &Path) -> Result<Reference, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|e| vec![io_problem(path, &e)])?;
        let mut problems = Problems::new(path, &text);
        let added = parse_programmes(&text, self, &mut problems);
        if let Some(dup) = added
            .iter()
            .find(|a| self.programmes.iter().any(|p| p.id == a.id))
        {
            problems.at(0, format!("programme `{}` is already in the data", dup.id));
        }
        if !problems.is_empty() {
            return Err(problems.list);
        }
        let mut programmes = self.programmes.clone();
        programmes.extend(added);
        Ok(Reference {
            programmes,
            ..self.clone()
        })
    }

    /// Loads `dir` (normally `questionnaires/reference`), reporting every problem found.
    pub fn load(dir: &Path) -> Result<Reference, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut reference = Reference::default();

        let provinces_path = dir.join("provinces.csv");
        match std::fs::read_to_string(&provinces_path) {
            Ok(text) => match parse_provinces(&provinces_path, &text) {
                Ok(p) => reference.provinces = p,
                Err(mut e) => problems.append(&mut e),
            },
            Err(e) => problems.push(io_problem(&provinces_path, &e)),
        }

        let communes_path = dir.join("communes.csv");
        match std::fs::read_to_string(&communes_path) {
            Ok(text) => match parse_communes(&communes_path, &text, &reference.provinces) {
                Ok(c) => reference.communes = c,
                Err(mut e) => problems.append(&mut e),
            },
            Err(e) => problems.push(io_problem(&communes_path, &e)),
        }

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct SectorsDoc {
            #[serde(rename = "sector")]
            sectors: Vec<Sector>,
        }
        if let Some(doc) = read_toml::<SectorsDoc>(&dir.join("sectors.toml"), &mut problems) {
            reference.sectors = doc.sectors;
        }

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct SizesDoc {
            #[serde(rename = "table")]
            tables: Vec<SizeTable>,
            #[serde(rename = "revenue_band")]
            revenue_bands: Vec<RevenueBand>,
        }
        if let Some(doc) = read_toml::<SizesDoc>(&dir.join("size-classes.toml"), &mut problems) {
            reference.size_tables = doc.tables;
            reference.revenue_bands = doc.revenue_bands;
        }

        let programmes_path = dir.join("support-programmes.toml");
        if let Ok(text) = std::fs::read_to_string(&programmes_path) {
            let mut file_problems = Problems::new(&programmes_path, &text);
            reference.programmes = parse_programmes(&text, &reference, &mut file_problems);
            problems.append(&mut file_problems.list);
        } else {
            problems.push(Problem {
                file: programmes_path,
                line: 1,
                col: 1,
                message: "cannot read support programmes".into(),
            });
        }

        let targets_path = dir.join(TARGETS_FILE);
        match std::fs::read_to_string(&targets_path) {
            Ok(text) => {
                let mut file_problems = Problems::new(&targets_path, &text);
                reference.targets = parse_targets(&text, &reference, &mut file_problems);
                problems.append(&mut file_problems.list);
                reference.targets_path = Some(targets_path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(io_problem(&targets_path, &e)),
        }

        if problems.is_empty() {
            Ok(reference)
        } else {
            Err(problems)
        }
    }
}

fn io_problem(path: &Path, error: &std::io::Error) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line: 1,
        col: 1,
        message: format!("cannot read: {error}"),
    }
}

fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(io_problem(path, &e));
            return None;
        }
    };
    match toml::from_str(&text) {
        Ok(doc) => Some(doc),
        Err(e) => {
            let mut p = Problems::new(path, &text);
            p.at(e.span().map_or(0, |s| s.start), e.message().to_string());
            problems.append(&mut p.list);
            None
        }
    }
}

fn parse_provinces(path: &Path, text: &str) -> Result<Vec<Province>, Vec<Problem>> {
    let mut problems = Problems::new(path, text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let expected = ["slug", "name_vi", "name_en", "kind", "former_units"];
    match reader.headers() {
        Ok(h) if h.iter().eq(expected.iter().copied()) => {}
        _ => problems.at_line(1, format!("the header must be {}", expected.join(","))),
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.at_line(line, e.to_string());
                continue;
            }
        };
        if record.len() != 5 {
            problems.at_line(line, "expected 5 columns");
            continue;
        }
        let slug = record[0].to_string();
        if !seen.insert(slug.clone()) {
            problems.at_line(line, format!("duplicate province `{slug}`"));
        }
        let former = record[4]
            .split(';')
            .filter(|s| !s.is_empty())
            .filter_map(|pair| {
                let (s, n) = pair.split_once(':')?;
                Some((s.to_string(), n.to_string()))
            })
            .collect();
        out.push(Province {
            slug,
            name: Text::new(&record[1], &record[2]),
            is_city: &record[3] == "city",
            former,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.list)
    }
}

fn parse_communes(
    path: &Path,
    text: &str,
    provinces: &[Province],
) -> Result<Vec<Commune>, Vec<Problem>> {
    let mut problems = Problems::new(path, text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let expected = ["province", "slug", "code", "name_vi", "kind"];
    match reader.headers() {
        Ok(h) if h.iter().eq(expected.iter().copied()) => {}
        _ => problems.at_line(1, format!("the header must be {}", expected.join(","))),
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) if r.len() == 5 => r,
            Ok(_) => {
                problems.at_line(line, "expected 5 columns");
                continue;
            }
            Err(e) => {
                problems.at_line(line, e.to_string());
                continue;
            }
        };
        let province = &record[0];
        if !provinces.is_empty() && !provinces.iter().any(|p| p.slug == province) {
            problems.at_line(line, format!("unknown province `{province}`"));
        }
        if !seen.insert(record[1].to_string()) {
            problems.at_line(line, format!("duplicate commune `{}`", &record[1]));
        }
        let Ok(code) = record[2].parse() else {
            problems.at_line(line, "the code must be a number");
            continue;
        };
        out.push(Commune {
            province: province.to_string(),
            slug: record[1].to_string(),
            code,
            name: record[3].to_string(),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.list)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgrammeDoc {
    id: Spanned<String>,
    title: Text,
    description: Text,
    provider: Text,
    #[serde(default)]
    url: Option<Spanned<String>>,
    source: Spanned<String>,
    verified: bool,
    #[serde(default)]
    provinces: Vec<Spanned<String>>,
    #[serde(default)]
    former_provinces: Vec<Spanned<String>>,
    topics: Vec<String>,
    #[serde(default)]
    size_classes: Vec<Spanned<String>>,
    #[serde(default)]
    max_firm_age_months: Option<u32>,
    #[serde(default)]
    valid_from: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    valid_to: Option<Spanned<toml::value::Datetime>>,
}

fn to_date(dt: &Spanned<toml::value::Datetime>, problems: &mut Problems) -> Option<NaiveDate> {
    let date = dt.get_ref().date.as_ref().and_then(|d| {
        NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
    });
    if date.is_none() {
        problems.at(dt.span().start, "expected a date such as 2026-01-01");
    }
    date
}

fn parse_programmes(text: &str, reference: &Reference, problems: &mut Problems) -> Vec<Programme> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(rename = "programme")]
        programmes: Vec<ProgrammeDoc>,
    }
    let doc: Doc = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            problems.at(e.span().map_or(0, |s| s.start), e.message().to_string());
            return Vec::new();
        }
    };
    let mut seen = HashSet::new();
    let sizes = reference.size_class_ids();
    let mut out = Vec::new();
    for p in doc.programmes {
        if !seen.insert(p.id.get_ref().clone()) {
            problems.at(
                p.id.span().start,
                format!("duplicate programme `{}`", p.id.get_ref()),
            );
        }
        for prov in &p.provinces {
            if !reference.provinces.is_empty() && reference.province(prov.get_ref()).is_none() {
                problems.at(
                    prov.span().start,
                    format!(
                        "unknown province `{}` (use one of the 34 slugs)",
                        prov.get_ref()
                    ),
                );
            }
        }
        let former = reference.former_provinces();
        for prov in &p.former_provinces {
            if !former.is_empty() && !former.iter().any(|(slug, _, _)| slug == prov.get_ref()) {
                problems.at(
                    prov.span().start,
                    format!("unknown former province `{}`", prov.get_ref()),
                );
            }
        }
        if p.source.get_ref().trim().is_empty() {
            problems.at(
                p.source.span().start,
                "say where the programme's facts come from",
            );
        }
        for size in &p.size_classes {
            if !sizes.is_empty() && !sizes.contains(size.get_ref()) {
                problems.at(
                    size.span().start,
                    format!("unknown size class `{}`", size.get_ref()),
                );
            }
        }
        if let Some(url) = &p.url
            && !url.get_ref().starts_with("https://")
        {
            problems.at(url.span().start, "links must start with https://");
        }
        let from = p.valid_from.as_ref().and_then(|d| to_date(d, problems));
        let to = p.valid_to.as_ref().and_then(|d| to_date(d, problems));
        if let (Some(f), Some(t), Some(at)) = (from, to, p.valid_to.as_ref())
            && t < f
        {
            problems.at(at.span().start, "valid_to is before valid_from");
        }
        for (field, t) in [
            ("title", &p.title),
            ("description", &p.description),
            ("provider", &p.provider),
        ] {
            for lang in t.missing() {
                problems.at(
                    p.id.span().start,
                    format!(
                        "programme `{}`: {field} has no {} text",
                        p.id.get_ref(),
                        lang.code()
                    ),
                );
            }
        }
        out.push(Programme {
            id: p.id.into_inner(),
            title: p.title,
            description: p.description,
            provider: p.provider,
            url: p.url.map(Spanned::into_inner),
            source: p.source.into_inner(),
            verified: p.verified,
            provinces: p.provinces.into_iter().map(Spanned::into_inner).collect(),
            former_provinces: p
                .former_provinces
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            topics: p.topics,
            size_classes: p
                .size_classes
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            max_firm_age_months: p.max_firm_age_months,
            valid_from: from,
            valid_to: to,
        });
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDoc {
    id: Spanned<String>,
    /// A current province slug, or `national`.
    province: Spanned<String>,
    practice: Spanned<String>,
    share: Spanned<f64>,
    year: Spanned<i32>,
    title: Text,
    source: TargetSourceDoc,
    verified: bool,
    valid_from: Spanned<toml::value::Datetime>,
    #[serde(default)]
    valid_until: Option<Spanned<toml::value::Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSourceDoc {
    title: Spanned<String>,
    #[serde(default)]
    document: Option<String>,
    #[serde(default)]
    url: Option<Spanned<String>>,
}

/// The most distant target year accepted: a typo such as 20300 is refused.
const TARGET_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

fn parse_targets(text: &str, reference: &Reference, problems: &mut Problems) -> Vec<Target> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default, rename = "target")]
        targets: Vec<TargetDoc>,
    }
    let doc: Doc = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            problems.at(e.span().map_or(0, |s| s.start), e.message().to_string());
            return Vec::new();
        }
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for t in doc.targets {
        let id = t.id.get_ref().clone();
        if !seen.insert(id.clone()) {
            problems.at(t.id.span().start, format!("duplicate target `{id}`"));
        }
        let province = match t.province.get_ref().as_str() {
            NATIONAL => None,
            slug => {
                if reference.province(slug).is_none() {
                    problems.at(
                        t.province.span().start,
                        format!(
                            "unknown province `{slug}` (use one of the 34 slugs, or `{NATIONAL}`)"
                        ),
                    );
                }
                Some(slug.to_string())
            }
        };
        let share = *t.share.get_ref();
        if !(0.0..=1.0).contains(&share) {
            problems.at(
                t.share.span().start,
                format!("a target share is between 0 and 1 (write 80 % as 0.8), not {share}"),
            );
        }
        if !TARGET_YEARS.contains(t.year.get_ref()) {
            problems.at(
                t.year.span().start,
                format!(
                    "the target year must be between {} and {}",
                    TARGET_YEARS.start(),
                    TARGET_YEARS.end()
                ),
            );
        }
        if t.source.title.get_ref().trim().is_empty() {
            problems.at(
                t.source.title.span().start,
                "say which document or page the target comes from",
            );
        }
        if t.source
            .document
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
            && t.source.url.is_none()
        {
            problems.at(
                t.id.span().start,
                format!("target `{id}`: give its source's document number or URL"),
            );
        }
        if let Some(url) = &t.source.url
            && !url.get_ref().starts_with("https://")
        {
            problems.at(url.span().start, "links must start with https://");
        }
        for lang in t.title.missing() {
            problems.at(
                t.id.span().start,
                format!("target `{id}`: title has no {} text", lang.code()),
            );
        }
        let from = to_date(&t.valid_from, problems);
        let until = t.valid_until.as_ref().and_then(|d| to_date(d, problems));
        if let (Some(f), Some(u), Some(at)) = (from, until, t.valid_until.as_ref())
            && u < f
        {
            problems.at(at.span().start, "valid_until is before valid_from");
        }
        let practice_at = line_col(text, t.practice.span().start);
        let Some(valid_from) = from else { continue };
        out.push(Target {
            id,
            province,
            practice: t.practice.into_inner(),
            share,
            year: t.year.into_inner(),
            title: t.title,
            source: TargetSource {
                title: t.source.title.into_inner(),
                document: t.source.document,
                url: t.source.url.map(Spanned::into_inner),
            },
            verified: t.verified,
            valid_from,
            valid_until: until,
            practice_at,
        });
    }
    out
}
