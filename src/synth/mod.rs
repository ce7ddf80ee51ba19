//! Synthetic reports with their truth: `gongkai synth`, the benchmarks and the bundled samples.
//!
//! A corpus is a set of bodies drawn from the embedded gazetteer (townships, counties, cities,
//! provinces and their departments), each reporting for a run of consecutive years so that
//! `carried_over` follows last year's `carried_forward`. Every report is printed in one layout
//! (see [`Layout`], rendered in [`render`]) and comes with its truth in the gold format of
//! SCHEMA.md §7, plus `sec3_full`, the injected `faults` and the checks that must fail.
//! Row and column labels come from [`crate::template`]; nothing here repeats them.
//! Everything is derived from the seed with a PRNG of our own, so one seed gives one corpus,
//! byte for byte.

mod render;

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::model::{Level, Template};
use crate::template::{self, RowSpec, SEC3_COLS, SEC4_COLS, SEC4_GROUPS};

/// The layouts `gongkai synth` prints, by their `--layouts` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Tabs,
    Markdown,
    CellPerLine,
    DocxLines,
    OneLine,
    SplitNumbers,
    Csv,
    Collapsed,
    PageBreaks,
    Html,
    Docx,
}

impl Layout {
    pub const ALL: &'static [Layout] = &[
        Layout::Tabs,
        Layout::Markdown,
        Layout::CellPerLine,
        Layout::DocxLines,
        Layout::OneLine,
        Layout::SplitNumbers,
        Layout::Csv,
        Layout::Collapsed,
        Layout::PageBreaks,
        Layout::Html,
        Layout::Docx,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Tabs => "tabs",
            Layout::Markdown => "markdown",
            Layout::CellPerLine => "cell-per-line",
            Layout::DocxLines => "docx-lines",
            Layout::OneLine => "one-line",
            Layout::SplitNumbers => "split-numbers",
            Layout::Csv => "csv",
            Layout::Collapsed => "collapsed",
            Layout::PageBreaks => "page-breaks",
            Layout::Html => "html",
            Layout::Docx => "docx",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Layout::Markdown => "md",
            Layout::Csv => "csv",
            Layout::Html => "html",
            Layout::Docx => "docx",
            _ => "txt",
        }
    }

    pub fn from_name(name: &str) -> Option<Layout> {
        Layout::ALL.iter().copied().find(|l| l.name() == name)
    }

    /// Layouts that can print an empty cell so that a reader still sees where it was.
    fn shows_blank(self) -> bool {
        matches!(self, Layout::Tabs | Layout::PageBreaks | Layout::DocxLines | Layout::Markdown | Layout::Html)
    }

    /// Layouts with lines, where page furniture can stand inside a table.
    fn has_pages(self) -> bool {
        !matches!(self, Layout::Html | Layout::OneLine | Layout::Csv)
    }
}

/// Parse a `--layouts` list (`tabs,markdown`); `all` or an empty list means every layout.
pub fn parse_layouts(list: &str) -> Result<Vec<Layout>, String> {
    if list.trim().is_empty() || list.trim() == "all" {
        return Ok(Layout::ALL.to_vec());
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Layout::from_name(s).ok_or_else(|| {
                let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
                format!("unknown layout {s:?} (known: {})", names.join(", "))
            })
        })
        .collect()
}

/// Parse a `--years` range: `2019..2025` (inclusive), `2019..=2025` or one year.
pub fn parse_years(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("--years {text:?}: expected FIRST..LAST, e.g. 2019..2025");
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim().trim_start_matches('=')),
        None => (text.trim(), text.trim()),
    };
    let (a, b): (u16, u16) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a > b || !(2019..=2100).contains(&a) {
        return Err(format!("--years {text:?}: the national tables start with reports on 2019"));
    }
    Ok((a, b))
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub count: usize,
    pub seed: u64,
    pub layouts: Vec<Layout>,
    /// First and last year reported on, inclusive.
    pub years: (u16, u16),
    /// Share of reports that get one injected fault.
    pub fault_rate: f64,
    /// Every body reports on every year of the range (a panel), instead of a run of some years.
    pub panel: bool,
    /// Share of reports that arrive a second time, in another format (an HTML page and its DOCX
    /// attachment, a PDF's text): the same report, other bytes. Their truth says `duplicate_of`.
    pub duplicates: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            count: 100,
            seed: 1,
            layouts: Layout::ALL.to_vec(),
            years: (2019, 2025),
            fault_rate: 0.12,
            panel: false,
            duplicates: 0.0,
        }
    }
}

/// `count` reports from `seed` in `layouts` (all when empty) over `years`, with the default fault
/// rate: `(file name, bytes, truth)` per report, in a fixed order.
pub fn generate(count: usize, seed: u64, layouts: &[Layout], years: (u16, u16)) -> Vec<(String, Vec<u8>, Value)> {
    let layouts = if layouts.is_empty() { Layout::ALL.to_vec() } else { layouts.to_vec() };
    generate_with(&Options { count, seed, layouts, years, ..Options::default() })
}

/// [`generate`] with every option.
pub fn generate_with(opts: &Options) -> Vec<(String, Vec<u8>, Value)> {
    let layouts = if opts.layouts.is_empty() { Layout::ALL.to_vec() } else { opts.layouts.clone() };
    let mut rng = Rng::new(opts.seed);
    let mut reports = Vec::with_capacity(opts.count);
    let (first, last) = opts.years;
    let span = usize::from(last - first) + 1;
    while reports.len() < opts.count {
        let body = Body::draw(&mut rng);
        let (start, len) = if opts.panel || rng.chance(0.4) {
            (first, span)
        } else {
            let len = 1 + rng.below(span);
            (first + rng.below(span - len + 1) as u16, len)
        };
        let mut state = State::new(&body, &mut rng);
        for year in start..start + len as u16 {
            if reports.len() == opts.count {
                break;
            }
            let index = reports.len();
            let layout = layouts[index % layouts.len()];
            let mut report = Report::draw(&body, year, &mut state, &mut rng);
            if rng.chance(opts.fault_rate) {
                report.inject_fault(layout, &mut rng);
            }
            reports.push((index, layout, report));
        }
    }
    let mut out = Vec::with_capacity(reports.len());
    for (index, layout, report) in reports {
        let name = format!("{index:05}_{}_{}_{}", report.body.code(), report.year, layout.name());
        let file = format!("{name}.{}", layout.extension());
        let bytes = render::render(&report, layout, &mut rng);
        let truth = report.truth(&file, layout);
        // Drawn only when asked for, so that corpora without duplicates stay as they were.
        let again = opts.duplicates > 0.0 && rng.chance(opts.duplicates);
        out.push((file.clone(), bytes, truth));
        if again {
            let other = match layout {
                Layout::Html => Layout::Docx,
                Layout::Docx => Layout::PageBreaks,
                _ => Layout::Html,
            };
            let copy = format!("{name}_again_{}.{}", other.name(), other.extension());
            let bytes = render::render(&report, other, &mut rng);
            let mut truth = report.truth(&copy, other);
            truth["duplicate_of"] = json!(file);
            out.push((copy, bytes, truth));
        }
    }
    out
}

/// Reports generated one at a time, `(file name, bytes)`, for corpora too large to hold
/// (`gongkai synth --warehouse`): the same bodies and numbers as [`generate_with`] draws, without
/// second copies or truth, rendered as each is drawn (so the bytes are not those of
/// [`generate_with`] for the same seed).
pub struct Stream {
    opts: Options,
    layouts: Vec<Layout>,
    rng: Rng,
    made: usize,
    /// The body being drawn, its state and the years it has left.
    current: Option<(Body, State, std::ops::Range<u16>)>,
}

impl Stream {
    pub fn new(opts: &Options) -> Self {
        let layouts = if opts.layouts.is_empty() { Layout::ALL.to_vec() } else { opts.layouts.clone() };
        Stream { opts: opts.clone(), layouts, rng: Rng::new(opts.seed), made: 0, current: None }
    }
}

impl Iterator for Stream {
    type Item = (String, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.made >= self.opts.count {
            return None;
        }
        let (first, last) = self.opts.years;
        let span = usize::from(last - first) + 1;
        loop {
            if let Some((body, state, years)) = &mut self.current
                && let Some(year) = years.next()
            {
                let index = self.made;
                let layout = self.layouts[index % self.layouts.len()];
                let mut report = Report::draw(body, year, state, &mut self.rng);
                if self.rng.chance(self.opts.fault_rate) {
                    report.inject_fault(layout, &mut self.rng);
                }
                let name =
                    format!("{index:07}_{}_{}_{}.{}", report.body.code(), year, layout.name(), layout.extension());
                let bytes = render::render(&report, layout, &mut self.rng);
                self.made += 1;
                return Some((name, bytes));
            }
            let body = Body::draw(&mut self.rng);
            let (start, len) = if self.opts.panel || self.rng.chance(0.4) {
                (first, span)
            } else {
                let len = 1 + self.rng.below(span);
                (first + self.rng.below(span - len + 1) as u16, len)
            };
            let state = State::new(&body, &mut self.rng);
            self.current = Some((body, state, start..start + len as u16));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.opts.count - self.made;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Stream {}

/// Write a corpus: `DIR/raw/NAME.ext` and `DIR/gold/NAME.json`, or with `raw_only` just the
/// report files in `DIR`. Returns the number of reports written.
pub fn write(opts: &Options, dir: &Path, raw_only: bool) -> std::io::Result<usize> {
    let corpus = generate_with(opts);
    let (raw, gold) = if raw_only { (dir.to_path_buf(), None) } else { (dir.join("raw"), Some(dir.join("gold"))) };
    std::fs::create_dir_all(&raw)?;
    if let Some(gold) = &gold {
        std::fs::create_dir_all(gold)?;
    }
    for (name, bytes, truth) in &corpus {
        std::fs::write(raw.join(name), bytes)?;
        if let Some(gold) = &gold {
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            let mut text = serde_json::to_string_pretty(truth).expect("truth serialises");
            text.push('\n');
            std::fs::write(gold.join(format!("{stem}.json")), text)?;
        }
    }
    Ok(corpus.len())
}

/// splitmix64: small, fast, and the same on every platform, so a seed names one corpus.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6a09_e667_f3bc_c909)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i64
    }

    /// Roughly log-uniform in `lo..=hi` (`lo` ≥ 1): a doubling band first, then a value in it.
    /// Integer arithmetic only, since `ln`/`exp` may round differently from one libm to another.
    pub fn log_range(&mut self, lo: i64, hi: i64) -> i64 {
        let (lo, hi) = (lo.max(1), hi.max(lo.max(1)));
        let bands = (0..63).take_while(|k| lo << k <= hi).count();
        let k = self.below(bands);
        self.range(lo << k, ((lo << (k + 1)) - 1).min(hi))
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Split `n` into parts by weight: one draw per unit up to a few thousand, then in proportion
    /// with the remainder drawn, so large tables stay cheap.
    fn split(&mut self, n: i64, weights: &[f64]) -> Vec<i64> {
        let mut parts = vec![0i64; weights.len()];
        let total: f64 = weights.iter().sum();
        let mut left = n;
        if n > 2000 {
            for (p, w) in parts.iter_mut().zip(weights) {
                *p = (n as f64 * w / total * (0.9 + 0.2 * self.unit())) as i64;
            }
            let used: i64 = parts.iter().sum();
            if used > n {
                parts.iter_mut().for_each(|p| *p = *p * n / used);
            }
            left = n - parts.iter().sum::<i64>();
        }
        for _ in 0..left {
            parts[self.weighted(weights)] += 1;
        }
        parts
    }
}

/// A number as printed: counts have `scale` 0, money has 2–6 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub units: i64,
    pub scale: u32,
}

impl Num {
    fn int(v: i64) -> Self {
        Num { units: v, scale: 0 }
    }

    fn value(self) -> f64 {
        self.units as f64 / 10f64.powi(self.scale as i32)
    }

    fn text(self) -> String {
        if self.scale == 0 {
            return self.units.to_string();
        }
        let p = 10i64.pow(self.scale);
        let sign = if self.units < 0 { "-" } else { "" };
        let a = self.units.abs();
        format!("{sign}{}.{:0w$}", a / p, a % p, w = self.scale as usize)
    }

    fn json(self) -> Value {
        if self.scale == 0 { json!(self.units) } else { json!(self.value()) }
    }
}

/// A table cell as the report prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Num(Num),
    Blank,
    Dash(&'static str),
}

impl Cell {
    fn int(v: i64) -> Self {
        Cell::Num(Num::int(v))
    }

    pub fn text(&self) -> String {
        match self {
            Cell::Num(n) => n.text(),
            Cell::Blank => String::new(),
            Cell::Dash(d) => (*d).to_string(),
        }
    }

    fn int_value(&self) -> Option<i64> {
        match self {
            Cell::Num(n) if n.scale == 0 => Some(n.units),
            _ => None,
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Num(n) => n.json(),
            _ => Value::Null,
        }
    }
}

/// One division of the gazetteer.
#[derive(Debug, Clone, Copy)]
struct Place {
    code: &'static str,
    name: &'static str,
}

/// The embedded gazetteer by level, with names that make a plausible publishing body.
struct Gazetteer {
    by_code: HashMap<&'static str, &'static str>,
    provinces: Vec<Place>,
    prefectures: Vec<Place>,
    counties: Vec<Place>,
    townships: Vec<Place>,
}

static TSV: &str = include_str!("../../data/gazetteer.tsv");

static GAZ: LazyLock<Gazetteer> = LazyLock::new(|| {
    let mut g = Gazetteer {
        by_code: HashMap::new(),
        provinces: Vec::new(),
        prefectures: Vec::new(),
        counties: Vec::new(),
        townships: Vec::new(),
    };
    // Zones and farms exist in the gazetteer but rarely publish a report under that name.
    let odd =
        ["开发", "园", "新区", "管理", "示范", "实验", "试验", "高新", "经济", "工业", "农场", "林场", "矿区", "直辖"];
    for line in TSV.lines() {
        let Some((code, name)) = line.split_once('\t') else { continue };
        g.by_code.insert(code, name);
        if odd.iter().any(|w| name.contains(w)) {
            continue;
        }
        let place = Place { code, name };
        let chars = name.chars().count();
        match code.len() {
            2 => g.provinces.push(place),
            4 if ["市", "州", "盟", "地区"].iter().any(|s| name.ends_with(s)) => g.prefectures.push(place),
            6 if chars >= 2 && ["县", "区", "市", "旗"].iter().any(|s| name.ends_with(s)) => g.counties.push(place),
            9 if chars >= 3 && ["镇", "乡", "街道"].iter().any(|s| name.ends_with(s)) => g.townships.push(place),
            _ => {}
        }
    }
    g
});

/// Departments of a people's government, by the level's naming (省级 厅, 市县 局).
const PROVINCE_DEPTS: &[&str] =
    &["教育厅", "财政厅", "自然资源厅", "交通运输厅", "生态环境厅", "民政厅", "住房和城乡建设厅", "水利厅"];
const LOCAL_DEPTS: &[&str] = &[
    "财政局",
    "教育局",
    "自然资源局",
    "市场监督管理局",
    "交通运输局",
    "卫生健康委员会",
    "民政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "农业农村局",
    "应急管理局",
];
const MUNICIPALITIES: &[&str] = &["11", "12", "31", "50"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Government,
    Department,
}

/// The ways one body prints its name from year to year: with or without the place above it
/// (利通区古城镇 / 吴忠市利通区古城镇), 人民政府 or 政府, a township's name alone.
fn name_forms(agency: &str, level: Level, chain: &[Place], muni: bool) -> Vec<String> {
    let mut forms = vec![agency.to_string()];
    if agency.contains("人民政府") {
        forms.push(agency.replacen("人民政府", "政府", 1));
    }
    if level == Level::Township
        && let Some(bare) = agency.strip_suffix("人民政府")
    {
        forms.push(bare.to_string());
    }
    // The place above: the province before a prefecture, the prefecture before a county.
    let above = match level {
        Level::Prefecture => chain.first(),
        Level::County | Level::Township if !muni => chain.get(1),
        _ => None,
    };
    if let Some(above) = above.filter(|p| !agency.starts_with(p.name)) {
        forms.push(format!("{}{agency}", above.name));
    }
    forms
}

/// A publishing body: its printed name and where it is.
#[derive(Debug, Clone)]
struct Body {
    /// Every way it prints its name, its usual name first.
    forms: Vec<String>,
    /// The body_id gongkai should give it (`CODE/KIND`, see data/bodies.toml).
    body_id: String,
    /// The short name used in sentences (我镇, 本机关 …).
    we: &'static str,
    level: Level,
    kind: Kind,
    /// Province first, then prefecture (absent in municipalities), county, township.
    chain: Vec<Place>,
}

impl Body {
    fn draw(rng: &mut Rng) -> Body {
        let g = &*GAZ;
        let roll = rng.unit();
        let (level, kind) = match roll {
            r if r < 0.42 => (Level::Township, Kind::Government),
            r if r < 0.58 => (Level::County, Kind::Government),
            r if r < 0.72 => (Level::County, Kind::Department),
            r if r < 0.80 => (Level::Prefecture, Kind::Government),
            r if r < 0.91 => (Level::Prefecture, Kind::Department),
            r if r < 0.95 => (Level::Province, Kind::Government),
            _ => (Level::Province, Kind::Department),
        };
        let leaf = match level {
            Level::Township => *rng.pick(&g.townships),
            Level::County => *rng.pick(&g.counties),
            Level::Prefecture => *rng.pick(&g.prefectures),
            _ => *rng.pick(&g.provinces),
        };
        let chain: Vec<Place> = [2, 4, 6, 9]
            .iter()
            .filter(|n| **n <= leaf.code.len())
            .filter_map(|n| {
                let code = &leaf.code[..*n];
                g.by_code.get(code).map(|name| Place { code, name })
            })
            .collect();
        let name = |i: usize| chain.get(i).map_or("", |p| p.name);
        let parent = |n: usize| chain.iter().rev().nth(n).map_or("", |p| p.name);
        let muni = MUNICIPALITIES.contains(&&leaf.code[..2]);
        let mut dept: Option<&'static str> = None;
        let (agency, we) = match (level, kind) {
            (Level::Township, _) => {
                let office = if leaf.name.ends_with("街道") { "办事处" } else { "人民政府" };
                let county = parent(1);
                let prefix =
                    if !muni && rng.chance(0.4) { format!("{}{county}", parent(2)) } else { county.to_string() };
                let we = if leaf.name.ends_with('乡') {
                    "我乡"
                } else if leaf.name.ends_with('镇') {
                    "我镇"
                } else {
                    "本街道"
                };
                (format!("{prefix}{}{office}", leaf.name), we)
            }
            (Level::County, Kind::Government) => {
                let office = if rng.chance(0.5) { "人民政府" } else { "人民政府办公室" };
                let prefix = if muni { name(0) } else { parent(1) };
                (format!("{prefix}{}{office}", leaf.name), "本机关")
            }
            (Level::County, Kind::Department) => {
                let prefix = if muni { name(0) } else { parent(1) };
                dept = Some(*rng.pick(LOCAL_DEPTS));
                (format!("{prefix}{}{}", leaf.name, dept.unwrap_or_default()), "本机关")
            }
            (Level::Prefecture, Kind::Government) => {
                let office = if rng.chance(0.5) { "人民政府" } else { "人民政府办公室" };
                (format!("{}{office}", leaf.name), "本机关")
            }
            (Level::Prefecture, Kind::Department) => {
                dept = Some(*rng.pick(LOCAL_DEPTS));
                (format!("{}{}", leaf.name, dept.unwrap_or_default()), "本机关")
            }
            (_, Kind::Government) => {
                let office = if rng.chance(0.5) { "人民政府办公厅" } else { "人民政府" };
                (format!("{}{office}", leaf.name), "本机关")
            }
            (_, Kind::Department) => {
                dept = Some(if muni { *rng.pick(LOCAL_DEPTS) } else { *rng.pick(PROVINCE_DEPTS) });
                (format!("{}{}", leaf.name, dept.unwrap_or_default()), "本机关")
            }
        };
        let body_id = match dept {
            Some(dept) => format!("{}/department/{dept}", leaf.code),
            None if agency.ends_with("办公室") || agency.ends_with("办公厅") => {
                format!("{}/government_office", leaf.code)
            }
            None => format!("{}/government", leaf.code),
        };
        let forms = name_forms(&agency, level, &chain, muni);
        Body { forms, body_id, we, level, kind, chain }
    }

    fn code(&self) -> &'static str {
        self.chain.last().map_or("00", |p| p.code)
    }

    /// The full place name, province first (for the contact address).
    fn address(&self) -> String {
        self.chain.iter().map(|p| p.name).collect()
    }

    /// Yearly new applications around which this body's numbers are drawn.
    fn volume(&self, rng: &mut Rng) -> i64 {
        match (self.level, self.kind) {
            (Level::Township, _) if rng.chance(0.6) => 0,
            (Level::Township, _) => rng.log_range(1, 8),
            (Level::County, Kind::Government) => rng.log_range(5, 90),
            (Level::County, _) if rng.chance(0.3) => 0,
            (Level::County, _) => rng.log_range(1, 30),
            (Level::Prefecture, Kind::Government) => rng.log_range(100, 3000),
            (Level::Prefecture, _) => rng.log_range(8, 400),
            (_, Kind::Government) => rng.log_range(200, 3000),
            _ => rng.log_range(20, 800),
        }
    }
}

/// What a body carries from one year to the next.
struct State {
    volume: i64,
    growth: f64,
    carried: [i64; 6],
    rules_in_force: i64,
    docs_in_force: i64,
    prev_items: [i64; 4],
}

impl State {
    fn new(body: &Body, rng: &mut Rng) -> State {
        let volume = body.volume(rng);
        let big = matches!(body.level, Level::Prefecture | Level::Province);
        let gov = body.kind == Kind::Government;
        State {
            volume,
            growth: 0.85 + 0.35 * rng.unit(),
            carried: [0; 6],
            rules_in_force: if big && gov { rng.range(30, 300) } else { 0 },
            docs_in_force: match body.level {
                Level::Township => rng.range(0, 12),
                Level::County => rng.range(5, 150),
                _ => rng.range(40, 600),
            },
            prev_items: [rng.range(0, 300), rng.range(0, 80), rng.range(0, 60), rng.range(0, 20)],
        }
    }
}

/// A fault injected into a report, kept in its truth.
#[derive(Debug, Clone)]
enum Fault {
    BrokenIdentity { cell: String, printed: i64, consistent: i64 },
    Blank { cell: String },
    Dash { cell: String, printed: &'static str },
    LabelTypo { row: &'static str, printed: String },
    PageBreak { after_row: &'static str },
}

/// One report as printed: every cell, the narrative facts, the faults.
struct Report {
    body: Body,
    /// The body's name as this year's report prints it (one of `body.forms`).
    agency: String,
    year: u16,
    template: Template,
    sec2: Vec<(&'static RowSpec, Vec<Cell>)>,
    sec3: Vec<(&'static RowSpec, Vec<Cell>)>,
    /// 3 groups × 5 columns, in SEC4_GROUPS × SEC4_COLS order.
    sec4: Vec<Cell>,
    proactive: i64,
    /// Applications the narrative states (the true new_received total).
    applications: i64,
    published: (u16, u32, u32),
    faults: Vec<Fault>,
    /// Index into `sec3` after which a page break falls, when one does.
    page_break_after: Option<usize>,
}

/// Applicant column shares of new applications (natural persons dominate).
const COL_WEIGHTS: [f64; 6] = [0.86, 0.07, 0.004, 0.01, 0.02, 0.036];

fn outcome_weight(key: &str) -> f64 {
    match key {
        "granted" => 0.40,
        "partially_granted" => 0.11,
        "withheld_state_secret" | "withheld_security_stability" | "rejected_publication" => 0.005,
        "withheld_law_prohibited" | "withheld_enforcement_file" | "rejected_excessive" => 0.01,
        "withheld_third_party" | "withheld_internal_affairs" | "withheld_admin_query" => 0.02,
        "withheld_process_info" | "unavailable_needs_creation" | "unavailable_unclear" => 0.03,
        "unavailable_not_held" => 0.17,
        "rejected_petition" => 0.02,
        "rejected_duplicate" | "rejected_confirm_reissue" => 0.02,
        "other_no_correction" => 0.03,
        "other_fee_unpaid" => 0.002,
        "other_misc" => 0.04,
        "other_subtotal" => 0.07,
        _ => 0.0,
    }
}

impl Report {
    fn draw(body: &Body, year: u16, state: &mut State, rng: &mut Rng) -> Report {
        let template = if year <= 2020 { Template::Y2019 } else { Template::Y2021 };
        // Small numbers wander by one; larger ones follow the body's trend with some noise.
        state.volume = match state.volume {
            0 if rng.chance(if body.level == Level::Township { 0.15 } else { 0.5 }) => 1,
            0 => 0,
            v @ 1..8 => (v + rng.range(-1, 1)).max(0),
            v => ((v as f64) * state.growth * (0.8 + 0.4 * rng.unit())).round() as i64,
        };
        // sec3, column by column: new + carried over = decided + carried forward.
        let new = rng.split(state.volume, &COL_WEIGHTS);
        let specs = template::sec3_specs(template);
        let outcome_rows: Vec<&'static RowSpec> =
            specs.iter().copied().filter(|s| template::is_outcome_row(s.key)).collect();
        let weights: Vec<f64> = outcome_rows.iter().map(|s| outcome_weight(s.key)).collect();
        let mut columns: Vec<HashMap<&'static str, i64>> = Vec::new();
        let mut forward = [0i64; 6];
        for c in 0..6 {
            let open = new[c] + state.carried[c];
            let fwd = if open > 0 && rng.chance(0.35) { rng.range(0, (open / 8).max(1)).min(open) } else { 0 };
            forward[c] = fwd;
            let parts = rng.split(open - fwd, &weights);
            let mut col: HashMap<&'static str, i64> = outcome_rows.iter().map(|s| s.key).zip(parts).collect();
            col.insert("new_received", new[c]);
            col.insert("carried_over", state.carried[c]);
            col.insert("results_total", open - fwd);
            col.insert("carried_forward", fwd);
            columns.push(col);
        }
        state.carried = forward;
        let sec3 = specs
            .iter()
            .map(|spec| {
                let mut cells: Vec<Cell> = columns.iter().map(|col| Cell::int(col[spec.key])).collect();
                let total = columns.iter().map(|col| col[spec.key]).sum();
                cells.push(Cell::int(total));
                (*spec, cells)
            })
            .collect();
        let applications = new.iter().sum();
        let sec4 = Self::draw_sec4(applications, body, rng);
        let sec2 = Self::draw_sec2(template, body, state, rng);
        let proactive = match body.level {
            Level::Township => rng.log_range(20, 900),
            Level::County => rng.log_range(80, 6000),
            _ => rng.log_range(300, 20000),
        };
        let month = 1 + rng.below(3) as u32;
        let published = (year + 1, month, 1 + rng.below(if month == 2 { 28 } else { 30 }) as u32);
        let agency = body.forms[rng.below(body.forms.len())].clone();
        Report {
            agency,
            body: body.clone(),
            year,
            template,
            sec2,
            sec3,
            sec4,
            proactive,
            applications,
            published,
            faults: Vec::new(),
            page_break_after: None,
        }
    }

    fn draw_sec4(applications: i64, body: &Body, rng: &mut Rng) -> Vec<Cell> {
        let quiet = body.level == Level::Township && rng.chance(0.9);
        let review = if quiet { 0 } else { (applications as f64 * 0.06 * rng.unit()) as i64 };
        let direct = if quiet { 0 } else { (applications as f64 * 0.04 * rng.unit()) as i64 };
        let after = (review as f64 * 0.4 * rng.unit()) as i64;
        let mut cells = Vec::new();
        for n in [review, direct, after] {
            let parts = rng.split(n, &[0.55, 0.1, 0.2, 0.15]);
            cells.extend(parts.iter().map(|v| Cell::int(*v)));
            cells.push(Cell::int(n));
        }
        cells
    }

    fn draw_sec2(
        template: Template,
        body: &Body,
        state: &mut State,
        rng: &mut Rng,
    ) -> Vec<(&'static RowSpec, Vec<Cell>)> {
        let small = body.level == Level::Township;
        let big = matches!(body.level, Level::Prefecture | Level::Province);
        let rules_issued = if state.rules_in_force > 0 { rng.range(0, 8) } else { 0 };
        let rules_repealed = rng.range(0, rules_issued.min(3));
        let docs_issued = match body.level {
            Level::Township => rng.range(0, 2) * i64::from(rng.chance(0.3)),
            Level::County => rng.range(0, 20),
            _ => rng.range(3, 60),
        };
        let docs_repealed = rng.range(0, (state.docs_in_force / 10).min(10));
        state.rules_in_force = (state.rules_in_force + rules_issued - rules_repealed).max(0);
        state.docs_in_force = (state.docs_in_force + docs_issued - docs_repealed).max(0);
        let decisions = |rng: &mut Rng, hi: i64| -> i64 {
            if small && rng.chance(0.7) { 0 } else { rng.log_range(1, if small { 40 } else { hi }) - 1 }
        };
        let license = decisions(rng, if big { 30000 } else { 3000 });
        let penalty = decisions(rng, if big { 5000 } else { 600 });
        let coercion = decisions(rng, 80);
        let mut out = Vec::new();
        for spec in template::sec2_specs(template) {
            let cells: Vec<Cell> = match (template, spec.key) {
                (Template::Y2019, "rules") => {
                    vec![Cell::int(rules_issued), Cell::int(rules_issued), Cell::int(state.rules_in_force)]
                }
                (Template::Y2019, "normative_docs") => {
                    let published = docs_issued - i64::from(docs_issued > 0 && rng.chance(0.1));
                    vec![Cell::int(docs_issued), Cell::int(published), Cell::int(state.docs_in_force)]
                }
                (Template::Y2019, "admin_fees") => {
                    let prev = state.prev_items[3];
                    let change = rng.range(-(prev.min(2)), 1);
                    state.prev_items[3] = prev + change;
                    vec![Cell::int(prev), Cell::int(change)]
                }
                (Template::Y2019, "central_procurement") => {
                    let items = if small { rng.range(0, 3) } else { rng.log_range(1, 400) };
                    let amount = Num { units: items * rng.log_range(2000, 800_000) * 100, scale: 2 };
                    vec![Cell::int(items), Cell::Num(amount)]
                }
                (Template::Y2019, key) => {
                    let i = match key {
                        "admin_license" => 0,
                        "other_admin_services" => 1,
                        _ => 2,
                    };
                    let prev = state.prev_items[i];
                    let change = rng.range(-(prev.min(5)), 5);
                    state.prev_items[i] = prev + change;
                    let d = match key {
                        "admin_license" => license,
                        "other_admin_services" => decisions(rng, 500),
                        "admin_penalty" => penalty,
                        _ => coercion,
                    };
                    vec![Cell::int(prev), Cell::int(change), Cell::int(d)]
                }
                (_, "rules") => {
                    vec![Cell::int(rules_issued), Cell::int(rules_repealed), Cell::int(state.rules_in_force)]
                }
                (_, "normative_docs") => {
                    vec![Cell::int(docs_issued), Cell::int(docs_repealed), Cell::int(state.docs_in_force)]
                }
                (_, "admin_license") => vec![Cell::int(license)],
                (_, "admin_penalty") => vec![Cell::int(penalty)],
                (_, "admin_coercion") => vec![Cell::int(coercion)],
                (_, _) => {
                    // 万元 with 2–6 decimals, mostly none charged below the city level.
                    let scale = 2 + rng.below(5) as u32;
                    let units = if small || rng.chance(0.5) {
                        0
                    } else {
                        rng.log_range(1, if big { 50_000 } else { 500 }) * 10i64.pow(scale) / 10
                            + rng.range(0, 10i64.pow(scale - 1))
                    };
                    vec![Cell::Num(Num { units, scale })]
                }
            };
            out.push((spec, cells));
        }
        out
    }

    /// Change the report so that it holds one fault, recorded in `faults`.
    fn inject_fault(&mut self, layout: Layout, rng: &mut Rng) {
        let mut kind = rng.below(5);
        if kind == 4 && !layout.has_pages() {
            kind = 0;
        }
        match kind {
            0 => self.break_identity(rng),
            1 | 2 => {
                // A blank only where the layout can show it; elsewhere the cell is printed as a dash.
                let blank = kind == 1 && layout.shows_blank();
                let (cell, at) = self.any_sec3_cell(rng);
                if blank {
                    self.sec3[at.0].1[at.1] = Cell::Blank;
                    self.faults.push(Fault::Blank { cell });
                } else {
                    let printed = *rng.pick(&["/", "—"]);
                    self.sec3[at.0].1[at.1] = Cell::Dash(printed);
                    self.faults.push(Fault::Dash { cell, printed });
                }
            }
            3 => {
                let candidates: Vec<usize> = (0..self.sec3.len())
                    .filter(|i| self.sec3[*i].0.label.chars().filter(|c| is_han(*c)).count() >= 6)
                    .collect();
                let i = *rng.pick(&candidates);
                let spec = self.sec3[i].0;
                let chars: Vec<char> = spec.label.chars().collect();
                let han: Vec<usize> = (1..chars.len()).filter(|j| is_han(chars[*j])).collect();
                let j = *rng.pick(&han);
                let mut printed = chars.clone();
                let swap = ['的', '份', '请', '息', '年', '公', '政', '理'];
                let others: Vec<char> = swap.iter().copied().filter(|c| *c != chars[j]).collect();
                printed[j] = *rng.pick(&others);
                let printed: String = printed.into_iter().collect();
                self.faults.push(Fault::LabelTypo { row: spec.key, printed });
            }
            _ => {
                let at = 3 + rng.below(self.sec3.len() - 6);
                self.page_break_after = Some(at);
                self.faults.push(Fault::PageBreak { after_row: self.sec3[at].0.key });
            }
        }
    }

    /// A sec3 cell by position, and its flat key.
    fn any_sec3_cell(&self, rng: &mut Rng) -> (String, (usize, usize)) {
        let r = rng.below(self.sec3.len());
        let c = rng.below(7);
        (format!("sec3.{}.{}", self.sec3[r].0.key, SEC3_COLS[c]), (r, c))
    }

    /// Change one count so that an identity fails: a sec3 cell (H1/H2/H3) or a sec4 total (H4).
    fn break_identity(&mut self, rng: &mut Rng) {
        let delta = *rng.pick(&[1i64, 2, 10, -1]);
        if rng.chance(0.25) {
            let g = rng.below(3);
            let at = g * 5 + 4;
            let old = self.sec4[at].int_value().unwrap_or(0);
            let printed = if old + delta < 0 { old + 1 } else { old + delta };
            self.sec4[at] = Cell::int(printed);
            self.faults.push(Fault::BrokenIdentity {
                cell: format!("sec4.{}.total", SEC4_GROUPS[g]),
                printed,
                consistent: old,
            });
        } else {
            let (cell, (r, c)) = self.any_sec3_cell(rng);
            let old = self.sec3[r].1[c].int_value().unwrap_or(0);
            let printed = if old + delta < 0 { old + 1 } else { old + delta };
            self.sec3[r].1[c] = Cell::int(printed);
            self.faults.push(Fault::BrokenIdentity { cell, printed, consistent: old });
        }
    }

    fn sec3_row(&self, key: &str) -> Option<&[Cell]> {
        self.sec3.iter().find(|(s, _)| s.key == key).map(|(_, c)| c.as_slice())
    }

    /// The printed label of a sec3 row (with a typo where one was injected).
    fn sec3_label(&self, spec: &RowSpec) -> String {
        self.faults
            .iter()
            .find_map(|f| match f {
                Fault::LabelTypo { row, printed } if *row == spec.key => Some(printed.clone()),
                _ => None,
            })
            .unwrap_or_else(|| spec.label.to_string())
    }

    fn title(&self) -> String {
        format!("{}{}年政府信息公开工作年度报告", self.agency, self.year)
    }

    fn date_text(&self) -> String {
        let (y, m, d) = self.published;
        format!("{y}年{m}月{d}日")
    }

    fn date_iso(&self) -> String {
        let (y, m, d) = self.published;
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// The identities H1–H4 (SCHEMA.md §4) over the printed cells: `(id, scope)` of those that fail.
    /// A blank or dash makes its identity not assessable, never failed.
    fn failed_checks(&self) -> Vec<(&'static str, String)> {
        let mut failed = Vec::new();
        let v = |row: &str, c: usize| self.sec3_row(row).and_then(|cells| cells[c].int_value());
        let sum = |vals: &[Option<i64>]| vals.iter().try_fold(0i64, |a, v| v.map(|v| a + v));
        let outcome: Vec<&str> = self.sec3.iter().map(|(s, _)| s.key).filter(|k| template::is_outcome_row(k)).collect();
        for (c, col) in SEC3_COLS.iter().enumerate() {
            let lhs = sum(&[v("new_received", c), v("carried_over", c)]);
            let rhs = sum(&[v("results_total", c), v("carried_forward", c)]);
            if let (Some(l), Some(r)) = (lhs, rhs)
                && l != r
            {
                failed.push(("H1", col.to_string()));
            }
            let parts: Vec<Option<i64>> = outcome.iter().map(|r| v(r, c)).collect();
            if let (Some(l), Some(r)) = (v("results_total", c), sum(&parts))
                && l != r
            {
                failed.push(("H2", col.to_string()));
            }
        }
        for (spec, cells) in &self.sec3 {
            let parts: Vec<Option<i64>> = cells[..6].iter().map(Cell::int_value).collect();
            if let (Some(l), Some(r)) = (cells[6].int_value(), sum(&parts))
                && l != r
            {
                failed.push(("H3", spec.key.to_string()));
            }
        }
        for (g, group) in SEC4_GROUPS.iter().enumerate() {
            let cells = &self.sec4[g * 5..g * 5 + 5];
            let parts: Vec<Option<i64>> = cells[..4].iter().map(Cell::int_value).collect();
            if let (Some(l), Some(r)) = (cells[4].int_value(), sum(&parts))
                && l != r
            {
                failed.push(("H4", group.to_string()));
            }
        }
        failed
    }

    /// The truth of this report: the gold format of SCHEMA.md §7 and more.
    fn truth(&self, file: &str, layout: Layout) -> Value {
        let sec2 = |key: &str| self.sec2.iter().find(|(s, _)| s.key == key).map(|(_, c)| c.as_slice());
        let first = |key: &str| sec2(key).and_then(|c| c.last()).map_or(Value::Null, Cell::json);
        let docs = |key: &str| -> Value {
            let c = sec2(key).unwrap_or(&[]);
            match self.template {
                Template::Y2019 => json!([c[0].json(), Value::Null, c[2].json()]),
                _ => json!([c[0].json(), c[1].json(), c[2].json()]),
            }
        };
        let gold_sec2 = json!({
            "rules": docs("rules"),
            "normative_docs": docs("normative_docs"),
            "licensing": first("admin_license"),
            "punishment": first("admin_penalty"),
            "coercion": first("admin_coercion"),
            "fees_wan": if self.template == Template::Y2019 { Value::Null } else { first("admin_fees") },
        });
        let row =
            |key: &str| -> Value { self.sec3_row(key).map_or(Value::Null, |c| c.iter().map(Cell::json).collect()) };
        let gold_sec3 = json!({
            "new": row("new_received"),
            "carried_over": row("carried_over"),
            "granted": row("granted"),
            "partial": row("partially_granted"),
            "total_processed": row("results_total"),
            "carried_forward": row("carried_forward"),
        });
        let sec3_full: serde_json::Map<String, Value> =
            self.sec3.iter().map(|(s, cells)| (s.key.to_string(), cells.iter().map(Cell::json).collect())).collect();
        let sec2_full: serde_json::Map<String, Value> = self
            .sec2
            .iter()
            .map(|(s, cells)| {
                let row: serde_json::Map<String, Value> =
                    s.cols.iter().zip(cells).map(|(c, v)| (c.to_string(), v.json())).collect();
                (s.key.to_string(), Value::Object(row))
            })
            .collect();
        let sec4: Vec<Value> = self.sec4.iter().map(Cell::json).collect();
        let faults: Vec<Value> = self
            .faults
            .iter()
            .map(|f| match f {
                Fault::BrokenIdentity { cell, printed, consistent } => {
                    json!({"kind": "broken_identity", "cell": cell, "printed": printed, "consistent": consistent})
                }
                Fault::Blank { cell } => json!({"kind": "blank", "cell": cell}),
                Fault::Dash { cell, printed } => json!({"kind": "dash", "cell": cell, "printed": printed}),
                Fault::LabelTypo { row, printed } => json!({"kind": "label_typo", "row": row, "printed": printed}),
                Fault::PageBreak { after_row } => json!({"kind": "page_break", "after_row": after_row}),
            })
            .collect();
        let failed: Vec<Value> = self.failed_checks().into_iter().map(|(id, scope)| json!([id, scope])).collect();
        let mut t = serde_json::Map::new();
        t.insert("source".into(), json!(format!("synth {file}")));
        t.insert("format".into(), json!(layout.extension()));
        t.insert("layout".into(), json!(layout.name()));
        t.insert("title".into(), json!(self.title()));
        t.insert("agency".into(), json!(self.agency));
        t.insert("body_id".into(), json!(self.body.body_id));
        let names = ["province", "prefecture", "county", "township"];
        for place in &self.body.chain {
            let field = match place.code.len() {
                2 => 0,
                4 => 1,
                6 => 2,
                _ => 3,
            };
            t.insert(names[field].into(), json!(place.name));
            t.insert(format!("{}_code", names[field]), json!(place.code));
        }
        t.insert("level".into(), json!(self.body.level.as_str()));
        t.insert("year".into(), json!(self.year));
        t.insert("template".into(), json!(self.template.as_str()));
        t.insert("published_on".into(), json!(self.date_iso()));
        t.insert("proactive_total".into(), json!(self.proactive));
        t.insert("narrative_applications".into(), json!(self.applications));
        t.insert("info_fee_yuan".into(), json!(0));
        t.insert("sec2".into(), gold_sec2);
        t.insert("sec2_full".into(), Value::Object(sec2_full));
        t.insert("sec3".into(), gold_sec3);
        t.insert("sec3_full".into(), Value::Object(sec3_full));
        t.insert("sec4".into(), Value::Array(sec4));
        t.insert("faults".into(), Value::Array(faults));
        t.insert("expected_failed_checks".into(), Value::Array(failed));
        Value::Object(t)
    }
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The columns of sec4 by flat position, for renderers.
fn sec4_col(i: usize) -> &'static str {
    SEC4_COLS[i % 5]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let a = generate(40, 7, &[], (2019, 2025));
        let b = generate(40, 7, &[], (2019, 2025));
        assert_eq!(a, b);
        let c = generate(40, 8, &[], (2019, 2025));
        assert_ne!(a, c);
    }

    #[test]
    fn truths_hold_the_identities_except_injected_breaks() {
        let corpus = generate_with(&Options { count: 600, seed: 3, fault_rate: 0.3, ..Options::default() });
        let mut broken = 0;
        for (name, _, truth) in &corpus {
            let faults = truth["faults"].as_array().unwrap();
            let failed = truth["expected_failed_checks"].as_array().unwrap();
            let breaks = faults.iter().any(|f| f["kind"] == "broken_identity");
            assert_eq!(breaks, !failed.is_empty(), "{name}: {faults:?} {failed:?}");
            broken += usize::from(breaks);
            let template = truth["template"].as_str().unwrap();
            let full = truth["sec3_full"].as_object().unwrap();
            assert_eq!(full.contains_key("other_subtotal"), template == "2019", "{name}");
            assert_eq!(full.contains_key("other_misc"), template == "2021", "{name}");
            assert!(truth["province"].is_string(), "{name}");
        }
        assert!(broken > 20, "{broken}");
        // Without faults nothing fails.
        for (name, _, truth) in generate_with(&Options { count: 300, seed: 4, fault_rate: 0.0, ..Options::default() }) {
            assert_eq!(truth["expected_failed_checks"], json!([]), "{name}");
        }
    }

    #[test]
    fn years_choose_the_template() {
        for (_, _, truth) in generate(60, 5, &[Layout::Tabs], (2019, 2025)) {
            let year = truth["year"].as_u64().unwrap();
            assert_eq!(truth["template"], if year <= 2020 { "2019" } else { "2021" });
        }
    }

    #[test]
    fn every_layout_renders() {
        let corpus = generate(Layout::ALL.len() * 6, 11, &[], (2019, 2025));
        for layout in Layout::ALL {
            let files: Vec<_> = corpus.iter().filter(|(_, _, t)| t["layout"] == layout.name()).collect();
            assert!(!files.is_empty(), "{}", layout.name());
            for (name, bytes, truth) in files {
                assert!(name.ends_with(layout.extension()), "{name}");
                let text = if *layout == Layout::Docx {
                    use std::io::Read;
                    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
                    let mut xml = String::new();
                    zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
                    xml
                } else {
                    String::from_utf8(bytes.clone()).unwrap()
                };
                assert!(text.contains("规章"), "{name}");
                let agency = truth["agency"].as_str().unwrap();
                assert!(text.contains(agency), "{name}: {agency}");
                match layout {
                    Layout::OneLine => assert_eq!(text.trim_end().lines().count(), 1, "{name}"),
                    Layout::Csv => assert!(text.starts_with("标题,时间,内容,来源网站"), "{name}"),
                    Layout::Html => assert!(text.contains("<table"), "{name}"),
                    Layout::Markdown => assert!(text.contains("|---"), "{name}"),
                    Layout::Docx => assert!(text.contains("<w:tbl>") && text.contains("w:vMerge"), "{name}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn layouts_and_years_parse() {
        assert_eq!(parse_layouts("tabs, one-line").unwrap(), vec![Layout::Tabs, Layout::OneLine]);
        assert_eq!(parse_layouts("all").unwrap().len(), Layout::ALL.len());
        assert!(parse_layouts("tabs,fancy").is_err());
        assert_eq!(parse_years("2019..2025").unwrap(), (2019, 2025));
        assert_eq!(parse_years("2021..=2022").unwrap(), (2021, 2022));
        assert_eq!(parse_years("2023").unwrap(), (2023, 2023));
        assert!(parse_years("2025..2019").is_err());
    }

    #[test]
    fn log_range_stays_in_bounds() {
        let mut rng = Rng::new(9);
        for (lo, hi) in [(1, 8), (5, 90), (100, 3000), (1, 1), (20, 800)] {
            for _ in 0..200 {
                let v = rng.log_range(lo, hi);
                assert!((lo..=hi).contains(&v), "{lo}..={hi}: {v}");
            }
        }
    }

    #[test]
    fn numbers_print_as_reports_do() {
        assert_eq!(Num { units: 123_450, scale: 4 }.text(), "12.3450");
        assert_eq!(Num { units: 5, scale: 2 }.text(), "0.05");
        assert_eq!(Num::int(-3).text(), "-3");
    }
}
