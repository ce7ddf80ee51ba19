//! The dashboard's charts, drawn on the server as SVG: line and bar charts over years.
//!
//! Written here rather than with a plotting library because every mark is evidence: each point
//! or bar is an element of class `mark` with its value as a `<title>` (shown on hover) and a link
//! to the page behind the number (a province, a report), which plotting libraries' SVG output
//! cannot carry. Text is plain SVG `<text>`, so Chinese labels render in the browser's fonts.

use std::fmt::Write;

use super::html::escape;

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A line through each series' points, a circle on each.
    Line,
    /// One bar per point, the series side by side within each x.
    Bars,
}

/// One value to draw. `None` is a value not printed (or not computable): no mark, a gap in a line.
#[derive(Debug, Clone)]
pub struct Point {
    pub x: String,
    pub y: Option<f64>,
    /// Where the mark leads: the page with the evidence behind the number.
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone)]
pub struct Chart {
    /// The element id (`chart-ID`), stable for scripts and tests.
    pub id: String,
    pub title: String,
    /// What the y axis counts (件, 次, or empty for shares, which `percent` formats).
    pub unit: String,
    pub kind: Kind,
    /// Values are shares (0–1) shown as percentages.
    pub percent: bool,
    pub series: Vec<Series>,
    /// A small multiple: smaller, without axis titles or legend.
    pub small: bool,
}

const PALETTE: &[&str] = &["#1f6fb4", "#d9822b", "#2e9e5b", "#c23b3b", "#7b57b5", "#6b6b6b"];
const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif";

impl Chart {
    /// The marks this chart draws: one per point with a value.
    pub fn marks(&self) -> usize {
        self.series.iter().flat_map(|s| &s.points).filter(|p| p.y.is_some()).count()
    }

    /// The chart as an SVG element inside a `<figure>`; `data-points` says how many marks it holds.
    pub fn render(&self) -> String {
        let (width, height) = if self.small { (220.0, 120.0) } else { (640.0, 300.0) };
        let (left, right, top, bottom) = if self.small { (40.0, 8.0, 18.0, 20.0) } else { (70.0, 16.0, 34.0, 44.0) };
        let plot_w = width - left - right;
        let plot_h = height - top - bottom;
        let xs = self.x_labels();
        let max = self.series.iter().flat_map(|s| &s.points).filter_map(|p| p.y).fold(0.0_f64, f64::max);
        let (top_value, step) = nice_scale(max, if self.small { 2 } else { 4 });
        let y_of = |v: f64| top + plot_h - if top_value > 0.0 { v / top_value * plot_h } else { 0.0 };
        let slot = plot_w / xs.len().max(1) as f64;
        let x_of = |i: usize| left + slot * (i as f64 + 0.5);

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<figure class="chart{small}" id="chart-{id}" data-points="{points}"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" font-family="{FONT}"><title>{title}</title>"#,
            small = if self.small { " small" } else { "" },
            id = escape(&self.id),
            points = self.marks(),
            title = escape(&self.title),
        );
        let font = if self.small { 9 } else { 12 };
        let _ = write!(
            svg,
            r#"<text x="{left}" y="{}" font-size="{}" font-weight="bold">{}</text>"#,
            if self.small { 12.0 } else { 20.0 },
            font + 1,
            escape(&self.title)
        );
        // The value axis: gridlines at each step, labelled.
        let mut tick = 0.0;
        while tick <= top_value + step / 2.0 && step > 0.0 {
            let y = y_of(tick);
            let _ = write!(
                svg,
                r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="{font}" text-anchor="end">{}</text>"##,
                left + plot_w,
                left - 4.0,
                y + 4.0,
                escape(&self.format(tick)),
            );
            tick += step;
        }
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{}" stroke="#888"/><line x1="{left}" x2="{}" y1="{y0}" y2="{y0}" stroke="#888"/>"##,
            top + plot_h,
            left + plot_w,
            y0 = top + plot_h,
        );
        if !self.small && !self.unit.is_empty() {
            let _ = write!(
                svg,
                r#"<text x="14" y="{:.1}" font-size="{font}" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text>"#,
                top + plot_h / 2.0,
                top + plot_h / 2.0,
                escape(&self.unit)
            );
        }
        // The category axis: every label, or every other one when they would crowd.
        let every = if slot < 28.0 { 2 } else { 1 };
        for (i, x) in xs.iter().enumerate() {
            if i % every == 0 || i + 1 == xs.len() {
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" font-size="{font}" text-anchor="middle">{}</text>"#,
                    x_of(i),
                    top + plot_h + font as f64 + 4.0,
                    escape(x)
                );
            }
        }
        match self.kind {
            Kind::Line => self.draw_lines(&mut svg, &xs, &x_of, &y_of),
            Kind::Bars => self.draw_bars(&mut svg, &xs, slot, &x_of, &y_of),
        }
        svg.push_str("</svg>");
        if !self.small && self.series.len() > 1 {
            svg.push_str(r#"<figcaption class="legend">"#);
            for (i, s) in self.series.iter().enumerate() {
                let _ = write!(
                    svg,
                    r#"<span><i style="background:{}"></i>{}</span>"#,
                    PALETTE[i % PALETTE.len()],
                    escape(&s.name)
                );
            }
            svg.push_str("</figcaption>");
        }
        svg.push_str("</figure>");
        svg
    }

    fn draw_lines(&self, svg: &mut String, xs: &[String], x_of: &dyn Fn(usize) -> f64, y_of: &dyn Fn(f64) -> f64) {
        for (n, series) in self.series.iter().enumerate() {
            let color = PALETTE[n % PALETTE.len()];
            // A gap where a value is missing: never a line drawn through a number nobody printed.
            let mut run: Vec<String> = Vec::new();
            let flush = |run: &mut Vec<String>, svg: &mut String| {
                if run.len() > 1 {
                    let _ = write!(
                        svg,
                        r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                        run.join(" ")
                    );
                }
                run.clear();
            };
            for p in &series.points {
                let i = xs.iter().position(|x| *x == p.x).unwrap_or(0);
                match p.y {
                    Some(y) => run.push(format!("{:.1},{:.1}", x_of(i), y_of(y))),
                    None => flush(&mut run, svg),
                }
            }
            flush(&mut run, svg);
            for p in &series.points {
                let Some(y) = p.y else { continue };
                let i = xs.iter().position(|x| *x == p.x).unwrap_or(0);
                let mark = format!(
                    r#"<circle class="mark" cx="{:.1}" cy="{:.1}" r="{}" fill="{color}" data-x="{}" data-y="{y}"><title>{}</title></circle>"#,
                    x_of(i),
                    y_of(y),
                    if self.small { 2.5 } else { 4.0 },
                    escape(&p.x),
                    escape(&self.tooltip(series, p, y)),
                );
                push_linked(svg, &mark, p.href.as_deref());
            }
        }
    }

    fn draw_bars(
        &self,
        svg: &mut String,
        xs: &[String],
        slot: f64,
        x_of: &dyn Fn(usize) -> f64,
        y_of: &dyn Fn(f64) -> f64,
    ) {
        let n = self.series.len().max(1) as f64;
        let bar = (slot * 0.8 / n).max(1.0);
        for (k, series) in self.series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            for p in &series.points {
                let Some(y) = p.y else { continue };
                let i = xs.iter().position(|x| *x == p.x).unwrap_or(0);
                let x = x_of(i) - slot * 0.4 + bar * k as f64;
                let (top, base) = (y_of(y.max(0.0)), y_of(0.0));
                let mark = format!(
                    r#"<rect class="mark" x="{x:.1}" y="{top:.1}" width="{bar:.1}" height="{:.1}" fill="{color}" data-x="{}" data-y="{y}"><title>{}</title></rect>"#,
                    (base - top).max(0.5),
                    escape(&p.x),
                    escape(&self.tooltip(series, p, y)),
                );
                push_linked(svg, &mark, p.href.as_deref());
            }
        }
    }

    /// Every x of every series, in first-seen order.
    fn x_labels(&self) -> Vec<String> {
        let mut xs: Vec<String> = Vec::new();
        for p in self.series.iter().flat_map(|s| &s.points) {
            if !xs.contains(&p.x) {
                xs.push(p.x.clone());
            }
        }
        xs
    }

    fn tooltip(&self, series: &Series, p: &Point, y: f64) -> String {
        let name = if self.series.len() > 1 { format!("{} ", series.name) } else { String::new() };
        format!("{name}{}: {}{}", p.x, self.format(y), if self.percent { "" } else { &self.unit })
    }

    fn format(&self, v: f64) -> String {
        if self.percent { format!("{:.1}%", v * 100.0) } else { group_thousands(v) }
    }
}

fn push_linked(svg: &mut String, mark: &str, href: Option<&str>) {
    match href {
        Some(href) => {
            let _ = write!(svg, r#"<a href="{}">{mark}</a>"#, escape(href));
        }
        None => svg.push_str(mark),
    }
}

/// The top of the value axis and its step: a round number at or above `max`, in `ticks` steps.
fn nice_scale(max: f64, ticks: usize) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 1.0 / ticks as f64);
    }
    let raw = max / ticks as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// `1234567` as `1,234,567`; fractions keep up to two decimals.
pub fn group_thousands(v: f64) -> String {
    let negative = v < 0.0;
    let v = v.abs();
    let whole = v.trunc() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let fraction = v - v.trunc();
    if fraction > 0.005 {
        out.push_str(format!("{fraction:.2}").trim_start_matches('0').trim_end_matches('0'));
    }
    if negative { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: Kind, ys: &[Option<f64>]) -> Chart {
        let points = ys
            .iter()
            .enumerate()
            .map(|(i, y)| Point {
                x: format!("{}", 2019 + i),
                y: *y,
                href: Some(format!("/provinces?year={}", 2019 + i)),
            })
            .collect();
        Chart {
            id: "t".into(),
            title: "申请数量 <全国>".into(),
            unit: "件".into(),
            kind,
            percent: false,
            series: vec![Series { name: "全国".into(), points }],
            small: false,
        }
    }

    #[test]
    fn one_mark_per_printed_value_and_none_for_a_blank() {
        for kind in [Kind::Line, Kind::Bars] {
            let svg = chart(kind, &[Some(10.0), None, Some(1234.0)]).render();
            assert_eq!(svg.matches(r#"class="mark""#).count(), 2, "{svg}");
            assert!(svg.contains(r#"data-points="2""#));
            assert!(svg.contains("申请数量 &lt;全国&gt;"), "titles are escaped");
            assert!(svg.contains("2021: 1,234件"));
            assert!(svg.contains(r#"<a href="/provinces?year=2021">"#));
        }
        let line = chart(Kind::Line, &[Some(1.0), None, Some(2.0), Some(3.0)]).render();
        assert_eq!(line.matches("<polyline").count(), 1, "the gap splits the line; a lone point draws none");
    }

    #[test]
    fn scales_and_numbers() {
        assert_eq!(nice_scale(1234.0, 4), (1500.0, 500.0));
        assert_eq!(nice_scale(0.83, 4), (1.0, 0.25));
        assert_eq!(nice_scale(0.0, 4).0, 1.0);
        assert_eq!(group_thousands(1234567.0), "1,234,567");
        assert_eq!(group_thousands(-12.5), "-12.5");
        assert_eq!(group_thousands(999.0), "999");
    }
}
