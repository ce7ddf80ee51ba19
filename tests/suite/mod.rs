//! Integration test areas and the helpers they share.

mod accuracy;
mod bodies;
mod cli;
mod config;
mod crash;
mod dashboard;
mod deploy;
mod distributed;
mod formats;
mod gold;
mod hostile;
mod layouts;
mod parser_safety;
mod schedule;
mod serve;
mod streams;
mod synth;
mod views;
mod warehouse;

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout (or `GONGKAI_SHARED`). Tests that need it fail when CI=true and it
/// is missing, and are skipped with a message otherwise.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("GONGKAI_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("..").join("shared"));
    if dir.join("SCHEMA.md").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the shared material is missing at {}",
        dir.display()
    );
    eprintln!("skipping: shared material not found at {}", dir.display());
    None
}

/// `python3` that can import `modules` (the CI venv puts one first on PATH). Fails when CI=true and
/// they are missing; skips (None) otherwise.
pub fn python_with(modules: &str) -> Option<PathBuf> {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(PathBuf::from("python3"));
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but python3 cannot import {modules}");
    eprintln!("skipping: python3 cannot import {modules}");
    None
}

/// Every live row of every partitioned table and of `bodies`, each row as text with its
/// partition, sorted: what a reader gets, whatever files hold it.
pub async fn table_rows(wh: &gongkai::store::Warehouse) -> std::collections::BTreeMap<String, Vec<String>> {
    table_rows_except(wh, &[]).await
}

/// [`table_rows`] without the columns `except` (such as `ingested_at`, which differs between runs).
pub async fn table_rows_except(
    wh: &gongkai::store::Warehouse,
    except: &[&str],
) -> std::collections::BTreeMap<String, Vec<String>> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let format = |partition: &str, batch: &arrow::array::RecordBatch, out: &mut Vec<String>| {
        let options = FormatOptions::default().with_null("NULL");
        let columns: Vec<_> = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .filter(|(f, _)| !except.contains(&f.name().as_str()))
            .map(|(_, c)| ArrayFormatter::try_new(c, &options).unwrap())
            .collect();
        for i in 0..batch.num_rows() {
            let cells: Vec<String> = columns.iter().map(|f| f.value(i).to_string()).collect();
            out.push(format!("{partition}|{}", cells.join("|")));
        }
    };
    let mut out = std::collections::BTreeMap::new();
    for table in gongkai::pipeline::TABLES {
        let mut lines = Vec::new();
        for (partition, batch) in wh.read_live(table, None).await.unwrap() {
            format(&partition, &batch, &mut lines);
        }
        lines.sort();
        out.insert(table.to_string(), lines);
    }
    if let Some(bodies) = wh.read_parquet(gongkai::store::BODIES_FILE).await.unwrap() {
        let mut lines = Vec::new();
        format("-", &bodies, &mut lines);
        out.insert("bodies".into(), lines);
    }
    out
}
