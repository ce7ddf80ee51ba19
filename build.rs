//! Builds the gazetteer's name index at compile time (see `src/region/index.rs`), so a run starts
//! without indexing 45,000 names.

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/region/index.rs"]
mod index;

fn main() {
    let tsv_path = "data/gazetteer.tsv";
    println!("cargo::rerun-if-changed={tsv_path}");
    println!("cargo::rerun-if-changed=src/region/index.rs");
    let tsv = std::fs::read_to_string(tsv_path).expect("data/gazetteer.tsv");
    let codes: Vec<&str> = index::rows(&tsv).map(|(code, _)| code).collect();
    // The resolver finds a code by binary search over the rows.
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "data/gazetteer.tsv must list codes in ascending order");
    let built = index::build(&tsv);
    let mut map = phf_codegen::Map::new();
    for (key, cands) in &built.keys {
        let mut value = String::from("&[");
        for c in cands {
            write!(value, "Cand{{idx:{},kind:Kind::{:?}}},", c.idx, c.kind).expect("write to a String");
        }
        value.push(']');
        map.entry(key.as_str(), value);
    }
    let code = format!(
        "/// The longest key in characters.\npub(super) const MAX_KEY_CHARS: usize = {};\n\
         /// Every key of the index and the divisions it names.\n\
         pub(super) static BY_KEY: phf::Map<&'static str, &'static [Cand]> = {};\n",
        built.max_key_chars,
        map.build()
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("gazetteer_index.rs");
    std::fs::write(out, code).expect("write the gazetteer index");
}
