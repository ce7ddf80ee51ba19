//! The dashboard's pages, each built from the catalog's views and tables: the charts and tables a
//! page shows, and the same tables as JSON (`/api/…`) and CSV. Queries are fixed SQL with the
//! request's values bound as parameters or checked to be numbers and codes: a page can only read.

use std::collections::BTreeMap;
use std::fmt::Write;

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use super::chart::{Chart, Kind, Point, Series};
use super::html::{self, Decor, Row, encode, escape};
use super::printed;
use crate::query::{self, QueryResult};

/// A page: its title, and its parts in order.
pub struct Page {
    pub title: String,
    pub parts: Vec<Part>,
}

pub enum Part {
    Html(String),
    Charts(Vec<Chart>),
    /// A table: its id (the `table=` of its CSV), the rows, and the HTML shown for it.
    Table {
        id: &'static str,
        result: QueryResult,
        html: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Query(String),
}

/// The request's query string.
pub type Args = BTreeMap<String, String>;

/// Reports behind a province's figure below which the ranking hides it (`min_reports=` changes it).
pub const MIN_REPORTS: i64 = 3;

/// Rows a list page shows at most.
const LIST_LIMIT: usize = 500;

impl Page {
    fn new(title: impl Into<String>) -> Page {
        Page { title: title.into(), parts: Vec::new() }
    }

    fn html(&mut self, html: String) {
        self.parts.push(Part::Html(html));
    }

    /// Add `result` as table `id`, shown with `decor`; `path` and `args` make its CSV link.
    fn table(&mut self, id: &'static str, caption: &str, result: QueryResult, decor: &Decor, here: &Here) {
        let html = html::table(id, caption, &here.csv(id), &result, decor);
        self.parts.push(Part::Table { id, result, html });
    }

    /// [`Page::table`] with links from `link` and nothing else.
    fn linked(
        &mut self,
        id: &'static str,
        caption: &str,
        result: QueryResult,
        link: &dyn Fn(&str, &Row) -> Option<String>,
        here: &Here,
    ) {
        self.table(id, caption, result, &Decor { link, ..Default::default() }, here);
    }

    pub fn render(&self) -> String {
        let mut body = String::new();
        for part in &self.parts {
            match part {
                Part::Html(h) => body.push_str(h),
                Part::Charts(charts) => {
                    body.push_str(r#"<div class="charts">"#);
                    for c in charts {
                        body.push_str(&c.render());
                    }
                    body.push_str("</div>");
                }
                Part::Table { html, .. } => body.push_str(html),
            }
        }
        html::frame(&self.title, &body)
    }

    pub fn table_named(&self, name: &str) -> Option<&QueryResult> {
        self.parts.iter().find_map(|p| match p {
            Part::Table { id, result, .. } if *id == name => Some(result),
            _ => None,
        })
    }

    pub fn table_ids(&self) -> Vec<&'static str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Table { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// Where the page is: its path and arguments, for the links back to it.
pub struct Here<'a> {
    pub path: &'a str,
    pub args: &'a Args,
}

impl Here<'_> {
    fn csv(&self, table: &str) -> String {
        let mut query: Vec<String> = self
            .args
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "format" | "table"))
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("table={table}"));
        query.push("format=csv".into());
        format!("/api{}?{}", self.path, query.join("&"))
    }
}

/// The page at `path` (without `/api`), or why there is none.
pub async fn page(ctx: &SessionContext, path: &str, args: &Args) -> Result<Page, PageError> {
    let here = Here { path, args };
    let parts: Vec<&str> = path.trim_matches('/').splitn(2, '/').collect();
    match parts.as_slice() {
        [""] => national(ctx, &here).await,
        ["provinces"] => provinces(ctx, &here).await,
        ["quality"] => quality(ctx, &here).await,
        ["reports"] => reports(ctx, &here).await,
        ["search"] => search(ctx, &here).await,
        ["body", id] => body(ctx, &here, &decode(id)).await,
        ["report", id] => report(ctx, &here, &decode(id)).await,
        _ => Err(PageError::NotFound(format!("{path}: no such page"))),
    }
}

/// A path component with its `%XX` escapes decoded.
fn decode(component: &str) -> String {
    percent_encoding::percent_decode_str(component).decode_utf8_lossy().into_owned()
}

/// Run `sql` with `params` bound to `$1`, `$2`, ….
async fn sql(ctx: &SessionContext, sql: &str, params: Vec<ScalarValue>) -> Result<QueryResult, PageError> {
    let failed = |e: &dyn std::fmt::Display| PageError::Query(e.to_string());
    if params.is_empty() {
        return query::run(ctx, sql).await.map_err(|e| failed(&e));
    }
    let df = ctx.sql(sql).await.map_err(|e| failed(&e))?.with_param_values(params).map_err(|e| failed(&e))?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(|e| failed(&e))?;
    Ok(QueryResult { schema, batches })
}

fn text(value: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(value.to_string()))
}

/// An argument that must be a whole number, if given.
fn int_arg(args: &Args, name: &str) -> Result<Option<i64>, PageError> {
    match args.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| PageError::BadRequest(format!("{name}={v}: not a whole number"))),
    }
}

/// One point per row of `rows`: x from `x`, y from `y`, linked by `href`.
fn points(rows: &[Row], x: &str, y: &str, href: &dyn Fn(&Row) -> Option<String>) -> Vec<Point> {
    rows.iter().map(|r| Point { x: r.get(x).unwrap_or("").to_string(), y: r.number(y), href: href(r) }).collect()
}

fn series(rows: &[Row], x: &str, columns: &[(&str, &str)], href: &dyn Fn(&Row) -> Option<String>) -> Vec<Series> {
    columns
        .iter()
        .map(|(column, name)| Series { name: name.to_string(), points: points(rows, x, column, href) })
        .collect()
}

fn chart(id: &str, title: &str, unit: &str, kind: Kind, percent: bool, series: Vec<Series>) -> Chart {
    Chart { id: id.into(), title: title.into(), unit: unit.into(), kind, percent, series, small: false }
}

async fn national(ctx: &SessionContext, here: &Here<'_>) -> Result<Page, PageError> {
    let mut page = Page::new("全国趋势 National trends");
    let trend = sql(ctx, "SELECT * FROM national_trend ORDER BY year", vec![]).await?;
    let rows = html::rows(&trend);
    let by_year = |r: &Row| r.get("year").map(|y| format!("/provinces?year={y}"));
    page.html(
        "<p>Canonical reports only (one per body and year). Each mark is one year's figure; it leads to that \
         year's provinces and from there to the reports. Rates sum numerator and denominator over the reports \
         that printed both.</p>"
            .into(),
    );
    page.parts.push(Part::Charts(vec![
        chart(
            "applications",
            "申请数量 Applications received",
            "件",
            Kind::Bars,
            false,
            series(&rows, "year", &[("applications", "申请")], &by_year),
        ),
        chart(
            "grant_rate",
            "公开率 Grant rate (full + partial)",
            "",
            Kind::Line,
            true,
            series(&rows, "year", &[("grant_rate", "公开率")], &by_year),
        ),
        chart(
            "refusals",
            "不予公开等 Refusal mix (share of decided)",
            "",
            Kind::Bars,
            true,
            series(
                &rows,
                "year",
                &[
                    ("withheld_rate", "不予公开 withheld"),
                    ("unavailable_rate", "无法提供 unavailable"),
                    ("rejected_rate", "不予处理 rejected"),
                    ("other_rate", "其他处理 other"),
                ],
                &by_year,
            ),
        ),
        chart(
            "challenges",
            "复议与诉讼 Reviews and lawsuits",
            "件",
            Kind::Bars,
            false,
            series(
                &rows,
                "year",
                &[("review_total", "行政复议 reviews"), ("litigation_total", "行政诉讼 lawsuits")],
                &by_year,
            ),
        ),
        chart(
            "correction_rate",
            "纠错率 Correction rate",
            "",
            Kind::Line,
            true,
            series(&rows, "year", &[("correction_rate", "纠错率")], &by_year),
        ),
    ]));
    let link = |column: &str, r: &Row| (column == "year").then(|| by_year(r)).flatten();
    page.linked("national_trend", "national_trend", trend, &link, here);
    Ok(page)
}

async fn provinces(ctx: &SessionContext, here: &Here<'_>) -> Result<Page, PageError> {
    let years = html::rows(&sql(ctx, "SELECT DISTINCT year FROM province_year_trends ORDER BY year", vec![]).await?);
    let years: Vec<i64> = years.iter().filter_map(|r| r.number("year")).map(|y| y as i64).collect();
    let year = match int_arg(here.args, "year")? {
        Some(y) => y,
        None => years.last().copied().unwrap_or(0),
    };
    let min = int_arg(here.args, "min_reports")?.unwrap_or(MIN_REPORTS).max(1);
    let mut page = Page::new(format!("各省 Provinces, {year}"));
    let mut form =
        String::from(r#"<form class="year" method="get" action="/provinces"><label>年份 Year <select name="year">"#);
    for y in &years {
        let selected = if *y == year { " selected" } else { "" };
        let _ = write!(form, r#"<option value="{y}"{selected}>{y}</option>"#);
    }
    let _ = write!(
        form,
        r#"</select></label> <label>figures need at least <input name="min_reports" type="number" min="1" value="{min}"> reports</label> <button>Show</button></form>
<p>Ranked by grant rate. A rate stands on the reports that printed both its numbers (the <code>*_reports</code> columns); with fewer than {min} it is hidden (—) and not ranked.</p>"#
    );
    page.html(form);
    // Hidden in the data itself, so the CSV and JSON say what the page says.
    let ranking = sql(
        ctx,
        &format!(
            "SELECT RANK() OVER (ORDER BY CASE WHEN grant_rate_reports >= {min} THEN grant_rate END DESC NULLS LAST) AS rank,
                    province_code, province, reports, applications, processed,
                    CASE WHEN grant_rate_reports >= {min} THEN grant_rate END AS grant_rate, grant_rate_reports,
                    CASE WHEN withheld_rate_reports >= {min} THEN withheld_rate END AS withheld_rate, withheld_rate_reports,
                    CASE WHEN correction_rate_reports >= {min} THEN correction_rate END AS correction_rate, correction_rate_reports,
                    applications_change
             FROM province_year_trends WHERE year = {year}
             ORDER BY rank, province_code"
        ),
        vec![],
    )
    .await?;
    let reports_link =
        move |r: &Row| r.get("province_code").map(|p| format!("/reports?province_code={}&year={year}", encode(p)));
    let link = |column: &str, r: &Row| matches!(column, "province" | "reports").then(|| reports_link(r)).flatten();
    let hide = |column: &str, r: &Row| {
        let count = match column {
            "grant_rate" => "grant_rate_reports",
            "withheld_rate" => "withheld_rate_reports",
            "correction_rate" => "correction_rate_reports",
            _ => return None,
        };
        let n = r.number(count).unwrap_or(0.0) as i64;
        (n < min).then(|| format!("{n} reports printed it; at least {min} are needed"))
    };
    page.table("ranking", "排名 Ranking", ranking, &Decor { link: &link, hide: &hide, ..Default::default() }, here);

    let all = html::rows(
        &sql(
            ctx,
            "SELECT province_code, province, year, applications FROM province_year_trends ORDER BY province_code, year",
            vec![],
        )
        .await?,
    );
    let mut multiples = Vec::new();
    let mut codes: Vec<&str> = all.iter().filter_map(|r| r.get("province_code")).collect();
    codes.dedup();
    for code in codes {
        let rows: Vec<Row> = all
            .iter()
            .filter(|r| r.get("province_code") == Some(code))
            .map(|r| Row { columns: r.columns.clone(), values: r.values.clone() })
            .collect();
        let name = rows.first().and_then(|r| r.get("province")).unwrap_or(code).to_string();
        let href = |r: &Row| r.get("year").map(|y| format!("/reports?province_code={}&year={y}", encode(code)));
        let mut c = chart(
            &format!("province-{code}"),
            &format!("{name} 申请"),
            "件",
            Kind::Line,
            false,
            series(&rows, "year", &[("applications", "申请")], &href),
        );
        c.small = true;
        multiples.push(c);
    }
    page.html("<h2>各省申请数量 Applications per province and year</h2>".into());
    page.parts.push(Part::Charts(multiples));
    Ok(page)
}

async fn quality(ctx: &SessionContext, here: &Here<'_>) -> Result<Page, PageError> {
    let mut page = Page::new("数据质量 Data quality");
    page.html(
        "<p>How far the reports can be trusted: how each was read (<code>parse_quality</code>) and which of the \
         report's own identities (H1–H5) fail, per province and year. Every count leads to its reports.</p>"
            .into(),
    );
    let by_quality = sql(
        ctx,
        "SELECT parse_quality, COUNT(*) AS reports FROM reports GROUP BY parse_quality ORDER BY parse_quality",
        vec![],
    )
    .await?;
    let link = |column: &str, r: &Row| {
        (column != "parse_quality")
            .then(|| r.get("parse_quality").map(|q| format!("/reports?quality={}", encode(q))))
            .flatten()
    };
    page.linked("parse_quality", "按读取质量 Reports by parse quality", by_quality, &link, here);
    let failed = sql(
        ctx,
        "SELECT id AS identity, COUNT(DISTINCT report_id) AS reports FROM checks WHERE status = 'fail' GROUP BY id ORDER BY id",
        vec![],
    )
    .await?;
    let link = |_: &str, r: &Row| r.get("identity").map(|id| format!("/reports?failed={}", encode(id)));
    page.linked("failed_identities", "未通过的勾稽关系 Reports failing each identity", failed, &link, here);
    let table = sql(ctx, "SELECT * FROM data_quality ORDER BY province_code, year", vec![]).await?;
    let link = |column: &str, r: &Row| {
        let (p, y) = (r.get("province_code")?, r.get("year")?);
        let base = format!("/reports?province_code={}&year={y}", encode(p));
        let failed = |id: &str| Some(format!("{base}&failed={id}"));
        match column {
            "province_code" | "year" | "reports" => Some(base),
            "h1_fail_share" => failed("H1"),
            "h2_fail_share" => failed("H2"),
            "h3_fail_share" => failed("H3"),
            "h4_fail_share" => failed("H4"),
            "h5_fail_share" => failed("H5"),
            "exact_reports" => Some(format!("{base}&quality=exact")),
            "ambiguous_reports" => Some(format!("{base}&quality=ambiguous")),
            "partial_reports" => Some(format!("{base}&quality=partial")),
            "failed_reports" => Some(format!("{base}&quality=failed")),
            _ => None,
        }
    };
    page.linked("data_quality", "各省各年 Per province and year (data_quality)", table, &link, here);
    let quarantine = sql(ctx, "SELECT * FROM quarantine ORDER BY 1 LIMIT 500", vec![]).await?;
    page.table(
        "quarantine",
        "未入库的文件 Files not stored (quarantine, first 500)",
        quarantine,
        &Decor::default(),
        here,
    );
    Ok(page)
}

/// Links of a list of reports: the report page, the body page.
fn report_links(column: &str, r: &Row) -> Option<String> {
    match column {
        "report_id" | "agency" | "title" => r.get("report_id").map(|id| format!("/report/{}", encode(id))),
        "body_id" => r.get("body_id").map(|id| format!("/body/{}", encode(id))),
        _ => None,
    }
}

async fn reports(ctx: &SessionContext, here: &Here<'_>) -> Result<Page, PageError> {
    let mut filters = Vec::new();
    let mut params = Vec::new();
    let mut said = Vec::new();
    if let Some(code) = here.args.get("province_code").filter(|c| !c.is_empty()) {
        params.push(text(code));
        filters.push(format!("province_code = ${}", params.len()));
        said.push(format!("province {code}"));
    }
    if let Some(year) = int_arg(here.args, "year")? {
        filters.push(format!("year = {year}"));
        said.push(format!("year {year}"));
    }
    if let Some(q) = here.args.get("quality").filter(|c| !c.is_empty()) {
        params.push(text(q));
        filters.push(format!("parse_quality = ${}", params.len()));
        said.push(format!("parse_quality {q}"));
    }
    if let Some(id) = here.args.get("failed").filter(|c| !c.is_empty()) {
        params.push(text(id));
        filters.push(format!(
            "report_id IN (SELECT report_id FROM checks WHERE status = 'fail' AND id = ${})",
            params.len()
        ));
        said.push(format!("failing {id}"));
    }
    let filter = if filters.is_empty() { "TRUE".to_string() } else { filters.join(" AND ") };
    let result = sql(
        ctx,
        &format!(
            "SELECT report_id, year, province_code, province, agency, body_id, source_format, parse_quality, checks_failed, cells_read
             FROM reports WHERE {filter} ORDER BY year, province_code, agency, report_id LIMIT {LIST_LIMIT}"
        ),
        params,
    )
    .await?;
    let title =
        if said.is_empty() { "报告 Reports".to_string() } else { format!("报告 Reports: {}", said.join(", ")) };
    let mut page = Page::new(title);
    page.html(format!("<p>At most {LIST_LIMIT} reports are listed; the CSV and JSON hold the same rows.</p>"));
    page.linked("reports", "报告 Reports", result, &report_links, here);
    Ok(page)
}

async fn search(ctx: &SessionContext, here: &Here<'_>) -> Result<Page, PageError> {
    let q = here.args.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let mut page = Page::new(if q.is_empty() { "检索 Search".to_string() } else { format!("检索 Search: {q}") });
    page.html(format!(
        r#"<form method="get" action="/search"><input name="q" value="{}" placeholder="机构、地区或年份"> <button>检索</button></form>
<p>Every word must match: a year (2019), or part of the body's name, its title or its place (province, city, county, township).</p>"#,
        escape(&q)
    ));
    let mut filters = Vec::new();
    let mut params = Vec::new();
    for word in q.split_whitespace() {
        if let Ok(year) = word.parse::<i32>()
            && (1990..=2100).contains(&year)
        {
            filters.push(format!("year = {year}"));
            continue;
        }
        params.push(text(word));
        let n = params.len();
        filters.push(format!(
            "(strpos(coalesce(agency, ''), ${n}) > 0 OR strpos(coalesce(title, ''), ${n}) > 0 \
             OR strpos(coalesce(province, ''), ${n}) > 0 OR strpos(coalesce(prefecture, ''), ${n}) > 0 \
             OR strpos(coalesce(county, ''), ${n}) > 0 OR strpos(coalesce(township, ''), ${n}) > 0 \
             OR coalesce(body_id, '') = ${n} OR report_id = ${n})"
        ));
    }
    let filter = if filters.is_empty() { "FALSE".to_string() } else { filters.join(" AND ") };
    let result = sql(
        ctx,
        &format!(
            "SELECT report_id, year, agency, province, prefecture, county, township, body_id, parse_quality, checks_failed
             FROM reports WHERE {filter} ORDER BY year DESC, agency, report_id LIMIT {LIST_LIMIT}"
        ),
        params,
    )
    .await?;
    page.linked("results", "结果 Results", result, &report_links, here);
    Ok(page)
}

async fn body(ctx: &SessionContext, here: &Here<'_>, id: &str) -> Result<Page, PageError> {
    let known = sql(ctx, "SELECT * FROM bodies WHERE body_id = $1", vec![text(id)]).await?;
    let metrics =
        sql(ctx, "SELECT * FROM report_metrics WHERE body_id = $1 ORDER BY year, report_id", vec![text(id)]).await?;
    if known.num_rows() == 0 && metrics.num_rows() == 0 {
        return Err(PageError::NotFound(format!("body {id}: not in the warehouse")));
    }
    let rows = html::rows(&metrics);
    let name = rows.last().and_then(|r| r.get("agency")).unwrap_or(id).to_string();
    let mut page = Page::new(format!("{name} · {id}"));
    let canonical: Vec<Row> = rows
        .iter()
        .filter(|r| r.get("canonical") == Some("true"))
        .map(|r| Row { columns: r.columns.clone(), values: r.values.clone() })
        .collect();
    let to_report = |r: &Row| r.get("report_id").map(|id| format!("/report/{}", encode(id)));
    page.parts.push(Part::Charts(vec![
        chart(
            "body-applications",
            "申请与办结 Applications and decisions",
            "件",
            Kind::Line,
            false,
            series(&canonical, "year", &[("applications", "申请 received"), ("processed", "办结 decided")], &to_report),
        ),
        chart(
            "body-grant_rate",
            "公开率 Grant rate",
            "",
            Kind::Line,
            true,
            series(&canonical, "year", &[("grant_rate", "公开率")], &to_report),
        ),
    ]));
    page.table("body", "机构 The body (bodies)", known, &Decor::default(), here);
    page.linked("metrics", "各年指标 Every metric, every report (report_metrics)", metrics, &report_links, here);
    let continuity = sql(
        ctx,
        "SELECT year, report_id, prev_year, prev_report_id, item, value, expected, difference, status
         FROM continuity WHERE body_id = $1 ORDER BY year, item",
        vec![text(id)],
    )
    .await?;
    page.html(
        "<h2>连续性 Continuity</h2><p>This year's <code>carried_over</code> against last year's \
         <code>carried_forward</code>, and each sec2 row's <code>in_force</code> against last year's plus issued \
         minus repealed. Breaks are highlighted.</p>"
            .into(),
    );
    let link = |column: &str, r: &Row| match column {
        "report_id" => r.get("report_id").map(|id| format!("/report/{}", encode(id))),
        "prev_report_id" => r.get("prev_report_id").map(|id| format!("/report/{}", encode(id))),
        _ => None,
    };
    let row_class = |r: &Row| (r.get("status") == Some("mismatch")).then_some("break");
    page.table(
        "continuity",
        "continuity",
        continuity,
        &Decor { link: &link, row_class: &row_class, ..Default::default() },
        here,
    );
    Ok(page)
}

async fn report(ctx: &SessionContext, here: &Here<'_>, id: &str) -> Result<Page, PageError> {
    let meta = sql(ctx, "SELECT * FROM reports WHERE report_id = $1", vec![text(id)]).await?;
    let Some(m) = html::rows(&meta).into_iter().next() else {
        return Err(PageError::NotFound(format!("report {id}: not in the warehouse")));
    };
    let cells = sql(
        ctx,
        "SELECT section, row, col, raw, value, kind FROM cells WHERE report_id = $1 ORDER BY section, row, col",
        vec![text(id)],
    )
    .await?;
    let checks = sql(
        ctx,
        "SELECT id, scope, status, lhs, rhs, lhs - rhs AS difference FROM checks WHERE report_id = $1 ORDER BY id, scope",
        vec![text(id)],
    )
    .await?;
    let title = m.get("title").or(m.get("agency")).unwrap_or(id).to_string();
    let mut page = Page::new(title);
    page.html(printed::head(&m, id));
    let (cell_rows, check_rows) = (html::rows(&cells), html::rows(&checks));
    let failed = printed::failed_cells(&cell_rows, &check_rows);
    page.html(printed::tables(m.get("template").unwrap_or("2021"), &cell_rows, &failed));
    page.html(printed::failures(&check_rows));
    page.table("report", "报告 The report (reports)", meta, &Decor::default(), here);
    page.table("cells", "单元格 Every cell (cells)", cells, &Decor::default(), here);
    let row_class = |r: &Row| (r.get("status") == Some("fail")).then_some("break");
    let decor = Decor { row_class: &row_class, ..Default::default() };
    page.table("checks", "勾稽关系 Identities (checks)", checks, &decor, here);
    Ok(page)
}

/// A decimal as printed without trailing zeros (`12.500000` → `12.5`, `3.000000` → `3`).
pub fn trim_decimal(text: &str) -> String {
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text.to_string() }
}

/// The `source_uri` of report `id`, if the warehouse has it.
pub async fn source_uri(ctx: &SessionContext, id: &str) -> Result<Option<String>, PageError> {
    let found = sql(ctx, "SELECT source_uri FROM reports WHERE report_id = $1", vec![text(id)]).await?;
    Ok(html::rows(&found).into_iter().next().and_then(|r| r.get("source_uri").map(str::to_string)))
}

/// The archive path of the raw file of report `report_id`, read from `source_uri`.
pub fn raw_path(report_id: &str, source_uri: &str) -> String {
    format!("raw/{report_id}.{}", crate::pipeline::raw_extension(source_uri))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_and_decimals_trim() {
        assert_eq!(decode("320323%3Agovernment"), "320323:government");
        assert_eq!(decode("%E6%B3%97%E9%98%B3"), "泗阳");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(trim_decimal("12.500000"), "12.5");
        assert_eq!(trim_decimal("3.000000"), "3");
        assert_eq!(trim_decimal("120"), "120");
    }
}
