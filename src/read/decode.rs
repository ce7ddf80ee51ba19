//! Bytes → Unicode text: byte-order marks, declared charsets, then detection.

use encoding_rs::{Encoding, UTF_8};

/// Decode `bytes` to text, returning the text and the name of the encoding used.
///
/// Order: a byte-order mark wins; then strict UTF-8; then UTF-8 with at most one bad character in
/// twenty non-ASCII ones (unless another charset is declared); then a charset the document declares
/// (`<meta charset=…>`, `encoding="…"`); then chardetng's guess. Malformed sequences become U+FFFD
/// and are reported by the caller through the `lossy` flag.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded { text: text.into_owned(), encoding: encoding.name().to_string(), lossy: had_errors };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded { text: text.to_string(), encoding: UTF_8.name().to_string(), lossy: false };
    }
    // UTF-8 with a few bad bytes (a cut download, a stray byte from an editor) is UTF-8:
    // other encodings decode those bytes without an error but turn every character into another.
    // Text in GBK read as UTF-8 fails on most of its characters, far above one in twenty.
    let declared = declared_charset(bytes);
    if declared.is_none_or(|e| e == UTF_8) {
        let (text, _) = UTF_8.decode_without_bom_handling(bytes);
        // Measured against the non-ASCII characters, so markup around a little GBK text does
        // not hide that its Chinese fails.
        let (mut wide, mut bad) = (0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_ascii()) {
            wide += 1;
            bad += usize::from(c == '\u{FFFD}');
        }
        if bad * 20 <= wide {
            return Decoded { text: text.into_owned(), encoding: UTF_8.name().to_string(), lossy: true };
        }
    }
    let guess = || {
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(bytes, true);
        detector.guess(Some(b"cn"), true)
    };
    // GBK and GB2312 labels both map to encoding_rs's GBK; GB18030 is a superset that decodes both.
    let widen = |e: &'static Encoding| if e == encoding_rs::GBK { encoding_rs::GB18030 } else { e };
    let encoding = widen(declared.unwrap_or_else(guess));
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        // A page whose label is wrong (GBK bytes saying UTF-8, as re-saved pages often do): the
        // guess is taken when it reads the bytes cleanly.
        let guessed = widen(guess());
        let (clean, guess_errors) = guessed.decode_without_bom_handling(bytes);
        if guessed != encoding && !guess_errors {
            return Decoded { text: clean.into_owned(), encoding: guessed.name().to_string(), lossy: false };
        }
    }
    Decoded { text: text.into_owned(), encoding: encoding.name().to_string(), lossy: had_errors }
}

pub struct Decoded {
    pub text: String,
    pub encoding: String,
    /// Some bytes were not valid in the chosen encoding.
    pub lossy: bool,
}

/// A charset named in the first few KB (`charset=gbk`, `encoding="GB2312"`), if encoding_rs knows it.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    for marker in ["charset=", "encoding="] {
        if let Some(pos) = head.find(marker) {
            let rest = head[pos + marker.len()..].trim_start_matches(['"', '\'', ' ']);
            let label: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            if let Some(enc) = Encoding::for_label(label.as_bytes()) {
                return Some(enc);
            }
        }
    }
    None
}

/// Collapse runs of whitespace to one space and trim. Unicode whitespace includes the no-break
/// space of `&nbsp;` and the ideographic space (U+3000).
pub(crate) fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeeze_collapses_every_kind_of_space() {
        assert_eq!(squeeze("  a\u{a0}\u{a0}b\u{3000}c\t\n d "), "a b c d");
    }

    #[test]
    fn detects_gbk_and_boms() {
        let text = "一、本年新收政府信息公开申请数量\t3\t0\t0\t0\t0\t0\t3\n二、上年结转政府信息公开申请数量";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let d = decode(&gbk);
        assert_eq!(d.text, text);
        assert_eq!(d.encoding, "gb18030");

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom).text, text);

        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let d = decode(&utf16);
        assert_eq!(d.text, text);
        assert_eq!(d.encoding, "UTF-16LE");
    }

    #[test]
    fn utf8_with_a_few_bad_bytes_stays_utf8_and_gbk_in_markup_does_not() {
        let text = "一、本年新收政府信息公开申请数量\t3\t0\t0\t0\t0\t0\t3\n".repeat(20);
        let mut bytes = text.as_bytes().to_vec();
        bytes.splice(40..40, [0xff, 0xfe]);
        let d = decode(&bytes);
        assert_eq!((d.encoding.as_str(), d.lossy), ("UTF-8", true));
        assert!(d.text.contains("政府信息公开申请数量"));
        // GBK inside much ASCII markup, no charset declared: still GBK.
        let page =
            format!("<html><body>{}<p>{}</p></body></html>", "<div class=\"x\"></div>".repeat(500), "政府信息公开");
        let (gbk, _, _) = encoding_rs::GBK.encode(&page);
        let d = decode(&gbk);
        assert_eq!(d.encoding, "gb18030");
        assert!(d.text.contains("政府信息公开"));
    }
}
