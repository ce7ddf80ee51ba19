//! The warehouse: ingest into memory:// and file:// stores, idempotent re-ingest (a second ingest
//! of the same files adds no rows and no commit), partitions holding exactly their region/year,
//! quarantine, raw archive, interrupted runs, rebuild (also of a warehouse of plain Parquet),
//! `--as-of`, and an independent read of the result with DuckDB and pyarrow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use arrow::array::{Array, Decimal128Array, StringArray, TimestampMicrosecondArray};
use gongkai::pipeline::{self, Options, Outcome, Quiet, Summary};
use gongkai::store::Warehouse;

use super::repo;

/// A report made from the tab-separated fixture: another agency, year and numbers.
fn report_text(agency: &str, year: Option<i32>, proactive: u32) -> String {
    let base = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    let text = base
        .replace("利通区古城镇", agency)
        .replace("全年共发布各类信息 406 条", &format!("全年共发布各类信息 {proactive} 条"));
    match year {
        Some(y) => text.replace("2023", &y.to_string()),
        None => text.replace(" 2023 年", ""),
    }
}

/// Source files in `dir`: four good reports in three partitions, one without a known region, one
/// without a year, and two files that cannot be parsed.
fn write_sources(dir: &Path) -> Vec<String> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a_huining_2023.txt", report_text("会宁县柴家门镇", Some(2023), 11).into_bytes()),
        ("b_huining_2023_other.txt", report_text("会宁县柴家门镇", Some(2023), 12).into_bytes()),
        ("c_miyi_2022.txt", report_text("米易县得石镇", Some(2022), 13).into_bytes()),
        ("d_unknown_region.txt", report_text("某某研究中心", Some(2023), 14).into_bytes()),
        ("e_no_year.txt", report_text("会宁县柴家门镇", None, 15).into_bytes()),
        ("f_scan.pdf", b"%PDF-1.4\n%binary\n1 0 obj << >> endobj\n".to_vec()),
        ("g_empty.txt", Vec::new()),
    ];
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    vec![dir.display().to_string()]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn ingest(rt: &tokio::runtime::Runtime, wh: &Warehouse, sources: &[String], now: i64) -> Summary {
    let options = Options { concurrency: 3, now: Some(now), source_options: Vec::new(), ..Options::default() };
    rt.block_on(pipeline::ingest(wh, sources, &options, &Quiet)).unwrap()
}

/// Ingest each file of `inbox` in a run of its own, in name order.
fn ingest_file_by_file(rt: &tokio::runtime::Runtime, wh: &Warehouse, inbox: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(inbox).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        ingest(rt, wh, &[path.display().to_string()], 1_000_000 + i as i64);
    }
}

/// A file:// warehouse in a temporary directory (the first of the tuple, kept alive by the caller)
/// holding the reports of [`write_sources`], a run per file: the two reports of
/// province_code=62/year=2023 arrive in two files.
fn sources_ingested_file_by_file() -> (tempfile::TempDir, std::path::PathBuf, tokio::runtime::Runtime, Warehouse) {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    write_sources(&inbox);
    let rt = runtime();
    let dir = tmp.path().join("wh");
    let wh = Warehouse::open(&dir.display().to_string(), &[]).unwrap();
    ingest_file_by_file(&rt, &wh, &inbox);
    (tmp, dir, rt, wh)
}

/// Every object of the warehouse with its bytes.
fn snapshot(rt: &tokio::runtime::Runtime, wh: &Warehouse) -> BTreeMap<String, Vec<u8>> {
    rt.block_on(async {
        let mut out = BTreeMap::new();
        for rel in wh.list("").await.unwrap() {
            out.insert(rel.clone(), wh.get(&rel).await.unwrap().unwrap().to_vec());
        }
        out
    })
}

fn strings(batch: &arrow::array::RecordBatch, col: &str) -> Vec<String> {
    let a = batch.column_by_name(col).unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

/// Every live row of one partition of a table.
fn read(rt: &tokio::runtime::Runtime, wh: &Warehouse, table: &str, partition: &str) -> arrow::array::RecordBatch {
    let parts = rt.block_on(wh.read_live(table, None)).unwrap();
    let batches: Vec<_> = parts.into_iter().filter(|(p, _)| p == partition).map(|(_, b)| b).collect();
    assert!(!batches.is_empty(), "{table}/{partition} has no rows");
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// The one-file tables (quarantine, bodies).
fn read_file(rt: &tokio::runtime::Runtime, wh: &Warehouse, rel: &str) -> arrow::array::RecordBatch {
    rt.block_on(wh.read_parquet(rel)).unwrap().unwrap_or_else(|| panic!("{rel} missing"))
}

/// Every live row of every partitioned table and of `bodies` (see [`super::table_rows`]).
fn rows(rt: &tokio::runtime::Runtime, wh: &Warehouse) -> BTreeMap<String, Vec<String>> {
    rt.block_on(super::table_rows(wh))
}

/// The data files under a table's folder (what plain-Parquet readers see).
fn data_files(rt: &tokio::runtime::Runtime, wh: &Warehouse, table: &str) -> BTreeSet<String> {
    rt.block_on(wh.data_files(table)).unwrap().into_iter().collect()
}

/// The live files of every table equal the data files in its folder.
fn assert_files_are_live_rows(rt: &tokio::runtime::Runtime, wh: &Warehouse) {
    for table in pipeline::TABLES {
        let live: BTreeSet<String> = rt.block_on(wh.live_files(table)).unwrap().into_iter().collect();
        assert_eq!(live, data_files(rt, wh, table), "{table}: files that are not live rows");
    }
}

/// report_id of each stored source, by file name.
fn stored_ids(summary: &Summary) -> BTreeMap<String, (String, String)> {
    summary
        .outcomes
        .iter()
        .filter_map(|(uri, o)| match o {
            Outcome::Stored { report_id, partition, .. } => {
                Some((uri.rsplit('/').next().unwrap().to_string(), (report_id.clone(), partition.clone())))
            }
            _ => None,
        })
        .collect()
}

fn check_layout(rt: &tokio::runtime::Runtime, wh: &Warehouse, summary: &Summary, sources: &Path) {
    assert_eq!(summary.files, 7);
    assert_eq!(summary.reports, 5);
    let ids = stored_ids(summary);
    assert_eq!(ids["a_huining_2023.txt"].1, "province_code=62/year=2023");
    assert_eq!(ids["c_miyi_2022.txt"].1, "province_code=51/year=2022");
    assert_eq!(ids["d_unknown_region.txt"].1, "province_code=00/year=2023");
    assert_eq!(ids["e_no_year.txt"].1, "province_code=62/year=0");
    assert_eq!(summary.unknown_region_partitions, vec!["province_code=00/year=2023".to_string()]);
    assert_eq!(summary.unknown_year_partitions, vec!["province_code=62/year=0".to_string()]);

    // Each partition holds exactly the reports of its region and year, in every table.
    let mut expected: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, partition) in ids.values() {
        expected.entry(partition.as_str()).or_default().insert(id.clone());
    }
    assert_eq!(expected["province_code=62/year=2023"].len(), 2);
    for (partition, want) in &expected {
        for table in ["reports", "cells", "checks", "facts"] {
            let batch = read(rt, wh, table, partition);
            let got: BTreeSet<String> = strings(&batch, "report_id").into_iter().collect();
            assert_eq!(&got, want, "{table}/{partition}");
        }
    }
    // One file per partition for a run this small; every file is a live one.
    let files = data_files(rt, wh, "reports");
    assert_eq!(files.len(), expected.len(), "{files:?}");
    assert_files_are_live_rows(rt, wh);

    // Blanks stay NULL in cells: the fixture's blank cell (carried_over, legal_service_org).
    let a = &ids["a_huining_2023.txt"].0;
    let cells = read(rt, wh, "cells", "province_code=62/year=2023");
    let (rid, row, col, kind) =
        (strings(&cells, "report_id"), strings(&cells, "row"), strings(&cells, "col"), strings(&cells, "kind"));
    let value = cells.column_by_name("value").unwrap().as_any().downcast_ref::<Decimal128Array>().unwrap();
    let i = (0..cells.num_rows())
        .find(|&i| &rid[i] == a && row[i] == "carried_over" && col[i] == "legal_service_org")
        .expect("blank cell stored");
    assert_eq!(kind[i], "blank");
    assert!(value.is_null(i));
    let j = (0..cells.num_rows()).find(|&i| &rid[i] == a && row[i] == "new_received" && col[i] == "total").unwrap();
    assert_eq!(value.value(j), 16 * 10_000);

    // facts: the same numbers, one row per report, one column per cell; the blank stays NULL.
    for partition in expected.keys() {
        let cells = read(rt, wh, "cells", partition);
        let facts = read(rt, wh, "facts", partition);
        let fact_ids = strings(&facts, "report_id");
        let (rid, sec, row, col) =
            (strings(&cells, "report_id"), strings(&cells, "section"), strings(&cells, "row"), strings(&cells, "col"));
        let value = cells.column_by_name("value").unwrap().as_any().downcast_ref::<Decimal128Array>().unwrap();
        for i in 0..cells.num_rows() {
            let f = fact_ids.iter().position(|id| id == &rid[i]).expect("a facts row per report");
            let column = facts.column_by_name(&format!("{}_{}_{}", sec[i], row[i], col[i])).expect("a column per cell");
            let want = (!value.is_null(i)).then(|| value.value(i) as f64 / 10_000.0);
            let got = match column.as_any().downcast_ref::<arrow::array::Int64Array>() {
                Some(ints) => (!ints.is_null(f)).then(|| ints.value(f) as f64),
                None => {
                    let d = column.as_any().downcast_ref::<Decimal128Array>().unwrap();
                    (!d.is_null(f)).then(|| d.value(f) as f64 / 10_000.0)
                }
            };
            assert_eq!(got, want, "{partition} {} {}.{}.{}", rid[i], sec[i], row[i], col[i]);
        }
    }

    // Quarantine: both bad files, with their reasons; raw bytes of every file archived.
    let q = read_file(rt, wh, "quarantine/part-0.parquet");
    let uris = strings(&q, "source_uri");
    let reasons = strings(&q, "reason");
    assert_eq!(q.num_rows(), 2, "{uris:?}");
    let pdf = uris.iter().position(|u| u.ends_with("f_scan.pdf")).unwrap();
    assert!(reasons[pdf].contains("PDF"), "{}", reasons[pdf]);
    let empty = uris.iter().position(|u| u.ends_with("g_empty.txt")).unwrap();
    assert!(!reasons[empty].is_empty());
    for entry in std::fs::read_dir(sources).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let ext = path.extension().unwrap().to_str().unwrap();
        let rel = format!("raw/{}.{ext}", gongkai::parse::report_id(&bytes));
        assert_eq!(rt.block_on(wh.get(&rel)).unwrap().as_deref(), Some(&bytes[..]), "{rel}");
    }
}

/// Every object except the quarantine file (whose last_seen moves with each run).
fn without_quarantine(mut snap: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    snap.remove(gongkai::store::QUARANTINE_FILE);
    snap
}

#[test]
fn memory_ingest_lands_partitions_and_reingest_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let rt = runtime();
    let wh = Warehouse::open("memory://", &[]).unwrap();
    let first = ingest(&rt, &wh, &sources, 1_700_000_000_000_000);
    check_layout(&rt, &wh, &first, &tmp.path().join("in"));
    let before = snapshot(&rt, &wh);
    assert!(before.keys().all(|k| !k.starts_with("_staging")), "staging left behind");

    // The same files again: no rows, no commit, no file changed.
    let second = ingest(&rt, &wh, &sources, 1_700_000_999_000_000);
    assert_eq!(second.reports, 0);
    assert_eq!(second.already_ingested, 5, "{}", second.render());
    assert_eq!(second.versions, first.versions, "a second ingest makes no commit");
    assert_eq!(second.rows.values().sum::<usize>(), 0);
    let after = snapshot(&rt, &wh);
    assert_eq!(without_quarantine(before.clone()), without_quarantine(after.clone()), "re-ingest changed a file");

    // The quarantine keeps first_seen and moves last_seen.
    let q = read_file(&rt, &wh, gongkai::store::QUARANTINE_FILE);
    let ts =
        |c: &str| q.column_by_name(c).unwrap().as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().value(0);
    assert_eq!(ts("first_seen"), 1_700_000_000_000_000);
    assert_eq!(ts("last_seen"), 1_700_000_999_000_000);
}

#[test]
fn file_ingest_merges_new_reports_and_keeps_ingestion_times() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    let sources = write_sources(&inbox);
    let rt = runtime();
    let uri = format!("file://{}", tmp.path().join("wh").display());
    let wh = Warehouse::open(&uri, &[]).unwrap();
    let first = ingest(&rt, &wh, &sources, 1_000_000);
    check_layout(&rt, &wh, &first, &inbox);
    assert!(tmp.path().join("wh/reports/_delta_log").is_dir(), "reports is a Delta table");
    assert!(tmp.path().join("wh/reports/province_code=62/year=2023").is_dir(), "Hive layout kept");
    assert!(!tmp.path().join("wh/_staging").exists(), "a finished run leaves no staging folders");
    let before = snapshot(&rt, &wh);

    // The same files again, through a freshly opened store: byte-identical.
    let wh = Warehouse::open(&uri, &[]).unwrap();
    ingest(&rt, &wh, &sources, 2_000_000);
    assert_eq!(without_quarantine(before.clone()), without_quarantine(snapshot(&rt, &wh)));

    // The same bytes under another name: still the same report, first name kept, nothing changes.
    let copy = tmp.path().join("copy/zz_same_bytes.txt");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(inbox.join("a_huining_2023.txt"), &copy).unwrap();
    ingest(&rt, &wh, &[copy.display().to_string()], 2_500_000);
    assert_eq!(without_quarantine(before.clone()), without_quarantine(snapshot(&rt, &wh)));

    // A new report in an existing partition: one new file appended in one commit per table; every
    // file already there stays as it was, the old rows keep their ingestion times.
    let extra = tmp.path().join("extra/h.txt");
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(&extra, report_text("会宁县柴家门镇", Some(2023), 99)).unwrap();
    let third = ingest(&rt, &wh, &[extra.display().to_string()], 3_000_000);
    assert_eq!(third.partitions, vec!["province_code=62/year=2023".to_string()]);
    for (table, version) in &third.versions {
        assert_eq!(*version, first.versions[table] + 1, "{table}: one commit");
    }
    let after = snapshot(&rt, &wh);
    for (rel, bytes) in &before {
        // `_last_checkpoint` is the one log file rewritten by design: it names the newest checkpoint.
        if !rel.starts_with("bodies/") && rel != gongkai::store::QUARANTINE_FILE && !rel.ends_with("/_last_checkpoint")
        {
            assert_eq!(after.get(rel), Some(bytes), "{rel} was rewritten");
        }
    }
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k) && !k.contains("_delta_log")).collect();
    assert_eq!(added.len(), 5, "one file per table and the raw file: {added:?}");
    let reports = read(&rt, &wh, "reports", "province_code=62/year=2023");
    assert_eq!(reports.num_rows(), 3);
    let at =
        reports.column_by_name("ingested_at").unwrap().as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
    let mut times: Vec<i64> = (0..3).map(|i| at.value(i)).collect();
    times.sort();
    assert_eq!(times, vec![1_000_000, 1_000_000, 3_000_000]);
}

#[test]
fn interrupted_run_leaves_old_state_and_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let rt = runtime();
    let wh = Warehouse::open(&tmp.path().join("wh").display().to_string(), &[]).unwrap();
    ingest(&rt, &wh, &sources, 1_000_000);
    let before = snapshot(&rt, &wh);
    let before_rows = rows(&rt, &wh);
    // A run that died while writing: a staged half-written file, and a data file no commit added.
    rt.block_on(wh.put("_staging/run-5/bodies/part-0.parquet", "PAR1 trunc".into())).unwrap();
    let orphan = "cells/province_code=62/year=2023/part-00000-dead-c000.zstd.parquet";
    rt.block_on(
        wh.put(orphan, before.iter().find(|(k, _)| k.starts_with("cells/province_code=62/")).unwrap().1.clone().into()),
    )
    .unwrap();
    let again = ingest(&rt, &wh, &sources, 2_000_000);
    assert_eq!(again.reports, 0);
    let after = snapshot(&rt, &wh);
    assert!(after.keys().all(|k| !k.starts_with("_staging")));
    assert!(!after.contains_key(orphan), "the file no commit added is removed");
    assert_files_are_live_rows(&rt, &wh);
    assert_eq!(before_rows, rows(&rt, &wh));
    // Every data file that was live is still there, unchanged.
    for (rel, bytes) in before
        .iter()
        .filter(|(k, _)| k.ends_with(".parquet") && !k.contains("_delta_log") && !k.starts_with("quarantine/"))
    {
        assert!(after.get(rel) == Some(bytes), "{rel} changed");
    }
}

#[test]
fn a_run_that_committed_some_tables_is_rolled_back_and_redone() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    let sources = write_sources(&inbox);
    let rt = runtime();
    // The whole batch in one clean run, for comparison.
    let clean = Warehouse::open("memory://clean/", &[]).unwrap();
    ingest(&rt, &clean, &sources, 1_000_000);

    // The same batch in two runs, the second of which died after committing `cells` only.
    let wh = Warehouse::open("memory://crashed/", &[]).unwrap();
    ingest(&rt, &wh, &[inbox.join("a_huining_2023.txt").display().to_string()], 1_000_000);
    let late = std::fs::read(inbox.join("c_miyi_2022.txt")).unwrap();
    let report = gongkai::parse::parse_bytes(&late, &inbox.join("c_miyi_2022.txt").display().to_string()).unwrap();
    rt.block_on(async {
        let schema = gongkai::convert::cells_schema();
        let mut writer = wh.table_writer("cells", &schema).await.unwrap();
        let partition = gongkai::store::partition(report.region.province_code.as_deref(), report.year);
        let batch = gongkai::convert::cells_batch(&[&report]).unwrap();
        writer.write(gongkai::store::delta::add_partition_columns(&batch, &partition).unwrap()).await.unwrap();
        wh.commit(writer, false, "run-died").await.unwrap();
    });
    // Readers do not see the half-committed run.
    let count = |wh: &Warehouse, table: &str| -> i64 {
        rt.block_on(async {
            let ctx = gongkai::catalog::open(wh, &[]).await.unwrap();
            let batches = ctx
                .sql(&format!("SELECT count(DISTINCT report_id) FROM {table}"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            batches[0].column(0).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0)
        })
    };
    assert_eq!(count(&wh, "cells"), 1, "a reader sees cells of reports it cannot see");
    // The next run rolls the dead run back and ingests its reports again: the same rows as one
    // clean run.
    ingest(&rt, &wh, &sources, 1_000_000);
    assert_eq!(rows(&rt, &wh), rows(&rt, &clean));
    assert_files_are_live_rows(&rt, &wh);
    assert_eq!(count(&wh, "cells"), count(&clean, "cells"));
}

#[test]
fn rebuild_reparses_the_raw_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let rt = runtime();
    let wh = Warehouse::open("memory://warehouse/", &[]).unwrap();
    let first = ingest(&rt, &wh, &sources, 1_000_000);
    let before = rows(&rt, &wh);
    let old_files = data_files(&rt, &wh, "cells");
    // A stray partition file no commit added is removed by the rebuild.
    let stray = "cells/province_code=99/year=1999/part-0.parquet";
    let some_cells = rt.block_on(wh.get(old_files.iter().next().unwrap())).unwrap().unwrap();
    rt.block_on(wh.put(stray, some_cells)).unwrap();
    let options = Options { concurrency: 2, now: Some(5_000_000), source_options: Vec::new(), ..Options::default() };
    let summary = rt.block_on(pipeline::rebuild(&wh, &options, &Quiet)).unwrap();
    assert_eq!(summary.files, 7);
    assert_eq!(summary.reports, 5);
    assert_eq!(summary.quarantined.len(), 2);
    assert!(summary.deleted.contains(&stray.to_string()), "{:?}", summary.deleted);
    // One replacing commit per table; the replaced files are gone, so the files under each table
    // are its live rows.
    assert!(summary.versions["reports"] > first.versions["reports"]);
    assert!(old_files.iter().all(|f| summary.deleted.contains(f)), "{:?}", summary.deleted);
    assert_files_are_live_rows(&rt, &wh);
    // Same parser, same raw files: the same rows, original names and ingestion times kept.
    assert_eq!(before, rows(&rt, &wh));
}

#[test]
fn a_warehouse_of_plain_parquet_is_converted_by_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let rt = runtime();
    let delta = Warehouse::open("memory://delta/", &[]).unwrap();
    ingest(&rt, &delta, &sources, 1_000_000);
    // The same files without the Delta logs: how an earlier gongkai left a warehouse.
    let plain = Warehouse::open("memory://plain/", &[]).unwrap();
    for (rel, bytes) in snapshot(&rt, &delta) {
        if !rel.contains("/_delta_log/") {
            rt.block_on(plain.put(&rel, bytes.into())).unwrap();
        }
    }
    let Err(err) = rt.block_on(gongkai::catalog::open(&plain, &gongkai::catalog::embedded_views())) else {
        panic!("a warehouse of plain Parquet opened for queries");
    };
    assert!(err.to_string().contains("run `gongkai rebuild`"), "{err}");
    let options = Options { concurrency: 2, now: Some(5_000_000), ..Options::default() };
    let Err(err) = rt.block_on(pipeline::ingest(&plain, &sources, &options, &Quiet)) else {
        panic!("a run added to a warehouse of plain Parquet");
    };
    assert!(err.to_string().contains("run `gongkai rebuild`"), "{err}");
    rt.block_on(pipeline::rebuild(&plain, &options, &Quiet)).unwrap();
    assert_eq!(rows(&rt, &plain), rows(&rt, &delta));
    assert_files_are_live_rows(&rt, &plain);
    rt.block_on(gongkai::catalog::open(&plain, &gongkai::catalog::embedded_views())).unwrap();
}

#[test]
fn as_of_reads_the_warehouse_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    let sources = write_sources(&inbox);
    let rt = runtime();
    let wh = Warehouse::open(&tmp.path().join("wh").display().to_string(), &[]).unwrap();
    let first = ingest(&rt, &wh, &[inbox.join("a_huining_2023.txt").display().to_string()], 1_000_000);
    let second = ingest(&rt, &wh, &sources, 2_000_000);
    let count = |as_of: gongkai::catalog::AsOf| -> (i64, i64) {
        rt.block_on(async {
            let ctx = gongkai::catalog::open_as_of(&wh, &[], as_of).await.unwrap();
            let sql = "SELECT (SELECT count(*) FROM reports), (SELECT count(DISTINCT report_id) FROM cells)";
            let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let n = |i: usize| b[0].column(i).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0);
            (n(0), n(1))
        })
    };
    assert_eq!(count(gongkai::catalog::AsOf::Latest), (5, 5));
    assert_eq!(count(gongkai::catalog::AsOf::Version(second.versions["reports"])), (5, 5));
    assert_eq!(count(gongkai::catalog::AsOf::Version(first.versions["reports"])), (1, 1));
    assert_eq!(count(gongkai::catalog::AsOf::Version(0)), (0, 0), "version 0 is the empty table");
    // By time: the commit time of the first run's reports.
    let log = tmp.path().join(format!("wh/reports/_delta_log/{:020}.json", first.versions["reports"]));
    let committed = std::fs::metadata(&log).unwrap().modified().unwrap();
    let micros = committed.duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
    assert_eq!(count(gongkai::catalog::AsOf::Timestamp(micros)), (1, 1));
    // The CLI takes a version or a time.
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["query", "--warehouse"])
        .arg(tmp.path().join("wh"))
        .args([
            "--as-of",
            &first.versions["reports"].to_string(),
            "--format",
            "csv",
            "SELECT count(*) AS n FROM reports",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "n\n1");
    // Before the first commit there is nothing to read: said, not an empty warehouse.
    let open = |as_of| rt.block_on(gongkai::catalog::open_as_of(&wh, &[], as_of)).map(|_| ()).unwrap_err().to_string();
    assert!(open(gongkai::catalog::AsOf::Timestamp(0)).contains("no version at or before"));
    // Compaction removed a file of the first version: that state can no longer be read, and says so.
    rt.block_on(pipeline::optimize(&wh, 64 * 1024 * 1024)).unwrap();
    let err = open(gongkai::catalog::AsOf::Version(first.versions["reports"]));
    assert!(err.contains("can no longer be read"), "{err}");
    assert_eq!(count(gongkai::catalog::AsOf::Latest), (5, 5));
}

#[test]
fn duckdb_and_pyarrow_read_what_gongkai_wrote() {
    let Some(python) = super::python_with("duckdb, pyarrow, deltalake") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let wh = tmp.path().join("wh");
    let summary = tmp.path().join("summary.json");
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .arg("ingest")
        .args(&sources)
        .arg("--warehouse")
        .arg(&wh)
        .arg("--summary-json")
        .arg(&summary)
        .output()
        .unwrap();
    // Two files were quarantined: exit code 1, summary written all the same.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("province_code=00"), "{stdout}");
    let check = Command::new(python)
        .arg(repo().join("tests/warehouse_check.py"))
        .arg(&wh)
        .arg("--summary")
        .arg(&summary)
        .args(["--expect-reports", "5", "--delta"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}\n{}", String::from_utf8_lossy(&check.stderr));
    assert!(report.contains("reports: 5 rows"), "{report}");
    assert!(report.contains("province_code=00/year=2023: 1"), "{report}");
    assert!(report.contains("quarantine: 2 rows"), "{report}");
    assert!(report.contains("reports: Delta version 1, 4 live file(s), 5 rows"), "{report}");
}

/// DuckDB, pyarrow and delta-rs read the same rows as gongkai after each kind of commit: runs that
/// append, `optimize` and `rebuild`.
#[test]
fn optimize_compacts_and_every_reader_agrees_after_each_command() {
    let Some(python) = super::python_with("duckdb, pyarrow, deltalake") else { return };
    let (_tmp, dir, rt, wh) = sources_ingested_file_by_file();
    let check = |stage: &str| {
        let out = Command::new(&python)
            .arg(repo().join("tests/warehouse_check.py"))
            .arg(&dir)
            .args(["--expect-reports", "5", "--delta"])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{stage}: {report}\n{}", String::from_utf8_lossy(&out.stderr));
        report
    };
    let before = rows(&rt, &wh);
    assert!(check("appended").contains("reports: Delta version 5, 5 live file(s), 5 rows"));

    let optimized = rt.block_on(pipeline::optimize(&wh, 64 * 1024 * 1024)).unwrap();
    let reports = optimized.tables.iter().find(|t| t.table == "reports").unwrap();
    assert_eq!((reports.removed, reports.added), (2, 1), "the partition with two files is compacted");
    assert_eq!(data_files(&rt, &wh, "reports").len(), 4, "one file per partition");
    assert_files_are_live_rows(&rt, &wh);
    assert_eq!(rows(&rt, &wh), before);
    assert!(check("optimized").contains("4 live file(s), 5 rows"));

    let options = Options { concurrency: 2, now: Some(9_000_000), ..Options::default() };
    rt.block_on(pipeline::rebuild(&wh, &options, &Quiet)).unwrap();
    assert_files_are_live_rows(&rt, &wh);
    assert_eq!(rows(&rt, &wh), before);
    check("rebuilt");
}

/// Every commit leaves a checkpoint, so that opening a table reads one Parquet file of its live
/// files rather than every commit since the first; and a run's vacuum, which finds the tombstones
/// of files an earlier `optimize` already deleted, makes no commit of its own.
#[test]
fn commits_leave_checkpoints_and_a_run_after_optimize_commits_once() {
    let (tmp, dir, rt, wh) = sources_ingested_file_by_file();
    let last_checkpoint = |table: &str| -> i64 {
        let hint = std::fs::read_to_string(dir.join(format!("{table}/_delta_log/_last_checkpoint")))
            .unwrap_or_else(|e| panic!("{table}: no _last_checkpoint: {e}"));
        let hint: serde_json::Value = serde_json::from_str(&hint).unwrap();
        hint["version"].as_i64().unwrap()
    };
    let latest = |table: &str| -> i64 {
        rt.block_on(wh.delta(table, gongkai::store::At::Latest)).unwrap().unwrap().version().unwrap() as i64
    };
    for table in ["reports", "cells", "checks", "facts"] {
        assert_eq!(last_checkpoint(table), latest(table), "{table}: checkpoint of the latest commit");
    }
    assert_bodies_are_of_all_reports(&rt, &wh);

    rt.block_on(pipeline::optimize(&wh, 64 * 1024 * 1024)).unwrap();
    let optimized = latest("reports");
    assert_eq!(last_checkpoint("reports"), optimized, "optimize's vacuum is checkpointed");
    let before = rows(&rt, &wh);

    let more = tmp.path().join("more");
    std::fs::create_dir_all(&more).unwrap();
    std::fs::write(more.join("h_miyi_2021.txt"), report_text("米易县得石镇", Some(2021), 16)).unwrap();
    let summary = ingest(&rt, &wh, &[more.display().to_string()], 2_000_000);
    assert_eq!(summary.reports, 1);
    for table in ["reports", "cells", "checks", "facts"] {
        assert_eq!(summary.versions[table], latest(table));
    }
    assert_eq!(latest("reports"), optimized + 1, "one commit: no vacuum of files already deleted");
    assert_eq!(last_checkpoint("reports"), optimized + 1);
    assert_files_are_live_rows(&rt, &wh);
    let after = rows(&rt, &wh);
    assert_eq!(after["reports"].len(), before["reports"].len() + 1);

    assert_bodies_are_of_all_reports(&rt, &wh);
}

/// The `bodies` file equals the bodies of every live report: runs that only added reports update
/// it from their own rows, which must come to the same.
fn assert_bodies_are_of_all_reports(rt: &tokio::runtime::Runtime, wh: &Warehouse) {
    let bodies = rt.block_on(wh.read_parquet(gongkai::store::BODIES_FILE)).unwrap().unwrap();
    let reports = rt.block_on(wh.read_live("reports", Some(gongkai::convert::BODY_SOURCE_COLUMNS))).unwrap();
    let parts: Vec<(i32, &arrow::array::RecordBatch)> =
        reports.iter().map(|(p, b)| (gongkai::store::partition_year(p), b)).collect();
    let whole = gongkai::convert::bodies_batch(&parts).unwrap();
    assert!(whole.num_rows() >= 2);
    assert_eq!(bodies.columns(), whole.columns(), "bodies kept up run by run = bodies of all reports");
}

/// A `moto_server` on a free local port, killed when dropped.
pub struct Moto {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `moto_server` (fails when CI=true and it is not on PATH; skips otherwise) and create
/// `bucket` with a plain PUT.
pub fn moto(bucket: &str) -> Option<Moto> {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but moto_server cannot start: {err}");
            eprintln!("skipping: moto_server not available ({err})");
            return None;
        }
    };
    let server = Moto { child, port };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) {
            let request = format!(
                "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            conn.write_all(request.as_bytes()).unwrap();
            let mut response = String::new();
            let _ = conn.read_to_string(&mut response);
            assert!(response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"), "{response}");
            return Some(server);
        }
        assert!(std::time::Instant::now() < deadline, "moto_server did not start on port {port}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn s3_ingest_against_moto() {
    let Some(server) = moto("gongkai") else { return };
    let options: Vec<(String, String)> = [
        ("aws_endpoint", format!("http://127.0.0.1:{}", server.port)),
        ("aws_allow_http", "true".into()),
        ("aws_access_key_id", "testing".into()),
        ("aws_secret_access_key", "testing".into()),
        ("aws_region", "us-east-1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    let local = write_sources(&tmp.path().join("in"));
    let rt = runtime();

    // Put the sources into an inbox prefix of the bucket, then ingest from there.
    let inbox = Warehouse::open("s3://gongkai/inbox", &options).unwrap();
    for entry in std::fs::read_dir(&local[0]).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        rt.block_on(inbox.put(&name, std::fs::read(&path).unwrap().into())).unwrap();
    }
    let wh = Warehouse::open("s3://gongkai/warehouse", &options).unwrap();
    let run = |now| {
        let opts = Options { concurrency: 3, now: Some(now), source_options: options.clone(), ..Options::default() };
        rt.block_on(pipeline::ingest(&wh, &["s3://gongkai/inbox/".to_string()], &opts, &Quiet)).unwrap()
    };
    let first = run(1_000_000);
    assert_eq!(first.files, 7);
    assert_eq!(first.reports, 5);
    assert_eq!(first.quarantined.len(), 2);
    assert!(first.outcomes.iter().all(|(uri, _)| uri.starts_with("s3://gongkai/inbox/")));
    let before = snapshot(&rt, &wh);
    assert!(before.keys().any(|k| k.starts_with("reports/province_code=00/year=2023/")), "{:?}", before.keys());
    assert!(before.keys().any(|k| k.starts_with("reports/_delta_log/")), "{:?}", before.keys());
    assert_eq!(before.keys().filter(|k| k.starts_with("raw/")).count(), 7);
    let second = run(2_000_000);
    assert_eq!(second.reports, 0);
    assert_eq!(without_quarantine(before), without_quarantine(snapshot(&rt, &wh)));
    // A new report appends one commit on the S3 server (conditional put of the log entry).
    let more = Warehouse::open("s3://gongkai/inbox2", &options).unwrap();
    rt.block_on(more.put("h.txt", report_text("会宁县柴家门镇", Some(2023), 99).into())).unwrap();
    let opts = Options { concurrency: 3, now: Some(3_000_000), source_options: options.clone(), ..Options::default() };
    let third = rt.block_on(pipeline::ingest(&wh, &["s3://gongkai/inbox2/".to_string()], &opts, &Quiet)).unwrap();
    assert_eq!(third.reports, 1);
    assert_eq!(third.versions["reports"], first.versions["reports"] + 1);
    assert_files_are_live_rows(&rt, &wh);
}

#[test]
fn rebuild_keeps_the_rows_of_reports_whose_raw_object_cannot_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("in"));
    let rt = runtime();
    let wh = Warehouse::open("memory://warehouse/", &[]).unwrap();
    let first = ingest(&rt, &wh, &sources, 1_000_000);
    let (lost, _) = stored_ids(&first)["c_miyi_2022.txt"].clone();
    let raw = rt.block_on(wh.list("raw")).unwrap().into_iter().find(|r| r.contains(&lost)).unwrap();
    rt.block_on(wh.delete(&raw)).unwrap();
    let before = rows(&rt, &wh);
    let options = Options { concurrency: 2, now: Some(5_000_000), source_options: Vec::new(), ..Options::default() };
    let summary = rt.block_on(pipeline::rebuild(&wh, &options, &Quiet)).unwrap();
    assert_eq!(summary.kept, vec![lost.clone()]);
    assert!(summary.had_failures(), "the exit code says a report could not be re-read");
    assert!(summary.unreadable.iter().any(|u| u.source_uri.ends_with("c_miyi_2022.txt")), "{}", summary.render());
    assert!(summary.render().contains("kept "), "{}", summary.render());
    // Its rows are neither dropped nor changed: every table holds what it held.
    assert_eq!(before, rows(&rt, &wh));
    let reports = read(&rt, &wh, "reports", "province_code=51/year=2022");
    assert_eq!(strings(&reports, "report_id"), vec![lost]);
}

#[test]
fn a_number_the_warehouse_cannot_hold_quarantines_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let text = report_text("会宁县柴家门镇", Some(2023), 11);
    // 15 integer digits: more than Decimal128(18, 4) holds.
    let line = text.lines().find(|l| l.starts_with("行政许可")).expect("fixture has a 行政许可 row").to_string();
    let big = format!("行政许可\t{}", "1".repeat(15));
    std::fs::write(dir.join("big.txt"), text.replace(&line, &big)).unwrap();
    let rt = runtime();
    let wh = Warehouse::open("memory://", &[]).unwrap();
    let summary = ingest(&rt, &wh, &[dir.display().to_string()], 1_000_000);
    assert_eq!(summary.reports, 0, "{}", summary.render());
    let reason = &summary.quarantined[0].reason;
    assert!(reason.contains("sec2.admin_license") && reason.contains("111111111111111"), "{reason}");
}
