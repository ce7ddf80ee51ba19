//! Hostile and broken files in one batch with good reports: each bad file costs only itself (a
//! specific reason in `quarantine`, or a partial report whose missing cells say so), every good
//! report is stored, and nothing aborts the run.

use std::time::{Duration, Instant};

use gongkai::model::ParseQuality;
use gongkai::pipeline::{self, Options, Outcome, Quiet};
use gongkai::store::Warehouse;

use super::formats::{pdf_of, pdf_report, zip_of};
use super::repo;

fn layout(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/layouts").join(name)).unwrap()
}

/// A good report, and the bad files with what each must give: `Err(words of the reason)` for a
/// quarantined file, `Ok(())` for a partial report that is stored.
fn cases() -> Vec<(&'static str, Vec<u8>, Result<(), &'static str>)> {
    let good = layout("tab_blank_cell.txt");
    let html = synth_html();
    let pdf = pdf_report();
    let docx = zip_of(&[(
        "word/document.xml",
        "<w:document><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>",
    )]);
    let mut noise = Vec::with_capacity(200_000);
    let mut x: u32 = 7;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push((x >> 16) as u8);
    }
    let mut invalid_utf8 = good.clone().into_bytes();
    invalid_utf8.splice(200..200, [0xff, 0xfe, 0xc3]);
    // GBK bytes in a page that says it is UTF-8.
    let (gbk, _, _) = encoding_rs::GBK.encode(&html);
    let mislabelled = String::from_utf8_lossy(&gbk).replace("charset=gbk", "charset=utf-8").into_bytes();
    let mislabelled = if mislabelled.len() == gbk.len() { mislabelled } else { gbk.to_vec() };
    let nested = format!("<html><body>{}{}</body></html>", "<div>".repeat(200_000), "</div>".repeat(200_000));
    let huge = good.repeat(50 * 1024 * 1024 / good.len() + 1);
    let bomb = zip_of(&[("word/document.xml", &"a".repeat(70 * 1024 * 1024))]);
    let sec3 = good.find("三、收到和处理政府信息公开申请情况").unwrap();
    let sec4 = good.find("四、").unwrap();
    let missing_tables = format!("{}{}", &good[..sec3], &good[sec4..]);
    let duplicated_tables = format!("{}{}{}", &good[..sec4], &good[sec3..sec4], &good[sec4..]);
    let extra_columns = good.replace("\t12\t3\t0\t1\t0\t0\t16\t", "\t12\t3\t0\t1\t0\t0\t16\t9\t9\t");
    vec![
        ("good.txt", good.clone().into_bytes(), Ok(())),
        ("empty.txt", Vec::new(), Err("empty")),
        ("noise.txt", noise, Err("")),
        ("truncated.html", html.as_bytes()[..html.len() / 3].to_vec(), Ok(())),
        ("truncated.pdf", pdf[..pdf.len() / 3].to_vec(), Err("damaged PDF")),
        ("truncated.docx", docx[..docx.len() / 2].to_vec(), Err("DOCX")),
        ("invalid_utf8.txt", invalid_utf8, Ok(())),
        ("mislabelled.html", mislabelled, Ok(())),
        ("huge.txt", huge.into_bytes(), Err("over the limit")),
        ("nested.html", nested.into_bytes(), Err("nested more than")),
        ("bomb.docx", bomb, Err("too large")),
        ("no_text.pdf", pdf_of(&[]), Err("no text layer")),
        ("missing_tables.txt", missing_tables.into_bytes(), Ok(())),
        ("duplicated_tables.txt", duplicated_tables.into_bytes(), Ok(())),
        ("extra_columns.txt", extra_columns.into_bytes(), Ok(())),
        ("bomb.pdf", flate_bomb_pdf(600), Err("compression bomb")),
        ("spans.html", spans_html(), Err("more memory than the budget")),
        // Its page draws a form that draws itself: the PDF library recursed until the stack overflowed.
        (
            "forms.pdf",
            std::fs::read(repo().join("fuzz/regressions/pdf/self_drawing_form.pdf")).unwrap(),
            Err("a form draws itself"),
        ),
    ]
}

/// A PDF whose one content stream is about 1 KB of zlib for each of the `mib` MiB of zeros it decodes to. The
/// stream is made without compressing the zeros: one deflate segment of 1 MiB of zeros, compressed
/// after a window of zeros and ended by a sync flush, decodes the same wherever zeros precede it,
/// so it is repeated.
fn flate_bomb_pdf(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut z = Compress::new(Compression::best(), false);
    let mut segment = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(1 << 20);
        z.compress_vec(input, &mut out, flush).unwrap();
        out
    };
    let window = segment(&[0; 32 * 1024], FlushCompress::Sync);
    let mib_of_zeros = segment(&vec![0; 1 << 20], FlushCompress::Sync);
    let end = segment(&[], FlushCompress::Finish);
    let zeros = 32 * 1024 + mib * (1 << 20);
    let adler = ((zeros % 65521) as u32) << 16 | 1;
    let mut stream = vec![0x78, 0xda];
    stream.extend_from_slice(&window);
    for _ in 0..mib {
        stream.extend_from_slice(&mib_of_zeros);
    }
    stream.extend_from_slice(&end);
    stream.extend_from_slice(&adler.to_be_bytes());
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
    pdf.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    pdf.extend_from_slice(
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n",
    );
    pdf.extend_from_slice(format!("4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).as_bytes());
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    pdf
}

/// A page of 1.7 MB whose table spans make a hundred million cells: 100,000 cells of one row,
/// each spanning the 999 empty rows below it.
fn spans_html() -> Vec<u8> {
    let cells = "<td rowspan=1000>".repeat(100_000);
    format!("<html><body><table><tr>{cells}</tr>{}</table></body></html>", "<tr></tr>".repeat(999)).into_bytes()
}

fn synth_html() -> String {
    let corpus = gongkai::synth::generate(1, 4, &[gongkai::synth::Layout::Html], (2023, 2023));
    String::from_utf8(corpus[0].1.clone()).unwrap()
}

#[test]
fn a_batch_of_hostile_files_costs_only_the_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = cases();
    assert!(cases.len() >= 17);
    for (name, bytes, _) in &cases {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wh = Warehouse::open("memory://", &[]).unwrap();
    // A tight budget: the files that would take minutes are given up in seconds.
    let parse_budget = gongkai::parse::Budget { time: Duration::from_secs(8), ..Default::default() };
    let options = Options { parse_budget, ..Options::default() };
    let start = Instant::now();
    let summary = rt.block_on(pipeline::ingest(&wh, &[dir.display().to_string()], &options, &Quiet)).unwrap();
    assert!(start.elapsed() < Duration::from_secs(120), "the batch waited for a runaway file");
    assert_eq!(summary.files, cases.len(), "every file has an outcome");
    for (name, _, want) in &cases {
        let outcome = summary
            .outcomes
            .iter()
            .find(|(uri, _)| uri.ends_with(&format!("/{name}")))
            .map(|(_, o)| o)
            .unwrap_or_else(|| panic!("{name}: no outcome"));
        match (want, outcome) {
            (Ok(()), Outcome::Stored { .. }) => {}
            (Err(words), Outcome::Quarantined { reason, .. }) => {
                assert!(reason.contains(words) && !reason.is_empty(), "{name}: {reason}");
            }
            (want, got) => panic!("{name}: wanted {want:?}, got {got:?}"),
        }
    }
    // The quarantine table lists each bad file with its reason.
    let q = rt.block_on(wh.read_parquet(gongkai::store::QUARANTINE_FILE)).unwrap().unwrap();
    let quarantined = cases.iter().filter(|c| c.2.is_err()).count();
    assert_eq!(q.num_rows(), quarantined);
    // The partial reports say what they could not read.
    for name in ["missing_tables.txt", "truncated.html"] {
        let path = dir.join(name);
        let r = gongkai::parse::parse_file(&path).unwrap();
        assert_ne!(r.parse_quality, ParseQuality::Exact, "{name}");
        assert!(
            r.sec3.cells().any(|(_, _, c)| c.kind == gongkai::model::CellKind::Missing),
            "{name}: no missing cells"
        );
    }
}

#[path = "../../fuzz/harness.rs"]
mod fuzz_harness;

/// Every fuzz seed and every input a fuzzer found (fuzz/seeds/TARGET, fuzz/regressions/TARGET) run
/// through its target's harness, so each finding stays fixed (FUZZING.md).
#[test]
fn fuzz_seeds_and_findings_parse_without_a_panic() {
    let mut ran = 0;
    for (target, ext) in [("text", "txt"), ("html", "html"), ("docx", "docx"), ("pdf", "pdf"), ("assign", "")] {
        for folder in ["seeds", "regressions"] {
            let dir = repo().join("fuzz").join(folder).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                eprintln!("{}", path.display());
                match target {
                    "assign" => fuzz_harness::assign(&data),
                    _ => fuzz_harness::parse(&data, ext),
                }
                ran += 1;
            }
        }
        assert!(repo().join("fuzz/seeds").join(target).is_dir(), "fuzz/seeds/{target} holds the target's seeds");
    }
    assert!(ran >= 15, "the seeds are there: {ran} inputs");
}
