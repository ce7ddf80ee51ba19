//! Integration test areas and the helpers they share.

mod accuracy;
mod bodies;
mod cli;
mod config;
mod deploy;
mod distributed;
mod formats;
mod gold;
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
