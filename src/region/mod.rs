//! Region resolution: maps a report's title/agency texts to the 2023 statistical division codes
//! (统计用区划代码) of its province, prefecture, county and township.
//!
//! The gazetteer `data/gazetteer.tsv` (derived by `scripts/derive_gazetteer.py`, see
//! `data/GAZETTEER_LICENSE.md`) is embedded with its name index, built at compile time (`build.rs`,
//! `index.rs`). Resolution looks up every substring of the input in that index, keeps the hits
//! whose context makes them credible, and picks the chain of nested divisions that explains the
//! most text. It never guesses between equally good places: it keeps only their common ancestor
//! and says so in a warning.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::LazyLock;

use crate::model::{Level, Region};

static TSV: &str = include_str!("../../data/gazetteer.tsv");

static GAZ: LazyLock<Gazetteer> = LazyLock::new(Gazetteer::build);

/// Telephone area codes and the division each is dialled in (derived by
/// `scripts/derive_area_codes.py` from libphonenumber, see `data/GAZETTEER_LICENSE.md`).
static AREA_CODES_TSV: &str = include_str!("../../data/phone_area_codes.tsv");

static AREA_CODES: LazyLock<FxHashMap<&'static str, &'static str>> =
    LazyLock::new(|| AREA_CODES_TSV.lines().filter_map(|l| l.split_once('\t')).collect());

/// A fixed-line number: area code, optionally bracketed, an optional dash or space, then the
/// seven or eight digits of the local number ([`dialled_place`] checks no digit is on either side).
static PHONE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"[（(]?(0[1-9][0-9]{1,2})[)）]?[ \-—－–]?[1-9][0-9]{6,7}").expect("phone pattern")
});

/// The place whose telephone area code a text dials (`0311-86044567` → 河北省石家庄市), when every
/// fixed-line number in it names the same place. Mobile and service numbers have no area code.
pub fn dialled_place(text: &str) -> Option<String> {
    let g: &'static Gazetteer = &GAZ;
    let digit_at = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    let mut found: Option<&'static str> = None;
    for caps in PHONE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        if digit_at(text[..whole.start()].chars().next_back()) || digit_at(text[whole.end()..].chars().next()) {
            continue;
        }
        let Some(&code) = AREA_CODES.get(&caps[1]) else { continue };
        if found.is_some_and(|f| f != code) {
            return None;
        }
        found = Some(code);
    }
    let code = found?;
    let province = g.name_of(&code[..2])?;
    Some(if code.len() > 2 { format!("{province}{}", g.name_of(code)?) } else { province.to_string() })
}

/// The first two digits of a postcode and the province they are allocated to (see
/// `data/GAZETTEER_LICENSE.md`).
static POSTCODE_ZONES_TSV: &str = include_str!("../../data/postcode_zones.tsv");

static POSTCODE_ZONES: LazyLock<FxHashMap<&'static str, &'static str>> =
    LazyLock::new(|| POSTCODE_ZONES_TSV.lines().filter_map(|l| l.split_once('\t')).collect());

/// A postcode where a report gives one: after 邮编 or 邮政编码.
static POSTCODE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"(?:邮编|邮政编码)[：:\s]*([0-9]{6})").expect("postcode pattern"));

/// The province a text's postcode is allocated to (`邮编：050051` → 河北省), when every postcode in
/// it names the same province. A postcode says nothing finer: its later digits are postal routes.
pub fn posted_province(text: &str) -> Option<&'static str> {
    let g: &'static Gazetteer = &GAZ;
    let mut found: Option<&'static str> = None;
    for caps in POSTCODE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        if text[whole.end()..].chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let Some(&province) = POSTCODE_ZONES.get(&caps[1][..2]) else { continue };
        if found.is_some_and(|f| f != province) {
            return None;
        }
        found = Some(province);
    }
    g.name_of(found?)
}

// Its indexing half runs in build.rs; here only the test below uses it.
#[cfg_attr(not(test), allow(dead_code))]
mod index;

use index::{Cand, Kind, normalize};

mod built {
    use super::{Cand, Kind};
    include!(concat!(env!("OUT_DIR"), "/gazetteer_index.rs"));
}

/// The gazetteer's rows (codes in ascending order, checked by build.rs) and its name index, built
/// at compile time.
struct Gazetteer {
    codes: Vec<&'static str>,
    names: Vec<&'static str>,
    by_key: &'static phf::Map<&'static str, &'static [Cand]>,
    max_key_chars: usize,
}

/// Words that follow a suffix-less place name in agency names (国家统计局吴忠调查队, 南京海关).
const SHORT_FOLLOWERS: &str = concat!(
    "海关 调查队 监管分局 分局 海事局 边检站 出入境边防检查站 ",
    "经济技术开发区 经济开发区 经开区 高新技术产业开发区 高新区 开发区 ",
    "综合保税区 保税区 工业园区 产业园区 新区 监狱 日报",
);

/// Words that may follow a stand-alone two-character township name.
const TOWN_FOLLOWERS: &[&str] = &["人民政府", "政府", "党委", "办事处"];

/// Report boilerplate, cut out so it neither matches nor glues neighbours together.
const BOILERPLATE: &[&str] = &[
    "政府信息公开工作年度报告",
    "政府信息公开年度报告",
    "信息公开工作年度报告",
    "政府信息公开工作报告",
    "政府信息公开",
    "年度报告",
    "工作报告",
];

/// Separator put where boilerplate or digits were; never part of a name.
const SEP: &str = "|";

impl Gazetteer {
    fn build() -> Self {
        let (codes, names) = index::rows(TSV).unzip();
        Gazetteer { codes, names, by_key: &built::BY_KEY, max_key_chars: built::MAX_KEY_CHARS }
    }

    fn index_of(&self, code: &str) -> Option<u32> {
        self.codes.binary_search(&code).ok().map(|i| i as u32)
    }

    fn code(&self, idx: u32) -> &'static str {
        self.codes[idx as usize]
    }

    fn name_of(&self, code: &str) -> Option<&'static str> {
        self.index_of(code).map(|i| self.names[i as usize])
    }
}

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FFFF}' | '\u{3007}')
}

fn is_ancestor(a: &str, d: &str) -> bool {
    d.len() > a.len() && d.starts_with(a)
}

/// One input text prepared for matching.
struct Text {
    s: String,
    /// Byte offset of every char, plus the end.
    offs: Vec<usize>,
    chars: Vec<char>,
}

impl Text {
    fn new(raw: &str) -> Self {
        let mut norm = normalize(raw);
        for b in BOILERPLATE {
            if norm.contains(b) {
                norm = norm.replace(b, SEP);
            }
        }
        // Years and numbers: one separator per run, swallowing a following 年/年度.
        let mut s = String::with_capacity(norm.len());
        let mut it = norm.chars().peekable();
        while let Some(c) = it.next() {
            if c.is_ascii_digit() {
                while it.next_if(|c| c.is_ascii_digit()).is_some() {}
                if it.next_if_eq(&'年').is_some() {
                    it.next_if_eq(&'度');
                }
                s.push_str(SEP);
            } else {
                s.push(c);
            }
        }
        let mut offs: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        offs.push(s.len());
        let chars = s.chars().collect();
        Text { s, offs, chars }
    }

    fn slice(&self, start: usize, end: usize) -> &str {
        &self.s[self.offs[start]..self.offs[end]]
    }

    fn followed_by<'w>(&self, end: usize, mut words: impl Iterator<Item = &'w str>) -> bool {
        let rest = &self.s[self.offs[end]..];
        words.any(|w| rest.starts_with(w))
    }

    fn boundary_before(&self, start: usize) -> bool {
        start == 0 || !is_han(self.chars[start - 1])
    }

    fn boundary_after(&self, end: usize) -> bool {
        end == self.chars.len() || !is_han(self.chars[end])
    }
}

/// A substring of one text that is a key of the index.
struct Hit {
    text: usize,
    start: usize,
    end: usize,
    cands: &'static [Cand],
}

/// A hit with the candidates its context supports.
struct Mention {
    text: usize,
    start: usize,
    end: usize,
    /// Places the key names nationwide, before context filtering.
    total: usize,
    accepted: Vec<Cand>,
}

fn find_hits(g: &'static Gazetteer, texts: &[Text]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (ti, t) in texts.iter().enumerate() {
        let n = t.chars.len();
        for start in 0..n {
            if !is_han(t.chars[start]) {
                continue;
            }
            for end in start + 2..=n.min(start + g.max_key_chars) {
                if let Some(&cands) = g.by_key.get(t.slice(start, end)) {
                    hits.push(Hit { text: ti, start, end, cands });
                }
            }
        }
    }
    hits
}

/// Keep the candidates of each hit that are credible in their context (see [`Kind`]).
fn filter_hits(g: &Gazetteer, texts: &[Text], hits: &[Hit]) -> Vec<Mention> {
    // Hits ending right where position `at` of `text` starts (before) or starting there.
    let adjacent = |text: usize, at: usize, before: bool| {
        hits.iter().filter(move |o| o.text == text && if before { o.end == at } else { o.start == at })
    };
    let mut out = Vec::new();
    for h in hits {
        let t = &texts[h.text];
        let unique = h.cands.len() == 1;
        let accepted: Vec<Cand> = h
            .cands
            .iter()
            .copied()
            .filter(|c| {
                let code = g.code(c.idx);
                let ancestor_before = || {
                    adjacent(h.text, h.start, true).any(|o| o.cands.iter().any(|a| is_ancestor(g.code(a.idx), code)))
                };
                let descendant_after =
                    || adjacent(h.text, h.end, false).any(|o| o.cands.iter().any(|d| is_ancestor(code, g.code(d.idx))));
                match c.kind {
                    Kind::Full | Kind::ProvShort => true,
                    Kind::BareCounty => t.boundary_before(h.start) || ancestor_before(),
                    Kind::BareTown => {
                        ancestor_before()
                            || (t.boundary_before(h.start)
                                && (t.boundary_after(h.end) || t.followed_by(h.end, TOWN_FOLLOWERS.iter().copied())))
                    }
                    Kind::Generic => ancestor_before() || descendant_after(),
                    Kind::Short => {
                        ancestor_before()
                            || descendant_after()
                            || (unique
                                && (t.followed_by(h.end, SHORT_FOLLOWERS.split(' '))
                                    || (t.boundary_before(h.start) && t.boundary_after(h.end))))
                    }
                }
            })
            .collect();
        if !accepted.is_empty() {
            out.push(Mention { text: h.text, start: h.start, end: h.end, total: h.cands.len(), accepted });
        }
    }
    out
}

/// Codes of `code` and its ancestors that exist in the gazetteer, top down.
fn path(g: &Gazetteer, code: &'static str) -> impl Iterator<Item = u32> {
    [2, 4, 6, 9].into_iter().filter(move |&l| l <= code.len()).filter_map(move |l| g.index_of(&code[..l]))
}

fn level_of(code: &str) -> Level {
    match code.len() {
        2 => Level::Province,
        4 => Level::Prefecture,
        6 => Level::County,
        9 => Level::Township,
        _ => Level::Unknown,
    }
}

fn level_word(code: &str) -> &'static str {
    match code.len() {
        2 => "province",
        4 => "prefecture",
        6 => "county",
        _ => "township",
    }
}

fn region_for(g: &Gazetteer, code: &str) -> Region {
    let part = |l: usize| {
        (code.len() >= l).then(|| &code[..l]).and_then(|c| g.name_of(c).map(|n| (n.to_string(), c.to_string()))).unzip()
    };
    let (province, province_code) = part(2);
    let (prefecture, prefecture_code) = part(4);
    let (county, county_code) = part(6);
    let (township, township_code) = part(9);
    Region {
        province,
        province_code,
        prefecture,
        prefecture_code,
        county,
        county_code,
        township,
        township_code,
        level: level_of(code),
    }
}

/// A county printed with one character wrong (四阳县 for 泗阳县): when the region stops above the
/// county level, the counties under it are compared with every stretch of the texts of the same
/// length ending in the same character; exactly one county one edit away is taken, with a warning.
pub fn near_county(texts: &[&str], region: &Region) -> Option<(Region, String)> {
    if region.county_code.is_some() {
        return None;
    }
    let parent = region.prefecture_code.as_deref().or(region.province_code.as_deref())?;
    let g: &'static Gazetteer = &GAZ;
    let texts: Vec<Vec<char>> = texts.iter().map(|t| normalize(t).chars().collect()).collect();
    let mut found: Vec<(usize, String)> = Vec::new();
    for (i, code) in g.codes.iter().enumerate() {
        if code.len() != 6 || !code.starts_with(parent) {
            continue;
        }
        let name: Vec<char> = g.names[i].chars().collect();
        if name.len() < 3 {
            continue;
        }
        // A stretch that ends a longer name the gazetteer knows is that name, not a misprint
        // (安新区 of 雄安新区 is no 安次区).
        let ends_a_name = |t: &[char], at: usize| {
            (1..=3.min(at))
                .any(|k| g.by_key.get(t[at - k..at + name.len()].iter().collect::<String>().as_str()).is_some())
        };
        let hit = texts.iter().find_map(|t| {
            (0..(t.len() + 1).saturating_sub(name.len())).map(|at| (at, &t[at..at + name.len()])).find(|(at, w)| {
                w.last() == name.last()
                    && w.iter().zip(&name).filter(|(a, b)| a != b).count() == 1
                    && w.iter().all(|c| is_han(*c))
                    && !ends_a_name(t, *at)
            })
        });
        if let Some((_, w)) = hit {
            found.push((i, w.iter().collect()));
        }
    }
    match found.as_slice() {
        [(i, printed)] => {
            let code = g.codes[*i];
            Some((region_for(g, code), format!("region: {printed} read as {}, one character away", g.names[*i])))
        }
        _ => None,
    }
}

/// The zone in a printed place that has no division of its own and stands for the division that
/// contains it (雄安新区 for 河北省, 天府新区 for 四川省): its body is the zone's, not that division's
/// government. `None` for zones with their own code (平潭综合实验区) and for ordinary places.
pub fn zone_within(place: &str) -> Option<&'static str> {
    let place = normalize(place);
    index::EXTRA_ALIASES.iter().find(|(alias, code)| code.len() < 6 && place.contains(alias)).map(|(alias, _)| *alias)
}

/// How a printed body name begins with its place, read against the report's region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacePrefix {
    /// The name begins with places of the region's chain (full, short or alias forms), ending at
    /// byte `end` of the normalised name; `code` is the deepest of them.
    Region { end: usize, code: String },
    /// The name begins with no place at all.
    None,
    /// The name begins with a place that is not in the region's chain.
    Other(String),
}

/// The name `name` normalised as the gazetteer reads it (full-width folded, spaces dropped).
pub fn normalize_name(name: &str) -> String {
    normalize(name)
}

/// Where the place at the start of `name` (already [`normalize_name`]d) ends, when it is the
/// report's `region` or part of its chain: `吴忠市利通区古城镇人民政府` under 古城镇 ends after 古城镇.
pub fn place_prefix(name: &str, region: &Region) -> PlacePrefix {
    let g: &'static Gazetteer = &GAZ;
    let chain: Vec<&str> = [&region.province_code, &region.prefecture_code, &region.county_code, &region.township_code]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(name.len(), |(b, _)| *b);
    let (mut pos, mut deepest): (usize, Option<&str>) = (0, None);
    'outer: while pos < chars.len() {
        let longest = g.max_key_chars.min(chars.len() - pos);
        for len in (2..=longest).rev() {
            let key = &name[byte(pos)..byte(pos + len)];
            let Some(cands) = g.by_key.get(key) else { continue };
            if let Some(code) =
                cands.iter().map(|c| g.code(c.idx)).filter(|c| chain.contains(c)).max_by_key(|c| c.len())
            {
                if deepest.is_none_or(|d| code.len() > d.len()) {
                    deepest = Some(code);
                }
                pos += len;
                continue 'outer;
            }
            // A full name of another place where this one should begin.
            if pos == 0 && len >= 3 && cands.iter().any(|c| c.kind == Kind::Full) {
                return PlacePrefix::Other(key.to_string());
            }
        }
        break;
    }
    match deepest {
        Some(code) => PlacePrefix::Region { end: byte(pos), code: code.to_string() },
        None => PlacePrefix::None,
    }
}

/// Resolve the place a report belongs to from its texts, most telling first (title, then agency,
/// then any further hints). Returns the region and human-readable warnings (e.g. ambiguity).
pub fn resolve(texts: &[&str]) -> (Region, Vec<String>) {
    let g: &'static Gazetteer = &GAZ;
    let texts: Vec<Text> = texts.iter().map(|t| Text::new(t)).collect();
    let hits = find_hits(g, &texts);
    let mentions = filter_hits(g, &texts, &hits);

    // Which mentions name each division directly.
    let mut support: HashMap<u32, Vec<usize>> = HashMap::new();
    for (mi, m) in mentions.iter().enumerate() {
        for c in &m.accepted {
            let v = support.entry(c.idx).or_default();
            if v.last() != Some(&mi) {
                v.push(mi);
            }
        }
    }

    // Score each candidate as the deepest point of a chain: characters explained per text
    // (earlier texts first), then the earliest position, since names run from large to small
    // (吴忠市高新区 is about 吴忠市 even if some other 高新区 exists).
    let nt = texts.len();
    let score = |idx: u32| -> Vec<i64> {
        let mut spans: Vec<(usize, usize, usize)> = path(g, g.code(idx))
            .filter_map(|p| support.get(&p))
            .flatten()
            .map(|&mi| (mentions[mi].text, mentions[mi].start, mentions[mi].end))
            .collect();
        spans.sort_unstable();
        let mut cov = vec![0i64; nt];
        let mut first: Vec<i64> = texts.iter().map(|t| -(t.chars.len() as i64)).collect();
        let mut cur: Option<(usize, usize)> = None; // (text, end of covered prefix)
        for (t, s, e) in spans {
            let end = match cur {
                Some((ct, ce)) if ct == t => ce,
                _ => {
                    first[t] = -(s as i64);
                    s
                }
            };
            cov[t] += e.saturating_sub(s.max(end)) as i64;
            cur = Some((t, end.max(e)));
        }
        cov.extend(first);
        cov
    };
    let mut best: Vec<u32> = Vec::new();
    let mut best_score: Vec<i64> = Vec::new();
    let mut cands: Vec<u32> = support.keys().copied().collect();
    cands.sort_unstable();
    for idx in cands {
        let s = score(idx);
        if best.is_empty() || s > best_score {
            best_score = s;
            best = vec![idx];
        } else if s == best_score {
            best.push(idx);
        }
    }
    // A descendant tied with its ancestor adds nothing the text says (东莞市 is also a county).
    let tied = best.clone();
    best.retain(|&i| !tied.iter().any(|&a| is_ancestor(g.code(a), g.code(i))));

    let mut warnings = Vec::new();
    let chosen: Option<&'static str> = match best.as_slice() {
        [] => None,
        [one] => Some(g.code(*one)),
        many => {
            let codes: Vec<&str> = many.iter().map(|&i| g.code(i)).collect();
            let common = [6, 4, 2].into_iter().find_map(|l| {
                let p = codes[0].get(..l)?;
                if !codes.iter().all(|c| c.len() > l && c.starts_with(p)) {
                    return None;
                }
                g.index_of(p).map(|i| g.code(i))
            });
            warnings.push(ambiguity_warning(g, &texts, &mentions, many, common));
            common
        }
    };
    let Some(code) = chosen else {
        return (Region::default(), warnings);
    };

    // Place names in the title that the result ignores deserve a word.
    for m in mentions.iter().filter(|m| m.text == 0) {
        let consistent = m.accepted.iter().any(|c| {
            let o = g.code(c.idx);
            o == code || is_ancestor(o, code) || is_ancestor(code, o)
        });
        let strong = m.accepted.iter().any(|c| matches!(c.kind, Kind::Full | Kind::ProvShort));
        let inside = mentions
            .iter()
            .any(|o| o.text == 0 && o.start <= m.start && m.end <= o.end && (o.end - o.start) > (m.end - m.start));
        if !consistent && strong && !inside {
            let w = format!(
                "region: ignored place name {} in the title (not within {})",
                texts[0].slice(m.start, m.end),
                g.name_of(code).unwrap_or(code)
            );
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    (region_for(g, code), warnings)
}

fn ambiguity_warning(g: &Gazetteer, texts: &[Text], mentions: &[Mention], tied: &[u32], kept: Option<&str>) -> String {
    // Blame the mention that names the most of the tied places, earliest first.
    let blamed = mentions
        .iter()
        .map(|m| {
            let n = m.accepted.iter().filter(|c| tied.contains(&c.idx)).count();
            (n, m)
        })
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, m)| (*n, std::cmp::Reverse((m.text, m.start))));
    let kept = match kept {
        Some(c) => format!("{} {}", level_word(c), g.name_of(c).unwrap_or(c)),
        None => "nothing".to_string(),
    };
    match blamed {
        Some((n, m)) => {
            let level =
                m.accepted.iter().find(|c| tied.contains(&c.idx)).map_or("place", |c| level_word(g.code(c.idx)));
            let consistent =
                if n < m.total { format!(" ({n} consistent with the rest of the text)") } else { String::new() };
            format!(
                "region: {level} name {} matches {} places{consistent}; kept {kept}",
                texts[m.text].slice(m.start, m.end),
                m.total
            )
        }
        None => format!("region: {} places fit equally well; kept {kept}", tied.len()),
    }
}

#[cfg(test)]
mod index_tests {
    use super::{GAZ, TSV, built, index};

    /// The index embedded at compile time is the one the gazetteer gives at run time.
    #[test]
    fn embedded_index_is_the_gazetteers() {
        let fresh = index::build(TSV);
        assert_eq!(built::MAX_KEY_CHARS, fresh.max_key_chars);
        assert_eq!(built::BY_KEY.len(), fresh.keys.len());
        for (key, cands) in &fresh.keys {
            assert_eq!(built::BY_KEY.get(key.as_str()).copied(), Some(cands.as_slice()), "{key}");
        }
        assert!(fresh.keys.len() > 35_000, "{}", fresh.keys.len());
        assert_eq!(GAZ.index_of("110101"), Some(1));
        assert_eq!(GAZ.index_of("999999"), None);
    }
}

#[cfg(test)]
mod dialled_tests {
    use super::dialled_place;

    #[test]
    fn area_codes_name_their_city() {
        assert_eq!(dialled_place("联系电话：0311-86044567").as_deref(), Some("河北省石家庄市"));
        assert_eq!(dialled_place("电话：（0317）2025127").as_deref(), Some("河北省沧州市"));
        assert_eq!(dialled_place("电话 021 56691100").as_deref(), Some("上海市"));
        assert_eq!(dialled_place("0898-65342516").as_deref(), Some("海南省"));
    }

    #[test]
    fn postcodes_name_their_province_only() {
        use super::posted_province;
        assert_eq!(posted_province("地址：平潭综合实验区金井湾，邮编：350400，电话"), Some("福建省"));
        assert_eq!(posted_province("邮政编码 201900"), Some("上海市"));
        assert_eq!(posted_province("邮编:050051；邮编：061001"), Some("河北省"));
        assert_eq!(posted_province("邮编：510000，邮编：550000"), None, "two provinces");
        assert_eq!(posted_province("邮编：9999999"), None, "not six digits");
        assert_eq!(posted_province("电话：350400"), None, "not said to be a postcode");
    }

    #[test]
    fn no_guess_without_one_fixed_line_city() {
        assert_eq!(dialled_place("监督电话：12345"), None);
        assert_eq!(dialled_place("手机 13812345678"), None);
        assert_eq!(dialled_place("0317-2025127 或 0311-86044567"), None);
        assert_eq!(dialled_place("0317-2025127，0311-86044567"), None);
        assert_eq!(dialled_place("编号 2023031786044567"), None);
    }
}

#[cfg(test)]
mod near_tests {
    use super::*;

    #[test]
    fn one_character_typo_of_a_county_under_the_stated_prefecture() {
        let title = "四川省攀枝花市米意县人民政府2023年政府信息公开工作年度报告";
        let (region, _) = resolve(&[title]);
        let (near, warning) = near_county(&[title], &region).expect("near county");
        assert_eq!(near.county_code.as_deref(), Some("510421"));
        assert!(warning.contains("米意县"), "{warning}");
        // A county the text names correctly is not touched.
        let (region, _) = resolve(&["四川省攀枝花市米易县人民政府"]);
        assert!(near_county(&["四川省攀枝花市米易县人民政府"], &region).is_none());
        // 四阳县 is one character from both 泗阳县 and 沭阳县 of 宿迁市: no guess.
        let title = "江苏省宿迁市四阳县人民政府2023年政府信息公开工作年度报告";
        let (region, _) = resolve(&[title]);
        assert!(near_county(&[title], &region).is_none());
        // 安新区 ends 雄安新区, a name of its own: not a misprint of 廊坊市安次区.
        let title = "雄安新区管理委员会2023年政府信息公开工作年度报告";
        let (region, _) = resolve(&[title]);
        assert_eq!(region.province_code.as_deref(), Some("13"));
        assert!(near_county(&[title], &region).is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(texts: &[&str]) -> Option<String> {
        let (r, _) = resolve(texts);
        r.township_code.or(r.county_code).or(r.prefecture_code).or(r.province_code)
    }

    #[test]
    fn township_with_county() {
        let (r, w) = resolve(&["利通区古城镇"]);
        assert_eq!(r.province.as_deref(), Some("宁夏回族自治区"));
        assert_eq!(r.province_code.as_deref(), Some("64"));
        assert_eq!(r.prefecture.as_deref(), Some("吴忠市"));
        assert_eq!(r.prefecture_code.as_deref(), Some("6403"));
        assert_eq!(r.county.as_deref(), Some("利通区"));
        assert_eq!(r.county_code.as_deref(), Some("640302"));
        assert_eq!(r.township.as_deref(), Some("古城镇"));
        assert_eq!(r.township_code.as_deref(), Some("640302105"));
        assert_eq!(r.level, Level::Township);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn townships() {
        for (text, want) in [
            ("重庆市大足区宝顶镇人民政府2023年政府信息公开工作年度报告", "500111102"),
            ("会宁县柴家门镇", "620422107"),
            ("郾城区裴城镇", "411103103"),
            ("米易县得石镇", "510421102"),
            ("利通区 古城镇", "640302105"),
            ("利通区　古城镇２０２３年度政府信息公开工作年度报告", "640302105"),
        ] {
            assert_eq!(code(&[text]).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn municipality_has_no_prefecture() {
        let (r, _) = resolve(&["重庆市大足区宝顶镇人民政府2023年政府信息公开工作年度报告"]);
        assert_eq!(r.province_code.as_deref(), Some("50"));
        assert_eq!(r.prefecture, None);
        assert_eq!(r.prefecture_code, None);
        assert_eq!(r.county_code.as_deref(), Some("500111"));
        assert_eq!(r.county.as_deref(), Some("大足区"));
        assert_eq!(r.level, Level::Township);

        let (r, _) = resolve(&["大足区"]);
        assert_eq!(r.county_code.as_deref(), Some("500111"));
        assert_eq!(r.prefecture_code, None);
        assert_eq!(r.level, Level::County);
    }

    #[test]
    fn departments() {
        for text in ["上海市财政局", "上海市人民政府办公厅", "上海市科学技术委员会（市科委）"]
        {
            let (r, w) = resolve(&[text]);
            assert_eq!(r.province_code.as_deref(), Some("31"), "{text}");
            assert_eq!(r.province.as_deref(), Some("上海市"));
            assert_eq!(r.level, Level::Province, "{text}");
            assert!(w.is_empty(), "{text}: {w:?}");
        }

        let (r, _) = resolve(&["淮安市洪泽区人民政府"]);
        assert_eq!(r.province.as_deref(), Some("江苏省"));
        assert_eq!(r.province_code.as_deref(), Some("32"));
        assert_eq!(r.prefecture_code.as_deref(), Some("3208"));
        assert_eq!(r.county_code.as_deref(), Some("320813"));
        assert_eq!(r.level, Level::County);

        let (r, _) = resolve(&["米易县人民政府办公室"]);
        assert_eq!(r.county_code.as_deref(), Some("510421"));
        assert_eq!(r.level, Level::County);
    }

    #[test]
    fn pingtan_zone() {
        let (r, _) = resolve(&["平潭综合实验区管理委员会"]);
        assert_eq!(r.province.as_deref(), Some("福建省"));
        assert_eq!(r.county_code.as_deref(), Some("350128"));
        assert_eq!(r.level, Level::County);
    }

    #[test]
    fn county_alone_gets_ancestors() {
        let (r, w) = resolve(&["利通区"]);
        assert_eq!(r.province_code.as_deref(), Some("64"));
        assert_eq!(r.prefecture_code.as_deref(), Some("6403"));
        assert_eq!(r.county_code.as_deref(), Some("640302"));
        assert_eq!(r.township_code, None);
        assert_eq!(r.level, Level::County);
        assert!(w.is_empty());
    }

    #[test]
    fn ambiguous_township_is_not_guessed() {
        // 28 places called 古城镇, in 16 provinces.
        let (r, w) = resolve(&["古城镇2023年政府信息公开工作年度报告"]);
        assert_eq!(r.township_code, None);
        assert_eq!(r.level, Level::Unknown);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("township name 古城镇 matches"), "{w:?}");
        assert!(w[0].ends_with("kept nothing"), "{w:?}");

        // Two 古城镇 in 宁夏, under different prefectures: only the province is certain.
        let (r, w) = resolve(&["宁夏古城镇"]);
        assert_eq!(r.province_code.as_deref(), Some("64"));
        assert_eq!(r.prefecture_code, None);
        assert_eq!(r.township_code, None);
        assert_eq!(r.level, Level::Province);
        assert!(w[0].ends_with("kept province 宁夏回族自治区"), "{w:?}");

        // Two 朝阳区 (北京, 长春).
        let (r, w) = resolve(&["朝阳区人民政府"]);
        assert_eq!(r.level, Level::Unknown);
        assert!(w[0].contains("county name 朝阳区 matches 2 places"), "{w:?}");
        assert_eq!(code(&["北京市朝阳区"]).as_deref(), Some("110105"));
    }

    #[test]
    fn later_texts_fill_and_disambiguate() {
        let title = "古城镇2023年政府信息公开工作年度报告";
        assert_eq!(code(&[title, "吴忠市利通区古城镇人民政府"]).as_deref(), Some("640302105"));
        // The title wins over a conflicting agency.
        assert_eq!(code(&["利通区古城镇", "上海市财政局"]).as_deref(), Some("640302105"));
        assert_eq!(code(&["宁夏回族自治区2023年报告", "吴忠市财政局"]).as_deref(), Some("6403"));
    }

    #[test]
    fn short_forms_need_context() {
        assert_eq!(code(&["宁夏"]).as_deref(), Some("64"));
        assert_eq!(code(&["广西壮族自治区人民政府"]).as_deref(), Some("45"));
        assert_eq!(code(&["内蒙古"]).as_deref(), Some("15"));
        assert_eq!(code(&["国家统计局吴忠调查队"]).as_deref(), Some("6403"));
        assert_eq!(code(&["宁夏吴忠"]).as_deref(), Some("6403"));
        assert_eq!(code(&["恩施州人民政府"]).as_deref(), Some("4228"));
        assert_eq!(code(&["石柱县"]).as_deref(), Some("500240"));
        assert_eq!(code(&["忠县人民政府"]).as_deref(), Some("500233"));
        // No false hits inside ordinary words (平安区, 高县, 公安县).
        assert_eq!(code(&["平安建设工作报告"]), None);
        assert_eq!(code(&["提高县级统筹"]), None);
        assert_eq!(code(&["公安局"]), None);
        // A generic zone name only counts under its ancestor.
        assert_eq!(code(&["吴忠市高新区管委会"]).as_deref(), Some("6403"));
    }

    #[test]
    fn unknown_text() {
        let (r, w) = resolve(&["某某单位"]);
        assert_eq!(r, Region::default());
        assert_eq!(r.level, Level::Unknown);
        assert!(w.is_empty());
        assert_eq!(resolve(&[]).0, Region::default());
        assert_eq!(resolve(&["", "2023年政府信息公开工作年度报告"]).0, Region::default());
    }
}
