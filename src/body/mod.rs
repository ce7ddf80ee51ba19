//! Body identity: which publishing body a report is from, stable across years and formats.
//!
//! The same body prints its name differently from year to year (利通区古城镇, 吴忠市利通区古城镇人民政府;
//! 市政府办公室, 市人民政府办公室). A body is named by the deepest division its printed name mentions
//! (the gazetteer takes the place off the front of the name) and by what follows, reduced by the
//! rules of `data/bodies.toml` to a kind: the government, its general office, or a named
//! department. A name the rules do not fit gets no identity and a reason, never a guess.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::model::{Level, Region};
use crate::region::{self, PlacePrefix};

static RULES_TOML: &str = include_str!("../../data/bodies.toml");

/// The rules of `data/bodies.toml`.
#[derive(Debug, Deserialize)]
struct Rules {
    government: Vec<String>,
    government_office: Vec<String>,
    department_endings: Vec<String>,
    department_prefixes: Vec<String>,
    department_aliases: BTreeMap<String, String>,
    ambiguous: Vec<String>,
    below_region_endings: Vec<String>,
    level_words: Vec<String>,
}

static RULES: LazyLock<Rules> =
    LazyLock::new(|| toml::from_str(RULES_TOML).expect("data/bodies.toml is part of the build and parses"));

/// Bracketed short names and notes (（市科委）, (汇总)): not part of the body's name.
static BRACKETS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[（(\[【][^）)\]】]*[）)\]】]").expect("valid regex"));

/// What kind of body publishes a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    Government,
    GovernmentOffice,
    /// A department, by its full name (财政局, 科学技术委员会).
    Department(String),
}

impl BodyKind {
    /// The kind's column value: `government`, `government_office` or `department`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BodyKind::Government => "government",
            BodyKind::GovernmentOffice => "government_office",
            BodyKind::Department(_) => "department",
        }
    }
}

/// A body identified from a report's printed name and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// `CODE/government`, `CODE/government_office` or `CODE/department/NAME`.
    pub id: String,
    /// The division code the name mentions (2, 4, 6 or 9 digits).
    pub code: String,
    pub kind: BodyKind,
}

/// The body of a report printed as `agency` and placed in `region`; `Err` says why it cannot be
/// told with certainty.
pub fn identify(agency: Option<&str>, region: &Region) -> Result<Body, String> {
    let agency = agency.ok_or("no body name printed")?;
    if region.level == Level::Unknown {
        return Err(format!("`{agency}` has no region, so the body cannot be told"));
    }
    let name = BRACKETS.replace_all(&region::normalize_name(agency), "").into_owned();
    let (code, rest) = match region::place_prefix(&name, region) {
        // A zone standing for the division that contains it is a body of that division, by its
        // own name (雄安新区管理委员会 is not 河北省's government).
        PlacePrefix::Region { end, code } if region::zone_within(&name[..end]).is_some() => {
            let zone = region::zone_within(&name[..end]).expect("checked");
            let from = name.find(zone).expect("the zone is in the name");
            let id = format!("{code}/department/{}", &name[from..]);
            return Ok(Body { id, code, kind: BodyKind::Department(name[from..].to_string()) });
        }
        PlacePrefix::Region { end, code } => (code, name[end..].to_string()),
        PlacePrefix::Other(place) => return Err(format!("`{agency}` begins with {place}, not the report's region")),
        PlacePrefix::None => {
            let (code, rest) = level_word_place(&name, region)
                .ok_or_else(|| format!("`{agency}` does not say which place's body it is"))?;
            (code, rest.to_string())
        }
    };
    let kind = kind_of(&rest).map_err(|why| format!("`{agency}`: {why}"))?;
    let id = match &kind {
        BodyKind::Department(name) => format!("{code}/department/{name}"),
        other => format!("{code}/{}", other.as_str()),
    };
    Ok(Body { id, code, kind })
}

/// A name that begins with a level word instead of its place (市政府办公室): the deepest division of
/// the region whose name ends with that word, and the rest of the name.
fn level_word_place<'a>(name: &'a str, region: &Region) -> Option<(String, &'a str)> {
    let word = RULES.level_words.iter().find(|w| name.starts_with(w.as_str()))?;
    let chain = [
        (&region.township, &region.township_code),
        (&region.county, &region.county_code),
        (&region.prefecture, &region.prefecture_code),
        (&region.province, &region.province_code),
    ];
    let code = chain.into_iter().find_map(|(place, code)| match (place, code) {
        (Some(place), Some(code)) if place.ends_with(word.as_str()) => Some(code.clone()),
        _ => None,
    })?;
    Some((code, &name[word.len()..]))
}

/// The kind of body named by what follows the place.
fn kind_of(rest: &str) -> Result<BodyKind, String> {
    let rules = &*RULES;
    let listed = |list: &[String]| list.iter().any(|w| w == rest);
    if rest.is_empty() || listed(&rules.government) {
        return Ok(BodyKind::Government);
    }
    if listed(&rules.government_office) {
        return Ok(BodyKind::GovernmentOffice);
    }
    let mut dept = rest;
    for prefix in &rules.department_prefixes {
        dept = dept.strip_prefix(prefix.as_str()).unwrap_or(dept);
    }
    let dept = rules.department_aliases.get(dept).map_or(dept, String::as_str);
    if rules.below_region_endings.iter().any(|e| dept.ends_with(e.as_str())) {
        return Err(format!("`{dept}` is the office of a place below the report's region"));
    }
    if rules.ambiguous.iter().any(|w| w == dept) {
        return Err(format!("`{dept}` could be any of several bodies of the place"));
    }
    let han = dept.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    if !han || dept.chars().count() < 2 || !rules.department_endings.iter().any(|e| dept.ends_with(e.as_str())) {
        return Err(format!("`{rest}` is not a kind of body gongkai knows"));
    }
    // A department of a place below the region (得石镇财政所 under 米易县) is another body.
    if let PlacePrefix::Other(place) = region::place_prefix(dept, &Region::default()) {
        return Err(format!("{place} is a place below the report's region"));
    }
    Ok(BodyKind::Department(dept.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region_of(texts: &[&str]) -> Region {
        region::resolve(texts).0
    }

    fn id(agency: &str) -> Result<String, String> {
        identify(Some(agency), &region_of(&[agency])).map(|b| b.id)
    }

    #[test]
    fn the_same_township_printed_two_ways() {
        assert_eq!(id("利通区古城镇"), Ok("640302105/government".into()));
        assert_eq!(id("吴忠市利通区古城镇人民政府"), Ok("640302105/government".into()));
    }

    #[test]
    fn offices_and_departments() {
        assert_eq!(id("上海市人民政府办公厅"), Ok("31/government_office".into()));
        assert_eq!(id("上海市科学技术委员会（市科委）"), Ok("31/department/科学技术委员会".into()));
        assert_eq!(id("上海市科委"), Ok("31/department/科学技术委员会".into()));
        assert_eq!(id("淮安市洪泽区人民政府"), Ok("320813/government".into()));
        assert_eq!(id("平潭综合实验区（党工委管委会）"), Ok("350128/government".into()));
        // A new area without a division of its own is not the government of the one containing it.
        assert_eq!(id("雄安新区管理委员会"), Ok("13/department/雄安新区管理委员会".into()));
        assert_eq!(id("四川天府新区成都管理委员会"), Ok("5101/department/天府新区成都管理委员会".into()));
        assert_eq!(id("米易县财政局"), id("攀枝花市米易县财政局"));
    }

    #[test]
    fn a_level_word_stands_for_the_place() {
        let region = region_of(&["吴忠市人民政府办公室"]);
        let short = identify(Some("市政府办公室"), &region).map(|b| b.id);
        assert_eq!(short, Ok("6403/government_office".into()));
        assert_eq!(identify(Some("吴忠市人民政府办公室"), &region).map(|b| b.id), short);
    }

    #[test]
    fn uncertain_bodies_get_no_identity() {
        assert!(id("利通区办公室").unwrap_err().contains("several bodies"));
        assert!(id("米易县某局").unwrap_err().contains("several bodies"));
        assert!(id("米易县人民政府某某街道办事处").unwrap_err().contains("below the report's region"));
        assert!(identify(Some("财政局"), &region_of(&["米易县"])).unwrap_err().contains("which place"));
        assert!(identify(None, &region_of(&["米易县"])).is_err());
        assert!(identify(Some("某某单位"), &Region::default()).unwrap_err().contains("no region"));
        assert!(
            identify(Some("利通区古城镇"), &region_of(&["米易县"])).unwrap_err().contains("not the report's region")
        );
    }
}
