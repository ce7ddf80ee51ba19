//! What a PDF asks of its reader, bounded before the PDF libraries are asked to do it.
//!
//! - **Decoded streams.** lopdf decodes a stream whole into memory, with no limit, the moment it is
//!   asked for it (object streams as the file opens, page contents, fonts and drawn XObjects as the
//!   text is read). A few MB of compressed zeros decode to gigabytes between two checkpoints of the
//!   parse's budget. So every stream is first decoded here into a counter, with the filters lopdf
//!   reads (Flate, LZW, ASCII85), and a file whose streams decode to more than [`MAX_DECODED`] is
//!   refused. Finding the streams needs no parse of the objects: each `stream` keyword, the
//!   dictionary before it, and its data up to `endstream`.
//! - **Drawing.** pdf-extract draws a form XObject (`Do`) by calling itself on the form's content:
//!   a form that draws itself recurses until the stack overflows, which aborts the process, and
//!   forms that each draw the next twice double the work at every level. [`drawn_size`] walks the
//!   same calls without drawing, with a depth limit and a memo, and counts the content bytes the
//!   drawing would process.

use std::collections::HashMap;
use std::io::Write;

use lopdf::{Dictionary, Document, Object, ObjectId};
use memchr::memmem;

/// The most a PDF's streams may decode to: a report's text and fonts need a few MB, its images
/// (drawn as content by the text reader too) tens.
pub const MAX_DECODED: u64 = 512 * 1024 * 1024;

/// The most content a PDF's pages may draw, forms drawn inside forms counted each time.
pub const MAX_DRAWN: u64 = 1024 * 1024 * 1024;

/// The deepest forms may be drawn inside forms; real reports nest a few.
pub const MAX_FORM_DEPTH: usize = 32;

/// The longest chain of `/Parent` links from a page to the root of the page tree.
const MAX_TREE_DEPTH: usize = 64;

/// How far before a `stream` keyword its dictionary is looked for.
const DICTIONARY_REACH: usize = 4096;

/// Bytes the streams of `pdf` decode to, or `Err(bytes decoded so far)` once past `limit`.
pub fn decoded_size(pdf: &[u8], limit: u64) -> Result<u64, u64> {
    let mut total = 0u64;
    let mut at = 0;
    while let Some(found) = memmem::find(&pdf[at..], b"stream") {
        let keyword = at + found;
        at = keyword + b"stream".len();
        if pdf[..keyword].ends_with(b"end") {
            continue;
        }
        let data = match &pdf[at..] {
            [b'\r', b'\n', ..] => at + 2,
            [b'\n' | b'\r', ..] => at + 1,
            _ => continue,
        };
        let dictionary = dictionary_before(pdf, keyword);
        let end = memmem::find(&pdf[data..], b"endstream").map_or(pdf.len(), |e| data + e);
        at = end;
        let filters = filters(dictionary);
        // The end of line before `endstream` is not data.
        let stream = &pdf[data..end];
        let stream = stream.strip_suffix(b"\n").unwrap_or(stream);
        let stream = stream.strip_suffix(b"\r").unwrap_or(stream);
        total += decode(stream, &filters, limit - total + 1);
        if total > limit {
            return Err(total);
        }
    }
    Ok(total)
}

/// The text from the last `obj` (or `<<` when no `obj` is near) before a `stream` keyword.
fn dictionary_before(pdf: &[u8], keyword: usize) -> &[u8] {
    let near = &pdf[keyword.saturating_sub(DICTIONARY_REACH)..keyword];
    let from = memmem::rfind(near, b"obj").or_else(|| memmem::rfind(near, b"<<")).unwrap_or(0);
    &near[from..]
}

/// A name's value after `key` in a dictionary's text: `/Key /Name`, `/Key[/A /B]`.
fn names_after<'a>(dictionary: &'a [u8], key: &[u8]) -> Vec<&'a [u8]> {
    let Some(at) = memmem::find(dictionary, key) else { return Vec::new() };
    let rest = dictionary[at + key.len()..].trim_ascii_start();
    let (list, single) = match rest.first() {
        Some(b'[') => (&rest[1..rest.iter().position(|&b| b == b']').unwrap_or(rest.len())], false),
        Some(b'/') => (rest, true),
        _ => return Vec::new(),
    };
    let mut names = Vec::new();
    for part in list.split(|&b| b == b'/').skip(1) {
        let end = part.iter().position(|b| b.is_ascii_whitespace() || b"/[]<>()%".contains(b)).unwrap_or(part.len());
        names.push(&part[..end]);
        if single || part[end..].trim_ascii_start().first().is_some_and(|&b| b != b'/') {
            break;
        }
    }
    names
}

fn filters(dictionary: &[u8]) -> Vec<&[u8]> {
    names_after(dictionary, b"/Filter")
}

/// Bytes `data` decodes to through `filters` in order, counted up to `cap` (a stage past `cap`
/// stops there). A filter lopdf does not decode ends the chain: its input is what is held.
fn decode(data: &[u8], filters: &[&[u8]], cap: u64) -> u64 {
    let mut held = std::borrow::Cow::Borrowed(data);
    for (i, filter) in filters.iter().enumerate() {
        let keep = i + 1 < filters.len();
        let mut out = Capped { cap, count: 0, kept: Vec::new(), keep };
        match *filter {
            b"FlateDecode" | b"Fl" => inflate(&held, &mut out),
            b"LZWDecode" | b"LZW" => {
                let mut lzw = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
                let _ = lzw.into_stream(&mut out).decode_all(&*held).status;
            }
            b"ASCII85Decode" | b"A85" => {
                let _ = out.write_all(&ascii85(&held));
            }
            _ => return held.len() as u64,
        }
        if !keep || out.count >= cap {
            return out.count;
        }
        held = std::borrow::Cow::Owned(out.kept);
    }
    held.len() as u64
}

/// Zlib, or raw deflate after the two header bytes when zlib yields nothing (as lopdf retries).
fn inflate(data: &[u8], out: &mut Capped) {
    let _ = flate2::write::ZlibDecoder::new(&mut *out).write_all(data);
    if out.count == 0 && data.len() > 2 {
        let _ = flate2::write::DeflateDecoder::new(&mut *out).write_all(&data[2..]);
    }
}

/// A writer that counts what it is given, keeps it when a later filter needs it, and fails once
/// past its cap (which ends the decoder writing into it).
struct Capped {
    cap: u64,
    count: u64,
    kept: Vec<u8>,
    keep: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.count >= self.cap {
            return Err(std::io::Error::other("past the cap"));
        }
        self.count += buf.len() as u64;
        if self.keep {
            self.kept.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// ASCII85 (`<~ … ~>`, `z` for four zero bytes), whitespace and stray bytes skipped.
fn ascii85(data: &[u8]) -> Vec<u8> {
    let body = data.trim_ascii_start();
    let body = body.strip_prefix(b"<~").unwrap_or(body);
    let mut out = Vec::with_capacity(body.len() / 5 * 4 + 4);
    let (mut group, mut digits) = (0u64, 0);
    for &c in body {
        match c {
            b'~' => break,
            b'z' if digits == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group = group * 85 + u64::from(c - b'!');
                digits += 1;
                if digits == 5 {
                    out.extend_from_slice(&(group as u32).to_be_bytes());
                    (group, digits) = (0, 0);
                }
            }
            _ => {}
        }
    }
    if digits > 1 {
        for _ in digits..5 {
            group = group * 85 + 84;
        }
        out.extend_from_slice(&(group as u32).to_be_bytes()[..digits - 1]);
    }
    out
}

/// Content bytes that drawing every page of `doc` processes: each page's content, and each form's
/// content every time it is drawn (inside other forms too). `Err` says why the drawing is
/// unbounded: forms nested past [`MAX_FORM_DEPTH`] (a form that draws itself is nested without
/// end), more than `limit` bytes, or a page tree whose `/Parent` links loop.
pub fn drawn_size(doc: &Document, limit: u64) -> Result<u64, String> {
    let mut drawing = Drawing { doc, limit, memo: HashMap::new() };
    let mut total = 0u64;
    for page in doc.get_pages().into_values() {
        let Ok(dict) = doc.get_dictionary(page) else { continue };
        let resources = page_resources(doc, dict)?;
        let content = doc.get_page_content(page).unwrap_or_default();
        total = total.saturating_add(content.len() as u64);
        for name in drawn_forms(&content) {
            total = total.saturating_add(drawing.form(&name, resources, 1)?);
        }
        if total > limit {
            return Err(format!("its pages draw more than {limit} bytes of content (forms drawn over and over)"));
        }
    }
    Ok(total)
}

/// A page's resources, inherited through `/Parent` as pdf-extract looks them up (it looks up
/// `/MediaBox` the same way, by recursion: the whole chain must end).
fn page_resources<'a>(doc: &'a Document, page: &'a Dictionary) -> Result<Option<&'a Dictionary>, String> {
    let parent = |node: &'a Dictionary| {
        node.get(b"Parent").and_then(Object::as_reference).and_then(|id| doc.get_dictionary(id)).ok()
    };
    let chain: Vec<&Dictionary> =
        std::iter::successors(Some(page), |node| parent(node)).take(MAX_TREE_DEPTH + 1).collect();
    if chain.len() > MAX_TREE_DEPTH {
        return Err(format!("its page tree's /Parent links go more than {MAX_TREE_DEPTH} deep (they loop)"));
    }
    Ok(chain.into_iter().find_map(|node| node.get(b"Resources").ok().and_then(|r| dictionary(doc, r))))
}

fn dictionary<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        other => other.as_dict().ok(),
    }
}

/// The XObject names a content stream draws (`/Name Do`).
fn drawn_forms(content: &[u8]) -> Vec<Vec<u8>> {
    // Most content draws no XObject: no need to parse its operators (pdf-extract will).
    if memmem::find(content, b"Do").is_none() {
        return Vec::new();
    }
    let Ok(content) = lopdf::content::Content::decode(content) else { return Vec::new() };
    let names = content.operations.into_iter().filter(|op| op.operator == "Do");
    names.filter_map(|op| op.operands.first().and_then(|n| n.as_name().ok()).map(<[u8]>::to_vec)).collect()
}

struct Drawing<'a> {
    doc: &'a Document,
    limit: u64,
    /// Content bytes of drawing a form under given resources (by address), once worked out.
    memo: HashMap<(ObjectId, usize), u64>,
}

impl<'a> Drawing<'a> {
    /// Content bytes of drawing the XObject `name` of `resources`, at `depth` forms deep.
    fn form(&mut self, name: &[u8], resources: Option<&'a Dictionary>, depth: usize) -> Result<u64, String> {
        let Some(resources) = resources else { return Ok(0) };
        let xobjects = resources.get(b"XObject").ok().and_then(|x| dictionary(self.doc, x));
        let Some(id) = xobjects.and_then(|x| x.get(name).ok()).and_then(|o| o.as_reference().ok()) else {
            return Ok(0);
        };
        let key = (id, resources as *const Dictionary as usize);
        if let Some(&size) = self.memo.get(&key) {
            return Ok(size);
        }
        if depth > MAX_FORM_DEPTH {
            return Err(format!(
                "its forms are drawn more than {MAX_FORM_DEPTH} deep inside each other (a form draws itself)"
            ));
        }
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else { return Ok(0) };
        // A form without resources of its own draws with its caller's, as pdf-extract does.
        let own = stream.dict.get(b"Resources").ok().and_then(|r| dictionary(self.doc, r)).unwrap_or(resources);
        let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let mut size = content.len() as u64;
        for inner in drawn_forms(&content) {
            size = size.saturating_add(self.form(&inner, Some(own), depth + 1)?);
            if size > self.limit {
                break;
            }
        }
        self.memo.insert(key, size);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    fn pdf_with(dictionary: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n1 0 obj\n".to_vec();
        pdf.extend_from_slice(dictionary.as_bytes());
        pdf.extend_from_slice(b"\nstream\r\n");
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        pdf
    }

    #[test]
    fn streams_are_counted_as_decoded_and_a_bomb_is_stopped_at_the_limit() {
        let text = b"BT /F1 12 Tf (2023) Tj ET ".repeat(100);
        let pdf = pdf_with("<< /Length 9 /Filter /FlateDecode >>", &deflate(&text));
        assert_eq!(decoded_size(&pdf, MAX_DECODED), Ok(text.len() as u64));
        // 64 MiB of zeros compress to about 64 KB.
        let zeros = deflate(&vec![0u8; 64 << 20]);
        assert!(zeros.len() < 200_000);
        let bomb = pdf_with("<</Filter/FlateDecode/Length 1>>", &zeros);
        assert_eq!(decoded_size(&bomb, 8 << 20).map_err(|n| n > 8 << 20), Err(true));
        assert_eq!(decoded_size(&bomb, 128 << 20), Ok(64 << 20));
    }

    /// A one-page document whose page draws `X1`; form `Xk` draws `X(k+1)` twice, up to `Xlevels`,
    /// and `Xlevels` draws `X1` when `looped`.
    fn forms(levels: usize, looped: bool) -> Document {
        use lopdf::{Stream, dictionary};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let ids: Vec<ObjectId> = (0..levels).map(|_| doc.new_object_id()).collect();
        let mut xobjects = Dictionary::new();
        for (k, id) in ids.iter().enumerate() {
            xobjects.set(format!("X{}", k + 1), *id);
        }
        for (k, id) in ids.iter().enumerate() {
            let content = match k + 1 {
                last if last == levels && looped => "/X1 Do".to_string(),
                last if last == levels => "0 0 m".to_string(),
                _ => format!("/X{0} Do /X{0} Do", k + 2),
            };
            let dict = dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => dictionary! { "XObject" => xobjects.clone() } };
            doc.objects.insert(*id, Object::Stream(Stream::new(dict, content.into_bytes())));
        }
        let content = doc.add_object(Stream::new(dictionary! {}, b"/X1 Do".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "XObject" => xobjects },
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc
    }

    #[test]
    fn forms_drawn_inside_forms_are_counted_each_time_and_a_loop_is_refused() {
        // The page's 6 bytes (7 as lopdf joins a page's contents, with a newline) draw X1 (13 bytes),
        // which draws X2 (13) twice, which draws X3 (5) twice.
        assert_eq!(drawn_size(&forms(3, false), MAX_DRAWN), Ok(7 + 13 + 2 * (13 + 2 * 5)));
        // Forty levels of doubling: 2^40 drawings, counted without drawing them.
        let err = drawn_size(&forms(40, false), MAX_DRAWN).unwrap_err();
        assert!(err.contains("more than 32 deep"), "{err}");
        let err = drawn_size(&forms(30, false), MAX_DRAWN).unwrap_err();
        assert!(err.contains("bytes of content"), "{err}");
        let err = drawn_size(&forms(3, true), MAX_DRAWN).unwrap_err();
        assert!(err.contains("a form draws itself"), "{err}");
    }

    #[test]
    fn filter_chains_are_decoded_in_order() {
        let text = b"0 0 Td (x) Tj ".repeat(50);
        // ASCII85 of the deflated text, decoded to the text.
        let deflated = deflate(&text);
        let mut encoded = b"<~".to_vec();
        for chunk in deflated.chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            let mut n = u32::from_be_bytes(word) as u64;
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = b'!' + (n % 85) as u8;
                n /= 85;
            }
            encoded.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        encoded.extend_from_slice(b"~>");
        let pdf = pdf_with("<< /Filter [/ASCII85Decode /FlateDecode] >>", &encoded);
        assert_eq!(decoded_size(&pdf, MAX_DECODED), Ok(text.len() as u64));
        // An unfiltered stream holds its own bytes; a filter lopdf cannot decode, its input.
        let pdf = pdf_with("<< /Length 5 >>", b"hello");
        assert_eq!(decoded_size(&pdf, MAX_DECODED), Ok(5));
        let pdf = pdf_with("<< /Filter /DCTDecode >>", b"\xff\xd8\xff");
        assert_eq!(decoded_size(&pdf, MAX_DECODED), Ok(3));
    }
}
