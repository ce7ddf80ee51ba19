//! The gazetteer's name index: which lookup keys (full names, short forms, aliases) name which
//! divisions, and how (see [`Kind`]).
//!
//! Indexing ~45,000 names was most of the start of every `gongkai parse`, so `build.rs` includes
//! this file, builds the index from `data/gazetteer.tsv` at compile time and embeds it as a
//! perfect-hash map; the resolver includes it for the types and for [`normalize`]. A test builds the
//! index at run time and compares it with the embedded one.

use std::collections::HashMap;

/// How a lookup key names a division; decides how much context a hit needs to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Official name of ≥3 characters, or a safe alias (恩施州, 平潭综合实验区).
    Full,
    /// Customary province short form (宁夏, 广西): as common as the full name.
    ProvShort,
    /// Two-character county name (忠县, 芒市), or one starting like a suffix (市南区): easily part
    /// of a longer word, so it needs a word boundary or an ancestor right before it.
    BareCounty,
    /// Two-character township name (唐镇): needs an ancestor before it, or to stand alone.
    BareTown,
    /// Generic name (开发区, 新城街道, 城区): only meaningful next to an ancestor before it or a
    /// descendant after it.
    Generic,
    /// Name without its suffix (吴忠, 利通): needs an ancestor before, a descendant after, or, when
    /// unique, a typical suffix-less continuation (海关, 调查队 …).
    Short,
}

/// A division a key may name: its row in the gazetteer and how the key names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cand {
    pub idx: u32,
    pub kind: Kind,
}

/// The 55 minority nationalities, to reduce 恩施土家族苗族自治州 to 恩施.
const ETHNIC: &str = concat!(
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 ",
    "哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 ",
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 ",
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 ",
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺",
);

/// Names made only of these morphemes say nothing about where they are (开发区, 新城街道, 城区).
const GENERIC_TOKENS: &str = concat!(
    "经济 技术 开发 高新 产业 工业 园区 园 管理 委员会 管委会 ",
    "林业 农业 农场 林场 街道 新区 示范 试验 实验 综合 保税 片区 ",
    "办事处 社区 科技 新城 物流 区 局 中心 服务 生态 旅游 度假 ",
    "风景 名胜 城 港 场 草原 基地 畜牧 良种 水产 养殖 种畜 苗圃 ",
    "国营 国有 处 办 站 矿 郊 镇 乡 现代 有限 公司 监狱 盐场 ",
    "渔场 牧场 茶场",
);

/// Parts of a county name that mark it as a zone rather than a place with a short form.
const ZONE_MARKERS: &str =
    concat!("开发区 园区 管理区 试验区 实验区 示范区 风景区 度假区 工业区 ", "经济区 产业区 管委会 管理委员会",);

/// Names reports use that the gazetteer lacks: 平潭综合实验区 is 平潭县 there; state-level new
/// areas without a code of their own map to the smallest division that contains them.
pub const EXTRA_ALIASES: &[(&str, &str)] = &[
    ("平潭综合实验区", "350128"),
    ("雄安新区", "13"),
    ("金普新区", "2102"),
    ("长春新区", "2201"),
    ("哈尔滨新区", "2301"),
    ("舟山群岛新区", "3309"),
    ("福州新区", "3501"),
    ("赣江新区", "36"),
    ("湘江新区", "4301"),
    ("南沙新区", "4401"),
    ("两江新区", "50"),
    ("天府新区", "51"),
    ("贵安新区", "52"),
    ("滇中新区", "53"),
    ("西咸新区", "61"),
];

/// The index: every key with the divisions it names, in gazetteer order, keys sorted.
pub struct Index {
    pub keys: Vec<(String, Vec<Cand>)>,
    /// The longest key in characters, which bounds every lookup's window.
    pub max_key_chars: usize,
}

/// The gazetteer's rows as (code, name), in file order (the row number is a [`Cand`]'s `idx`).
pub fn rows(tsv: &str) -> impl Iterator<Item = (&str, &str)> {
    tsv.lines().filter_map(|line| line.split_once('\t'))
}

/// Index every name of `tsv` (lines `code<TAB>name`).
pub fn build(tsv: &str) -> Index {
    let rows: Vec<(&str, &str)> = rows(tsv).collect();
    let by_code: HashMap<&str, u32> = rows.iter().enumerate().map(|(i, (code, _))| (*code, i as u32)).collect();
    let mut builder = Builder { by_key: HashMap::new(), max_key_chars: 0, generic: generic_by_first() };
    for (idx, (code, name)) in rows.iter().enumerate() {
        builder.index_name(idx as u32, code, name);
    }
    for (alias, code) in EXTRA_ALIASES {
        if let Some(&idx) = by_code.get(code) {
            builder.add(alias.to_string(), idx, Kind::Full);
        }
    }
    let mut keys: Vec<(String, Vec<Cand>)> = builder.by_key.into_iter().collect();
    // A short form that is also some place's real name would mostly be that place.
    for (_, cands) in keys.iter_mut() {
        if cands.iter().any(|c| c.kind != Kind::Short) {
            cands.retain(|c| c.kind != Kind::Short);
        }
        let mut seen = Vec::with_capacity(cands.len());
        cands.retain(|c| {
            let fresh = !seen.contains(&c.idx);
            seen.push(c.idx);
            fresh
        });
    }
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Index { keys, max_key_chars: builder.max_key_chars }
}

struct Builder {
    by_key: HashMap<String, Vec<Cand>>,
    max_key_chars: usize,
    generic: HashMap<char, Vec<&'static str>>,
}

impl Builder {
    fn add(&mut self, key: String, idx: u32, kind: Kind) {
        let chars = key.chars().count();
        if chars >= 2 {
            self.max_key_chars = self.max_key_chars.max(chars);
            self.by_key.entry(key).or_default().push(Cand { idx, kind });
        }
    }

    fn index_name(&mut self, idx: u32, code: &str, name: &str) {
        let name = normalize(name);
        let len = name.chars().count();
        // 市经济技术开发区, 县良种场, 市南区: such names start inside "XX市…" agency names.
        let inner = name.starts_with(['省', '市', '县', '州', '旗', '盟']);
        let kind = if is_generic(&name, &self.generic) || (inner && code.len() == 9) {
            Kind::Generic
        } else if len == 2 && code.len() == 9 {
            Kind::BareTown
        } else if len == 2 || inner {
            Kind::BareCounty
        } else {
            Kind::Full
        };
        self.add(name.clone(), idx, kind);
        if inner {
            return;
        }
        match code.len() {
            2 => {
                let stem = ["自治区", "省", "市"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(&name);
                self.add(strip_ethnic(stem).to_string(), idx, Kind::ProvShort);
            }
            4 | 6 if kind == Kind::Full || kind == Kind::BareCounty => {
                if ZONE_MARKERS.split(' ').any(|m| name.contains(m)) {
                    return;
                }
                // 自治州/县/旗 are commonly written as stem + 州/县/旗 (恩施州, 石柱县).
                for (suffix, short_suffix) in [("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")] {
                    if let Some(stem) = name.strip_suffix(suffix) {
                        let stem = strip_ethnic(stem);
                        if stem.chars().count() >= 2 {
                            self.add(format!("{stem}{short_suffix}"), idx, Kind::Full);
                            self.add(stem.to_string(), idx, Kind::Short);
                        }
                        return;
                    }
                }
                let suffixes: &[&str] = if code.len() == 4 {
                    &["地区", "盟", "市"]
                } else {
                    &["特区", "林区", "新区", "县", "市", "区", "旗"]
                };
                if let Some(stem) = suffixes.iter().find_map(|s| name.strip_suffix(s)) {
                    self.add(stem.to_string(), idx, Kind::Short);
                }
            }
            _ => {}
        }
    }
}

/// Full-width to half-width, whitespace dropped: `利通区　古城镇` reads as `利通区古城镇`.
pub fn normalize(s: &str) -> String {
    // Most texts (and every gazetteer name) have nothing to fold: copied as they are.
    if !s.chars().any(|c| matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}') || c.is_whitespace()) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Drop trailing nationality names (土家族苗族 → ""), keeping at least two characters.
fn strip_ethnic(mut s: &str) -> &str {
    loop {
        let (base, had_zu) = match s.strip_suffix('族') {
            Some(b) => (b, true),
            None => (s, false),
        };
        let next = ETHNIC
            .split(' ')
            .filter(|e| had_zu || e.chars().count() >= 2)
            .filter_map(|e| base.strip_suffix(e))
            .filter(|rest| rest.chars().count() >= 2)
            .min_by_key(|rest| rest.len());
        match next {
            Some(rest) => s = rest,
            None => return s,
        }
    }
}

/// The generic morphemes by their first character, so each position of a name looks only at the
/// morphemes that can start there.
fn generic_by_first() -> HashMap<char, Vec<&'static str>> {
    let mut by_first: HashMap<char, Vec<&'static str>> = HashMap::new();
    for t in GENERIC_TOKENS.split(' ').filter(|t| !t.is_empty()) {
        if let Some(c) = t.chars().next() {
            by_first.entry(c).or_default().push(t);
        }
    }
    by_first
}

/// Whether `name` splits entirely into generic morphemes.
fn is_generic(name: &str, by_first: &HashMap<char, Vec<&'static str>>) -> bool {
    let n = name.len();
    let mut ok = vec![false; n + 1];
    ok[0] = true;
    for (i, c) in name.char_indices() {
        if !ok[i] {
            continue;
        }
        for t in by_first.get(&c).into_iter().flatten() {
            if name[i..].starts_with(t) {
                ok[i + t.len()] = true;
            }
        }
    }
    ok[n]
}
