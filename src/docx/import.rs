//! `vanban import FILE.docx -o plan.toml`: a Decree-30 document made in Word back into a plan
//! draft. vanban's own documents are read by their styles (`VBSection`, `VBTrichYeu` …) and
//! content controls (layout fields); anything else by the decree's text patterns: the header
//! table, `Số: …/…`, the date line, the type name, `Căn cứ …`, typed or automatic numbering
//! (numbering.xml, inherited from paragraph styles), `Nơi nhận:`, the signer block.
//!
//! Never panics on a broken file: every problem is a `docx-read` error naming the part.

#![allow(clippy::type_complexity, clippy::collapsible_match)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::diag::Diagnostic;
use crate::layout::{FieldSpec, Kind, Layouts};
use crate::vietnamese;

/// The largest .docx accepted.
pub const MAX_FILE: u64 = 20 * 1024 * 1024;
/// The largest uncompressed part accepted.
pub const MAX_PART: u64 = 50 * 1024 * 1024;
/// Parts whose uncompressed size is more than this many times their compressed size (and
/// over 1 MB) are refused as zip bombs.
const MAX_RATIO: u64 = 200;
const MAX_ENTRIES: usize = 10_000;

fn bad(part: &str, msg: impl Into<String>) -> Diagnostic {
    let msg = msg.into();
    Diagnostic::error(
        "docx-read",
        if part.is_empty() {
            msg
        } else {
            format!("{part}: {msg}")
        },
    )
}

// ---------------------------------------------------------------------------------------
// The package.

/// The parts of a .docx that import reads.
pub struct Package {
    pub document: String,
    pub styles: Option<String>,
    pub numbering: Option<String>,
    pub core: Option<String>,
    pub custom: Option<String>,
}

/// Reads a .docx with the size limits; a .doc, a truncated zip, a zip bomb or a package without
/// `word/document.xml` is an error saying so.
pub fn read_package(bytes: &[u8]) -> Result<Package, Diagnostic> {
    if bytes.len() as u64 > MAX_FILE {
        return Err(bad(
            "",
            format!(
                "the file is {:.1} MB; at most {} MB are read",
                bytes.len() as f64 / 1_048_576.0,
                MAX_FILE / 1_048_576
            ),
        )
        .hint("a Word document of text is far smaller: remove embedded images or split it"));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(bad("", "this is a Word 97–2003 .doc (OLE), not a .docx")
            .hint("open it in Word or LibreOffice and save it as .docx (Word Document)"));
    }
    if !bytes.starts_with(b"PK") {
        return Err(bad("", "not a .docx: the file is not a zip package")
            .hint("save the document as .docx (Word Document) and import that file"));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        bad("", format!("the zip package is damaged or truncated: {e}"))
            .hint("the file was cut off (an interrupted download or copy?): get it again")
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(
            "",
            format!("the package has {} parts; at most {MAX_ENTRIES}", zip.len()),
        ));
    }
    let mut read = |name: &str| -> Result<Option<String>, Diagnostic> {
        let mut f = match zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(bad(name, format!("cannot be read: {e}"))),
        };
        let size = f.size();
        let packed = f.compressed_size().max(1);
        if size > MAX_PART {
            return Err(bad(
                name,
                format!(
                    "{} MB uncompressed; at most {} MB",
                    size / 1_048_576,
                    MAX_PART / 1_048_576
                ),
            ));
        }
        if size > 1_048_576 && size / packed > MAX_RATIO {
            return Err(bad(
                name,
                format!("compressed {}:1, a zip bomb; refused", size / packed),
            ));
        }
        let mut buf = Vec::new();
        // The header's size may lie: never read more than the limit.
        (&mut f)
            .take(MAX_PART + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                bad(
                    name,
                    format!("cannot be decompressed (truncated or damaged): {e}"),
                )
            })?;
        if buf.len() as u64 > MAX_PART {
            return Err(bad(name, "larger than its header says: refused"));
        }
        let text = String::from_utf8(buf).map_err(|_| bad(name, "is not UTF-8 XML"))?;
        Ok(Some(text))
    };
    let document = read("word/document.xml")?.ok_or_else(|| {
        bad(
            "word/document.xml",
            "missing: this zip is not a Word document",
        )
        .hint("only .docx files (Word, LibreOffice \"Word 2007-365\") can be imported")
    })?;
    Ok(Package {
        document,
        styles: read("word/styles.xml")?,
        numbering: read("word/numbering.xml")?,
        core: read("docProps/core.xml")?,
        custom: read("docProps/custom.xml")?,
    })
}

// ---------------------------------------------------------------------------------------
// WordprocessingML, reduced to what a plan needs.

#[derive(Debug, Clone, Default)]
pub struct Run {
    pub text: String,
    pub bold: Option<bool>,
    pub italic: Option<bool>,
    pub rstyle: Option<String>,
    /// The content control's tag the run lies in (a layout field).
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Para {
    pub style: Option<String>,
    pub num: Option<(String, usize)>,
    pub runs: Vec<Run>,
    /// Filled in from numbering.xml.
    pub auto_label: Option<String>,
    /// The paragraph's alignment (`center`, `right` …).
    pub jc: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Para(Para),
    /// Rows of cells of paragraphs, and the grid's column widths.
    Table(Vec<Vec<Vec<Para>>>, Vec<u32>),
    Start(String),
    End(String),
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.as_ref();
        let local = key.rsplit(|b| *b == b':').next().unwrap_or(key);
        (local == name).then(|| String::from_utf8_lossy(&a.value).into_owned())
    })
}

fn on(e: &BytesStart) -> bool {
    !matches!(
        attr(e, b"val").as_deref(),
        Some("0" | "false" | "off" | "none")
    )
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|b| *b == b':').next().unwrap_or(name)
}

/// Parses document.xml into items in document order; tables keep their cells.
pub fn parse_document(xml: &str) -> Result<Vec<Item>, Diagnostic> {
    let part = "word/document.xml";
    let mut r = quick_xml::Reader::from_str(xml);
    let mut s = State::default();
    let mut depth = 0usize;
    loop {
        let ev = r.read_event().map_err(|e| {
            bad(
                part,
                format!("malformed XML at byte {}: {e}", r.buffer_position()),
            )
        })?;
        match ev {
            Event::Eof => {
                if depth > 0 {
                    return Err(bad(
                        part,
                        "malformed XML: the part ends inside an element (truncated?)",
                    ));
                }
                break;
            }
            Event::Start(e) if s.skip > 0 => {
                depth += 1;
                if skipped(local(e.name().as_ref())) {
                    s.skip += 1;
                }
            }
            Event::Empty(_) if s.skip > 0 => {}
            Event::Start(ref e) => {
                depth += 1;
                if depth > 200 {
                    return Err(bad(part, "elements nested more than 200 deep"));
                }
                start(e, false, &mut s);
            }
            Event::Empty(ref e) => {
                start(e, true, &mut s);
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                let name = local(e.name().as_ref()).to_vec();
                if s.skip > 0 {
                    if skipped(&name) {
                        s.skip -= 1;
                    }
                    continue;
                }
                match name.as_slice() {
                    b"t" => s.in_text = false,
                    b"rPr" => s.in_rpr = false,
                    b"pPr" => s.in_ppr = false,
                    b"sdtPr" => s.in_sdtpr = false,
                    b"sdt" => {
                        s.tags.pop();
                    }
                    b"r" => {
                        if let (Some(p), Some(x)) = (s.para.as_mut(), s.run.take()) {
                            p.runs.push(x);
                        }
                    }
                    b"p" => {
                        if let Some(p) = s.para.take() {
                            match s.tables.last_mut() {
                                Some(t) => {
                                    if let Some(cell) = t.last_mut().and_then(|row| row.last_mut())
                                    {
                                        cell.push(p);
                                    }
                                }
                                None => s.out.push(Item::Para(p)),
                            }
                        }
                    }
                    b"tbl" => {
                        if s.tables.len() > 1 {
                            s.grids.pop();
                        }
                        if let Some(t) = s.tables.pop() {
                            match s.tables.last_mut() {
                                // A table inside a cell: its paragraphs join the cell.
                                Some(outer) => {
                                    if let Some(cell) =
                                        outer.last_mut().and_then(|row| row.last_mut())
                                    {
                                        for row in t {
                                            for c in row {
                                                cell.extend(c);
                                            }
                                        }
                                    }
                                }
                                None => s
                                    .out
                                    .push(Item::Table(t, s.grids.pop().unwrap_or_default())),
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if s.skip == 0 && s.in_text {
                    let text = t
                        .decode()
                        .map_err(|e| bad(part, format!("bad text: {e}")))?;
                    if let Some(x) = s.run.as_mut() {
                        x.text.push_str(&text);
                    }
                }
            }
            Event::GeneralRef(g) => {
                if s.skip == 0 && s.in_text {
                    let name = String::from_utf8_lossy(g.as_ref()).into_owned();
                    let c = match name.as_str() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        n => n
                            .strip_prefix("#x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32),
                    };
                    if let (Some(c), Some(x)) = (c, s.run.as_mut()) {
                        x.text.push(c);
                    }
                }
            }
            Event::CData(t) => {
                if s.skip == 0 && s.in_text {
                    if let Some(x) = s.run.as_mut() {
                        x.text.push_str(&String::from_utf8_lossy(&t));
                    }
                }
            }
            _ => {}
        }
    }
    if s.out.is_empty() {
        return Err(bad(part, "has no paragraphs (no w:body text)"));
    }
    Ok(s.out)
}

/// What `parse_document` is in the middle of.
#[derive(Default)]
struct State {
    out: Vec<Item>,
    /// Tables being read: rows of cells of paragraphs.
    tables: Vec<Vec<Vec<Vec<Para>>>>,
    para: Option<Para>,
    run: Option<Run>,
    in_rpr: bool,
    in_ppr: bool,
    in_text: bool,
    /// Depth inside deleted text, instrText … (see [`skipped`]).
    skip: usize,
    tags: Vec<Option<String>>,
    in_sdtpr: bool,
    bookmarks: BTreeMap<String, String>,
    /// Open `vbf<n>_<path>` bookmarks around layout fields: (id, field path).
    inline: Vec<(String, String)>,
    grids: Vec<Vec<u32>>,
}

/// Elements whose text is not the document's (deletions, field codes, drawings, notes).
fn skipped(name: &[u8]) -> bool {
    matches!(
        name,
        b"del" | b"instrText" | b"delText" | b"drawing" | b"pict" | b"footnoteReference"
    )
}

fn start(e: &BytesStart, empty: bool, s: &mut State) {
    let name = local(e.name().as_ref()).to_vec();
    match name.as_slice() {
        n if skipped(n) => {
            if !empty {
                s.skip += 1;
            }
        }
        b"tbl" if !empty => {
            s.tables.push(Vec::new());
            s.grids.push(Vec::new());
        }
        b"gridCol" => {
            if let Some(g) = s.grids.last_mut() {
                g.push(attr(e, b"w").and_then(|w| w.parse().ok()).unwrap_or(0));
            }
        }
        b"jc" if s.in_ppr && !s.in_rpr => {
            if let Some(p) = s.para.as_mut() {
                p.jc = attr(e, b"val");
            }
        }
        b"tr" => {
            if let Some(t) = s.tables.last_mut() {
                t.push(Vec::new());
            }
        }
        b"tc" => {
            if let Some(row) = s.tables.last_mut().and_then(|t| t.last_mut()) {
                row.push(Vec::new());
            }
        }
        b"p" => {
            s.para = Some(Para::default());
            if empty {
                let p = s.para.take().unwrap_or_default();
                match s.tables.last_mut() {
                    Some(t) => {
                        if let Some(cell) = t.last_mut().and_then(|row| row.last_mut()) {
                            cell.push(p);
                        }
                    }
                    None => s.out.push(Item::Para(p)),
                }
            }
        }
        b"pPr" if !empty => s.in_ppr = true,
        b"rPr" if !empty => s.in_rpr = true,
        b"pStyle" if s.in_ppr && !s.in_rpr => {
            if let Some(p) = s.para.as_mut() {
                p.style = attr(e, b"val");
            }
        }
        b"numId" if s.in_ppr => {
            if let Some(p) = s.para.as_mut() {
                let id = attr(e, b"val").unwrap_or_default();
                let lvl = p.num.as_ref().map(|n| n.1).unwrap_or(0);
                p.num = Some((id, lvl));
            }
        }
        b"ilvl" if s.in_ppr => {
            if let Some(p) = s.para.as_mut() {
                let lvl = attr(e, b"val").and_then(|v| v.parse().ok()).unwrap_or(0);
                let id = p.num.as_ref().map(|n| n.0.clone()).unwrap_or_default();
                p.num = Some((id, lvl));
            }
        }
        b"r" if s.para.is_some() && !empty => {
            // The content control's tag, else the field bookmark's (a re-save by
            // LibreOffice 7.4 keeps the bookmark but drops the tag).
            let tag = s.tags.iter().rev().flatten().next().cloned();
            s.run = Some(Run {
                tag: tag.or_else(|| s.inline.last().map(|(_, t)| t.clone())),
                ..Run::default()
            });
        }
        b"rStyle" if s.in_rpr => {
            if let Some(x) = s.run.as_mut() {
                x.rstyle = attr(e, b"val");
            }
        }
        b"b" if s.in_rpr => {
            if let Some(x) = s.run.as_mut() {
                x.bold = Some(on(e));
            }
        }
        b"i" if s.in_rpr => {
            if let Some(x) = s.run.as_mut() {
                x.italic = Some(on(e));
            }
        }
        b"t" if !empty => s.in_text = true,
        b"tab" if !s.in_ppr => {
            if let Some(x) = s.run.as_mut() {
                x.text.push(' ');
            }
        }
        b"br" | b"cr" => {
            if let Some(x) = s.run.as_mut() {
                if attr(e, b"type").as_deref() != Some("page") {
                    x.text.push('\n');
                }
            }
        }
        b"noBreakHyphen" => {
            if let Some(x) = s.run.as_mut() {
                x.text.push('-');
            }
        }
        b"sdt" if !empty => s.tags.push(None),
        b"sdtPr" if !empty => s.in_sdtpr = true,
        b"tag" if s.in_sdtpr => {
            if let Some(last) = s.tags.last_mut() {
                *last = attr(e, b"val");
            }
        }
        b"bookmarkStart" => {
            if let (Some(id), Some(n)) = (attr(e, b"id"), attr(e, b"name")) {
                if let Some(path) = field_bookmark(&n) {
                    s.inline.push((id, path));
                } else if n.starts_with("vb_") && s.tables.is_empty() {
                    s.bookmarks.insert(id, n.clone());
                    s.out.push(Item::Start(n));
                }
            }
        }
        b"bookmarkEnd" => {
            if let Some(id) = attr(e, b"id") {
                if let Some(k) = s.inline.iter().position(|(i, _)| *i == id) {
                    let (_, path) = s.inline.remove(k);
                    // A field with no run of its own left (an empty value, such as the flag
                    // `confirmation`, whose empty run a re-save drops or restyles) is still
                    // a field.
                    let own = |r: &Run| {
                        r.tag.as_ref() == Some(&path)
                            && !matches!(
                                r.rstyle.as_deref(),
                                Some("VBFixed" | "VBLabel" | "VBBlank")
                            )
                    };
                    if let Some(p) = s.para.as_mut().filter(|p| !p.runs.iter().any(own)) {
                        p.runs.push(Run {
                            tag: Some(path),
                            ..Run::default()
                        });
                    }
                }
            }
            if let Some(n) = attr(e, b"id").and_then(|id| s.bookmarks.remove(&id)) {
                // A paragraph being read belongs before the end.
                if let Some(p) = s.para.take() {
                    s.out.push(Item::Para(p.clone()));
                    s.para = Some(Para {
                        style: Some("__continued".into()),
                        ..Para::default()
                    });
                }
                s.out.push(Item::End(n));
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// styles.xml and numbering.xml.

#[derive(Debug, Clone, Default)]
struct StyleInfo {
    name: String,
    based: Option<String>,
    bold: Option<bool>,
    italic: Option<bool>,
    num: Option<(String, usize)>,
}

#[derive(Debug, Default)]
pub struct Styles {
    by_id: BTreeMap<String, StyleInfo>,
}

impl Styles {
    fn parse(xml: &str) -> Result<Styles, Diagnostic> {
        let part = "word/styles.xml";
        let mut r = quick_xml::Reader::from_str(xml);
        let mut by_id = BTreeMap::new();
        let mut cur: Option<(String, StyleInfo)> = None;
        let mut in_rpr = false;
        loop {
            let ev = r.read_event().map_err(|e| {
                bad(
                    part,
                    format!("malformed XML at byte {}: {e}", r.buffer_position()),
                )
            })?;
            match ev {
                Event::Eof => break,
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let is_start = matches!(ev, Event::Start(_));
                    match local(e.name().as_ref()) {
                        b"style" => {
                            cur = attr(e, b"styleId").map(|id| (id, StyleInfo::default()));
                        }
                        b"name" => {
                            if let Some((_, s)) = cur.as_mut() {
                                s.name = attr(e, b"val").unwrap_or_default();
                            }
                        }
                        b"basedOn" => {
                            if let Some((_, s)) = cur.as_mut() {
                                s.based = attr(e, b"val");
                            }
                        }
                        b"rPr" if is_start => in_rpr = true,
                        b"b" if in_rpr => {
                            if let Some((_, s)) = cur.as_mut() {
                                s.bold = Some(on(e));
                            }
                        }
                        b"i" if in_rpr => {
                            if let Some((_, s)) = cur.as_mut() {
                                s.italic = Some(on(e));
                            }
                        }
                        b"numId" => {
                            if let Some((_, s)) = cur.as_mut() {
                                let lvl = s.num.as_ref().map(|n| n.1).unwrap_or(0);
                                s.num = Some((attr(e, b"val").unwrap_or_default(), lvl));
                            }
                        }
                        b"ilvl" => {
                            if let Some((_, s)) = cur.as_mut() {
                                let id = s.num.as_ref().map(|n| n.0.clone()).unwrap_or_default();
                                s.num = Some((
                                    id,
                                    attr(e, b"val").and_then(|v| v.parse().ok()).unwrap_or(0),
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(ref e) => match local(e.name().as_ref()) {
                    b"style" => {
                        if let Some((id, s)) = cur.take() {
                            by_id.insert(id, s);
                        }
                    }
                    b"rPr" => in_rpr = false,
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(Styles { by_id })
    }

    fn chain(&self, id: &str) -> Vec<&StyleInfo> {
        let mut out = Vec::new();
        let mut cur = Some(id.to_string());
        while let Some(c) = cur {
            let Some(s) = self.by_id.get(&c) else { break };
            out.push(s);
            if out.len() > 20 {
                break;
            }
            cur = s.based.clone();
        }
        out
    }

    fn bold(&self, id: &str) -> bool {
        self.chain(id).iter().find_map(|s| s.bold).unwrap_or(false)
    }

    fn italic(&self, id: &str) -> bool {
        self.chain(id)
            .iter()
            .find_map(|s| s.italic)
            .unwrap_or(false)
    }

    fn num(&self, id: &str) -> Option<(String, usize)> {
        self.chain(id).iter().find_map(|s| s.num.clone())
    }

    /// The style's name, or its id: a vanban style is recognised by either.
    fn name(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .map(|s| s.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.to_string())
    }
}

#[derive(Debug, Clone)]
struct Level {
    start: u32,
    fmt: String,
    text: String,
}

#[derive(Debug, Default)]
struct Numbering {
    abstracts: BTreeMap<String, BTreeMap<usize, Level>>,
    nums: BTreeMap<String, String>,
}

impl Numbering {
    fn parse(xml: &str) -> Result<Numbering, Diagnostic> {
        let part = "word/numbering.xml";
        let mut r = quick_xml::Reader::from_str(xml);
        let mut n = Numbering::default();
        let mut abs: Option<String> = None;
        let mut lvl: Option<(usize, Level)> = None;
        let mut num: Option<String> = None;
        loop {
            let ev = r.read_event().map_err(|e| {
                bad(
                    part,
                    format!("malformed XML at byte {}: {e}", r.buffer_position()),
                )
            })?;
            match ev {
                Event::Eof => break,
                Event::Start(ref e) | Event::Empty(ref e) => match local(e.name().as_ref()) {
                    b"abstractNum" => abs = attr(e, b"abstractNumId"),
                    b"lvl" => {
                        lvl = Some((
                            attr(e, b"ilvl").and_then(|v| v.parse().ok()).unwrap_or(0),
                            Level {
                                start: 1,
                                fmt: "decimal".into(),
                                text: String::new(),
                            },
                        ))
                    }
                    b"start" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.start = attr(e, b"val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    b"numFmt" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.fmt = attr(e, b"val").unwrap_or_default();
                        }
                    }
                    b"lvlText" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.text = attr(e, b"val").unwrap_or_default();
                        }
                    }
                    b"num" => num = attr(e, b"numId"),
                    b"abstractNumId" => {
                        if let (Some(id), Some(a)) = (&num, attr(e, b"val")) {
                            n.nums.insert(id.clone(), a);
                        }
                    }
                    _ => {}
                },
                Event::End(ref e) => match local(e.name().as_ref()) {
                    b"lvl" => {
                        if let (Some(a), Some((i, l))) = (&abs, lvl.take()) {
                            n.abstracts.entry(a.clone()).or_default().insert(i, l);
                        }
                    }
                    b"abstractNum" => abs = None,
                    b"num" => num = None,
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(n)
    }

    /// Labels every automatically numbered paragraph, counting per list as Word does.
    fn label(&self, items: &mut [Item], styles: &Styles) {
        let mut counters: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut visit = |p: &mut Para| {
            let num = p
                .num
                .clone()
                .or_else(|| p.style.as_deref().and_then(|s| styles.num(s)));
            let Some((id, ilvl)) = num else { return };
            if id == "0" || id.is_empty() {
                return;
            }
            let Some(levels) = self.nums.get(&id).and_then(|a| self.abstracts.get(a)) else {
                return;
            };
            let Some(level) = levels.get(&ilvl) else {
                return;
            };
            let abs = self.nums.get(&id).cloned().unwrap_or_default();
            let c = counters.entry(abs).or_insert_with(|| vec![0; 10]);
            let ilvl = ilvl.min(8);
            for (k, v) in c.iter_mut().enumerate() {
                if k > ilvl {
                    *v = 0;
                }
            }
            c[ilvl] = if c[ilvl] == 0 {
                level.start
            } else {
                c[ilvl] + 1
            };
            if level.fmt == "bullet" {
                p.auto_label = Some("-".into());
                return;
            }
            if level.fmt == "none" {
                return;
            }
            let mut text = level.text.clone();
            for k in (0..=ilvl).rev() {
                let fmt = levels.get(&k).map(|l| l.fmt.as_str()).unwrap_or("decimal");
                let n = if c[k] == 0 {
                    levels.get(&k).map(|l| l.start).unwrap_or(1)
                } else {
                    c[k]
                };
                text = text.replace(&format!("%{}", k + 1), &format_num(n, fmt));
            }
            p.auto_label = Some(text);
        };
        for it in items.iter_mut() {
            match it {
                Item::Para(p) => visit(p),
                Item::Table(rows, _) => {
                    for row in rows {
                        for cell in row {
                            for p in cell {
                                visit(p);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn format_num(n: u32, fmt: &str) -> String {
    match fmt {
        "upperRoman" => vietnamese::roman(n as usize),
        "lowerRoman" => vietnamese::roman(n as usize).to_lowercase(),
        "lowerLetter" => vietnamese::letter(n as usize),
        "upperLetter" => vietnamese::letter(n as usize).to_uppercase(),
        _ => n.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// From paragraphs to a plan.

/// One paragraph as the classifier sees it.
#[derive(Debug, Clone, Default)]
struct Line {
    /// vanban's style name (`VBSection` …) or the document's.
    style: String,
    /// The text without computed labels and fixed wording, NFC.
    text: String,
    /// Everything printed, labels included.
    full: String,
    /// Markup runs (`**bold**`, `*italic*`) of `text`.
    markup: String,
    /// The computed or automatic label (`1.`, `a)`, `-`).
    label: Option<String>,
    /// Content-control values by tag.
    tags: Vec<(String, String)>,
    bold: bool,
    italic: bool,
    /// The body field bookmark the paragraph lies in.
    field: Option<String>,
    jc: Option<String>,
}

fn esc_markup(s: &str) -> String {
    s.replace('*', "\\*")
}

fn line_of(p: &Para, styles: &Styles, field: Option<String>) -> Line {
    let style_id = p.style.clone().unwrap_or_else(|| "Normal".into());
    let style = styles.name(&style_id);
    let style = if style_id.starts_with("VB") {
        style_id.clone()
    } else {
        style
    };
    let sb = styles.bold(&style_id);
    let si = styles.italic(&style_id);
    let mut text = String::new();
    let mut full = String::new();
    let mut markup = String::new();
    let mut label = p.auto_label.clone();
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut all_bold = true;
    let mut all_italic = true;
    let mut any = false;
    let mut prev_tag: Option<String> = None;
    for r in &p.runs {
        let t = vietnamese::nfc(&r.text);
        full.push_str(&t);
        let rs = r.rstyle.as_deref().unwrap_or("");
        if rs == "VBLabel" {
            let l = t.trim().to_string();
            if !l.is_empty() {
                label = Some(l);
            }
            prev_tag = None;
            continue;
        }
        if rs == "VBFixed" || rs == "VBBlank" {
            prev_tag = None;
            continue;
        }
        if let Some(tag) = &r.tag {
            match tags.last_mut() {
                Some((k, v)) if k == tag && prev_tag.as_ref() == Some(tag) => v.push_str(&t),
                _ => tags.push((tag.clone(), t.clone())),
            }
        }
        prev_tag = r.tag.clone();
        let b = r.bold.unwrap_or(sb);
        let i = r.italic.unwrap_or(si);
        if !t.trim().is_empty() {
            any = true;
            all_bold &= b;
            all_italic &= i;
        }
        text.push_str(&t);
        // Emphasis beyond the paragraph style's own is markup.
        let mb = b && !sb;
        let mi = i && !si;
        let core = t.trim();
        if core.is_empty() || (!mb && !mi) {
            markup.push_str(&esc_markup(&t));
        } else {
            let lead = &t[..t.len() - t.trim_start().len()];
            let trail = &t[t.trim_end().len()..];
            let m = if mb && mi {
                "***"
            } else if mb {
                "**"
            } else {
                "*"
            };
            markup.push_str(lead);
            markup.push_str(m);
            markup.push_str(&esc_markup(core));
            markup.push_str(m);
            markup.push_str(trail);
        }
    }
    if let Some(l) = &p.auto_label {
        full = format!("{l} {full}");
    }
    Line {
        style,
        text: text.trim().to_string(),
        full: full.trim().to_string(),
        markup: markup.trim().replace("****", "").to_string(),
        label,
        tags,
        bold: any && all_bold,
        italic: any && all_italic,
        field,
        jc: p.jc.clone(),
    }
}

/// The label style of a typed or computed label.
fn label_style(l: &str) -> Option<crate::markup::Style> {
    use crate::markup::Style;
    let l = l.trim();
    let roman = |s: &str| !s.is_empty() && s.chars().all(|c| "IVXLC".contains(c));
    if let Some(x) = l.strip_suffix('.') {
        if roman(x) {
            return Some(Style::Roman);
        }
        if !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()) {
            return Some(Style::Arabic);
        }
        let parts: Vec<&str> = x.split('.').collect();
        if parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return Some(Style::Compound);
        }
    }
    if let Some(x) = l.strip_suffix(')') {
        if x.chars().count() == 1 && x.chars().all(|c| c.is_lowercase()) {
            return Some(Style::Letter);
        }
    }
    None
}

/// Splits a typed label off a paragraph: `I. MỤC ĐÍCH` → (`I.`, `MỤC ĐÍCH`).
fn typed_label(s: &str) -> Option<(String, String)> {
    let (head, rest) = s.split_once(char::is_whitespace)?;
    label_style(head)?;
    Some((head.to_string(), rest.trim().to_string()))
}

/// What import found, for the summary on stderr.
#[derive(Debug, Default)]
pub struct Summary {
    pub found: Vec<String>,
    pub unplaced: usize,
    pub vanban_styles: bool,
}

/// A plan draft being assembled: TOML lines per part.
#[derive(Default)]
struct Draft {
    doc_type: Option<&'static crate::doctype::DocType>,
    parent: Vec<String>,
    name: Vec<String>,
    place: String,
    number: String,
    symbol: String,
    date: String,
    year: Option<String>,
    title: String,
    addressees: Vec<String>,
    basis_list: Vec<String>,
    basis: Vec<String>,
    closing: Vec<String>,
    sections: Vec<(String, Vec<String>)>,
    appendices: Vec<(String, Vec<String>)>,
    authority: Vec<String>,
    signer_title: String,
    signer_name: String,
    to: Vec<String>,
    archive: String,
    contact: Option<String>,
    circulation: Option<String>,
    urgency: Option<String>,
    secrecy: Option<String>,
    fields: BTreeMap<String, Vec<String>>,
    body_fields: BTreeMap<String, Vec<String>>,
    articles: BTreeMap<String, Vec<(Option<String>, Vec<String>)>>,
    field_sections: BTreeMap<String, Vec<(String, Vec<String>)>>,
    unplaced: Vec<String>,
    levels: Vec<Option<crate::markup::Style>>,
}

/// Reads a .docx into a plan draft (TOML text) and a summary of what was found.
pub fn import(bytes: &[u8], layouts: &Layouts) -> Result<(String, Summary), Diagnostic> {
    let pkg = read_package(bytes)?;
    let styles = match &pkg.styles {
        Some(x) => Styles::parse(x)?,
        None => Styles::default(),
    };
    let mut items = parse_document(&pkg.document)?;
    if let Some(x) = &pkg.numbering {
        Numbering::parse(x)?.label(&mut items, &styles);
    }
    let author = pkg.core.as_deref().and_then(core_creator);
    // Lines in reading order; a body table stays a table.
    let mut lines: Vec<Line> = Vec::new();
    let mut tables: Vec<(usize, Vec<Vec<Vec<Line>>>, Vec<u32>)> = Vec::new();
    let mut field: Vec<String> = Vec::new();
    for it in &items {
        match it {
            Item::Start(n) => field.push(n.clone()),
            Item::End(n) => {
                if let Some(i) = field.iter().rposition(|f| f == n) {
                    field.remove(i);
                }
            }
            Item::Para(p) => {
                if p.style.as_deref() == Some("__continued") && p.runs.is_empty() {
                    continue;
                }
                lines.push(line_of(p, &styles, field.last().cloned()))
            }
            Item::Table(rows, grid) => {
                let cells: Vec<Vec<Vec<Line>>> = rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|c| c.iter().map(|p| line_of(p, &styles, None)).collect())
                            .collect()
                    })
                    .collect();
                let data = cells
                    .iter()
                    .flatten()
                    .flatten()
                    .any(|l| l.style == "VBTableCell" || l.style == "VBTableHead")
                    || (!cells.iter().flatten().flatten().any(|l| {
                        l.style.starts_with("VB")
                            || l.text.contains("CỘNG HÒA")
                            || l.text.contains("Nơi nhận")
                            || l.text.starts_with("Số:")
                            || l.text.starts_with("Kính gửi")
                    }) && rows.len() >= 2
                        && rows.iter().all(|r| r.len() >= 2));
                if data {
                    let mut l = Line {
                        style: "__table".into(),
                        field: field.last().cloned(),
                        ..Line::default()
                    };
                    l.text = format!("table {}", tables.len());
                    tables.push((lines.len(), cells, grid.clone()));
                    lines.push(l);
                } else {
                    for row in cells {
                        for cell in row {
                            lines.extend(cell);
                        }
                    }
                }
            }
        }
    }
    let vanban = lines.iter().any(|l| l.style.starts_with("VB"));
    let mut d = Draft::default();
    classify(&mut d, &lines, &tables, vanban);
    if let Some(a) = &author {
        // The issuer as typed in running text, split into the header's lines.
        let words: Vec<&str> = a.split_whitespace().collect();
        let counts: Vec<usize> = d
            .name
            .iter()
            .map(|l| l.split_whitespace().count())
            .collect();
        if counts.iter().sum::<usize>() == words.len() && !d.name.is_empty() {
            let mut at = 0;
            let mut out = Vec::new();
            for c in counts {
                out.push(words[at..at + c].join(" "));
                at += c;
            }
            if out
                .iter()
                .map(|l| vietnamese::upper(l))
                .eq(d.name.iter().cloned())
            {
                d.name = out;
            }
        }
    }
    // What the model did not print, from vanban's custom properties.
    let props = pkg.custom.as_deref().map(custom_props).unwrap_or_default();
    let prop = |k: &str| props.get(k).cloned().filter(|v| !v.trim().is_empty());
    if d.place.is_empty() {
        if let Some(v) = prop("vanban.place") {
            d.place = v;
        }
    }
    if d.date.is_empty() {
        // A model without a date line (Biên bản): the date and edition year it was made for.
        if let Some(v) = prop("vanban.date") {
            d.year = v.get(..4).map(str::to_string);
            d.date = if v.len() == 4 { "{{ year }}".into() } else { v };
        }
    }
    if d.signer_name.is_empty() {
        if let Some(v) = prop("vanban.signer.name") {
            d.signer_name = v;
        }
        if let Some(v) = prop("vanban.signer.title") {
            d.signer_title = v;
        }
        if let Some(v) = prop("vanban.signer.authority") {
            d.authority = v.lines().map(str::to_string).collect();
        }
    }
    let layout = d.doc_type.and_then(|t| layouts.for_type(t.key)).cloned();
    let text = write_plan(&d, layout.as_deref());
    let mut s = Summary {
        vanban_styles: vanban,
        unplaced: d.unplaced.len(),
        ..Summary::default()
    };
    s.found.push(format!(
        "type {}",
        d.doc_type.map(|t| t.key).unwrap_or("(not found)")
    ));
    s.found.push(format!("issuer {}", d.name.join(" ")));
    if !d.number.is_empty() || !d.symbol.is_empty() {
        s.found.push(format!("Số {}/{}", d.number, d.symbol));
    }
    s.found.push(format!("date {}", d.date));
    if !d.title.is_empty() {
        s.found.push("title".into());
    }
    if !d.basis.is_empty() || !d.basis_list.is_empty() {
        s.found.push(format!(
            "basis ({} lines)",
            d.basis.len() + d.basis_list.len()
        ));
    }
    if !d.sections.is_empty() {
        s.found.push(format!("{} sections", d.sections.len()));
    }
    if !d.appendices.is_empty() {
        s.found.push(format!("{} appendices", d.appendices.len()));
    }
    if !d.fields.is_empty() || !d.body_fields.is_empty() || !d.articles.is_empty() {
        let mut keys: Vec<&String> = d
            .fields
            .keys()
            .chain(d.body_fields.keys())
            .chain(d.articles.keys())
            .collect();
        keys.sort();
        keys.dedup();
        s.found.push(format!(
            "fields {}",
            keys.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.found.push(format!("signer {}", d.signer_name));
    s.found.push(format!("{} recipients", d.to.len()));
    Ok((text, s))
}

fn custom_props(xml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut r = quick_xml::Reader::from_str(xml);
    let mut name: Option<String> = None;
    let mut val = String::new();
    loop {
        match r.read_event() {
            Err(_) | Ok(Event::Eof) => break,
            Ok(Event::Start(e)) if local(e.name().as_ref()) == b"property" => {
                name = attr(&e, b"name");
                val.clear();
            }
            Ok(Event::Text(t)) if name.is_some() => {
                if let Ok(x) = t.decode() {
                    val.push_str(&x);
                }
            }
            Ok(Event::GeneralRef(g)) if name.is_some() => {
                let n: &[u8] = &g;
                val.push_str(match n {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    _ => "'",
                });
            }
            Ok(Event::End(e)) if local(e.name().as_ref()) == b"property" => {
                if let Some(n) = name.take() {
                    out.insert(n, vietnamese::nfc(&val));
                }
            }
            _ => {}
        }
    }
    out
}

fn core_creator(xml: &str) -> Option<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    let mut out = String::new();
    loop {
        match r.read_event().ok()? {
            Event::Eof => break,
            Event::Start(e) if local(e.name().as_ref()) == b"creator" => inside = true,
            Event::End(e) if local(e.name().as_ref()) == b"creator" => break,
            Event::Text(t) if inside => out.push_str(&t.decode().ok()?),
            Event::GeneralRef(g) if inside => {
                let name: &[u8] = &g;
                out.push_str(match name {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    _ => "'",
                })
            }
            _ => {}
        }
    }
    let out = vietnamese::nfc(out.trim());
    (!out.is_empty()).then_some(out)
}

/// A pipe table of cells' lines.
fn pipe_table(cells: &[Vec<Vec<Line>>], grid: &[u32]) -> Vec<String> {
    let cell = |c: &Vec<Line>| -> String {
        c.iter()
            .filter(|l| !l.full.is_empty())
            .map(|l| {
                let m = l.markup.replace('|', "\\|");
                if l.label.as_deref() == Some("-") || l.style == "VBDash" {
                    format!("- {m}")
                } else {
                    m
                }
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let mut out = Vec::new();
    let cols = cells.iter().map(|r| r.len()).max().unwrap_or(0);
    for (i, row) in cells.iter().enumerate() {
        let mut cs: Vec<String> = row.iter().map(cell).collect();
        cs.resize(cols, String::new());
        out.push(format!("| {} |", cs.join(" | ")));
        if i == 0 {
            let total: u32 = grid.iter().sum::<u32>().max(1);
            let seps: Vec<String> = (0..cols)
                .map(|k| {
                    let n = grid
                        .get(k)
                        .map(|w| ((*w as f64) * 60.0 / total as f64).round().max(3.0) as usize)
                        .unwrap_or(3);
                    let jc = cells
                        .get(1)
                        .and_then(|r| r.get(k))
                        .and_then(|c| c.first())
                        .and_then(|l| l.jc.clone());
                    match jc.as_deref() {
                        Some("center") => format!(":{}:", "-".repeat(n.saturating_sub(2).max(1))),
                        Some("right" | "end") => {
                            format!("{}:", "-".repeat(n.saturating_sub(1).max(1)))
                        }
                        _ => "-".repeat(n),
                    }
                })
                .collect();
            out.push(format!("|{}|", seps.join("|")));
        }
    }
    out
}

const DOC_PLACES: &[&str] = &["ngày", "tháng", "năm"];

fn parse_date_line(s: &str) -> Option<(String, Option<String>, Option<String>, Option<String>)> {
    let (place, rest) = s.split_once(", ngày")?;
    let rest = rest.trim();
    let (day, rest) = rest.split_once("tháng")?;
    let (month, year) = rest.split_once("năm")?;
    let clean = |x: &str| {
        let t = x
            .trim()
            .trim_matches(|c: char| c == '.' || c == '…' || c == '_')
            .trim();
        (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit())).then(|| t.to_string())
    };
    let _ = DOC_PLACES;
    Some((
        place.trim().to_string(),
        clean(day),
        clean(month),
        clean(year),
    ))
}

type Table = (Vec<Vec<Vec<Line>>>, Vec<u32>);

fn classify(
    d: &mut Draft,
    lines: &[Line],
    tables: &[(usize, Vec<Vec<Vec<Line>>>, Vec<u32>)],
    vanban: bool,
) {
    #[derive(PartialEq, Clone, Copy)]
    enum At {
        Header,
        Title,
        Body,
        Recipients,
        Signer,
        Appendix,
    }
    let mut at = At::Header;
    let mut seen_qh = false;
    let mut body_target: Vec<String> = Vec::new();
    // Where body lines go: "basis", "section", "closing", "appendix", a field bookmark.
    let owned: Vec<(usize, Table)> = tables
        .iter()
        .map(|(k, c, g)| (*k, (c.clone(), g.clone())))
        .collect();
    let table_at = |i: usize| owned.iter().find(|(k, _)| *k == i).map(|(_, t)| t);
    let mut pending_title: Vec<String> = Vec::new();
    let mut current_article: Option<String> = None;
    let mut current_fsection: Option<String> = None;
    let mut heading_depth = 1usize;
    for (i, l) in lines.iter().enumerate() {
        let st = l.style.as_str();
        let text = l.text.as_str();
        if l.full.is_empty() && st != "__table" {
            continue;
        }
        // Layout fields in content controls, wherever they are.
        for (k, v) in &l.tags {
            let v = v.trim().to_string();
            d.fields.entry(k.clone()).or_default().push(v);
        }
        if vanban {
            match st {
                // The header of an attached document repeats the issuer: page 1's counts.
                "VBIssuerParent" if at == At::Header => d.parent.push(text.to_string()),
                "VBIssuer" if at == At::Header => d.name.push(text.to_string()),
                "VBIssuerParent" | "VBIssuer" => {}
                "VBQuocHieu" | "VBTieuNgu" | "VBRule" | "VBPageNumber" | "VBKemTheo"
                | "VBSignerHead" | "VBFormula" | "VBLeadIn" | "VBConfirm" | "VBSectionBreak" => {}
                "VBSo" => parse_so(d, &l.full),
                "VBDate" => parse_date(d, &l.full),
                "VBMark" => d.circulation = Some(text.to_string()),
                "VBMarkRed" => mark(d, text),
                "VBContact" => d.contact = Some(l.full.clone()),
                "VBType" => {
                    if l.tags.is_empty() {
                        d.doc_type = doctype_by_name(text);
                        at = At::Title;
                    }
                }
                "VBTrichYeu" => {
                    if l.tags.is_empty() && d.title.is_empty() {
                        d.title = text.to_string();
                    }
                }
                "VBVv" => {
                    d.title = text.to_string();
                    if d.doc_type.is_none() {
                        d.doc_type = crate::doctype::lookup("cong-van");
                    }
                }
                "VBAddressee" | "VBCableAddressee" => d
                    .addressees
                    .push(text.trim_end_matches([';', '.']).trim().to_string()),
                "VBKinhGui" => {}
                "VBBasis" => {
                    if !text.is_empty() && l.tags.is_empty() {
                        d.basis_list
                            .push(text.trim_end_matches([';', '.']).trim().to_string());
                    }
                }
                "VBSection" if l.field.is_some() => {
                    let key = bookmark_key(l.field.as_deref().unwrap_or(""));
                    d.field_sections
                        .entry(key.clone())
                        .or_default()
                        .push((text.to_string(), Vec::new()));
                    current_article = None;
                    current_fsection = Some(key);
                    heading_depth = 1;
                }
                "VBSection" => {
                    d.sections.push((text.to_string(), Vec::new()));
                    d.levels_seen(0, l.label.as_deref());
                    body_target = vec!["section".into()];
                    heading_depth = 1;
                }
                "VBAuthorityLine" | "VBField" | "VBSender" => {}
                "VBNoiNhanHead" => at = At::Recipients,
                "VBNoiNhan" => {
                    if !text.is_empty() {
                        d.to.push(text.to_string());
                    } else if let Some(k) = l
                        .full
                        .trim_start_matches('-')
                        .trim()
                        .strip_prefix("Như Điều ")
                        .map(|k| k.trim_end_matches(';').trim().to_string())
                    {
                        // The article that names who carries the decision out.
                        d.fields.insert("executor_article".into(), vec![k]);
                    }
                }
                "VBLuu" => d.archive = text.to_string(),
                "VBAuthority" => d.authority.push(text.to_string()),
                "VBSignerTitle" => d.signer_title = text.to_string(),
                "VBSigner" => {
                    if l.tags.is_empty() {
                        d.signer_name = text.to_string();
                    }
                }
                "VBPhuLuc" => {
                    d.appendices.push((String::new(), Vec::new()));
                    at = At::Appendix;
                    body_target = vec!["appendix".into()];
                }
                "VBPhuLucTitle" => {
                    if let Some(a) = d.appendices.last_mut() {
                        a.0 = text.to_string();
                    }
                }
                "VBArticle" => {
                    let f = l.field.clone().unwrap_or_else(|| "vb_articles".into());
                    let key = bookmark_key(&f);

                    let arts = d.articles.entry(key.clone()).or_default();
                    // A titled article: its title is the text; an untitled one runs its first
                    // paragraph in after the label.
                    let titled = line_has_article_title(l);
                    if titled {
                        arts.push((Some(text.to_string()), Vec::new()));
                    } else {
                        arts.push((
                            None,
                            if text.is_empty() {
                                vec![]
                            } else {
                                vec![l.markup.clone()]
                            },
                        ));
                    }
                    current_article = Some(key);
                }
                _ => {
                    // Body blocks.
                    let block = body_line(l, &mut heading_depth, &mut d.levels, table_at(i));
                    let Some(block) = block else { continue };
                    if let Some(f) = &l.field {
                        let key = bookmark_key(f);
                        if let Some(k) = current_fsection.as_ref().filter(|k| **k == key) {
                            if let Some(sec) =
                                d.field_sections.get_mut(k).and_then(|v| v.last_mut())
                            {
                                sec.1.push(block);
                                continue;
                            }
                        }
                        if let Some(k) = current_article.as_ref().filter(|k| **k == key) {
                            if let Some(a) = d.articles.get_mut(k).and_then(|v| v.last_mut()) {
                                a.1.push(article_item(l, &block));
                                continue;
                            }
                        }
                        match key.as_str() {
                            "basis" => d.basis.push(block),
                            "closing" => d.closing.push(block),
                            _ => d.body_fields.entry(key).or_default().push(block),
                        }
                    } else if at == At::Appendix {
                        if let Some(a) = d.appendices.last_mut() {
                            a.1.push(block);
                        }
                    } else if let Some(s) = d.sections.last_mut() {
                        s.1.push(block);
                    } else {
                        d.unplaced.push(block);
                    }
                }
            }
            continue;
        }
        // ---------------------------------------------------------------- heuristics
        let full = l.full.as_str();
        let _ = &body_target;
        match at {
            At::Header => {
                if full.contains("CỘNG HÒA XÃ HỘI") || full.contains("CỘNG HOÀ XÃ HỘI")
                {
                    seen_qh = true;
                    continue;
                }
                if full.starts_with("Độc lập") {
                    continue;
                }
                if full.starts_with("Số:") || full.starts_with("Số ") {
                    parse_so(d, full);
                    continue;
                }
                if full.contains(", ngày") && full.contains("tháng") {
                    parse_date(d, full);
                    continue;
                }
                if let Some(t) = doctype_by_name(full) {
                    d.doc_type = Some(t);
                    at = At::Title;
                    continue;
                }
                if let Some(v) = full.strip_prefix("V/v ") {
                    d.title = v.trim().to_string();
                    d.doc_type = crate::doctype::lookup("cong-van");
                    at = At::Body;
                    continue;
                }
                if (!seen_qh || d.number.is_empty() && d.symbol.is_empty()) && is_upperish(full) {
                    if l.bold {
                        d.name.push(full.to_string());
                    } else {
                        d.parent.push(full.to_string());
                    }
                    continue;
                }
                d.unplaced.push(full.to_string());
            }
            At::Title => {
                if full.starts_with("Căn cứ")
                    || full.starts_with("Kính gửi")
                    || typed_label(full).is_some()
                    || l.label.is_some()
                {
                    d.title = pending_title.join(" ");
                    pending_title.clear();
                    at = At::Body;
                } else if l.bold || pending_title.is_empty() {
                    pending_title.push(full.to_string());
                    continue;
                } else {
                    d.title = pending_title.join(" ");
                    pending_title.clear();
                    at = At::Body;
                }
                if heuristic_body(d, l, full, &mut heading_depth, table_at(i)) {
                    at = At::Recipients;
                }
            }
            At::Body => {
                if heuristic_body(d, l, full, &mut heading_depth, table_at(i)) {
                    at = At::Recipients;
                }
            }
            At::Recipients => {
                let t = full.trim_start_matches(['-', '–', '•']).trim();
                if let Some(a) = t.strip_prefix("Lưu") {
                    d.archive = format!("Lưu{a}");
                    at = At::Signer;
                } else if full.starts_with(['-', '–', '•']) || l.label.as_deref() == Some("-") {
                    d.to.push(t.to_string());
                } else {
                    at = At::Signer;
                    signer_line(d, full);
                }
            }
            At::Signer => {
                if PL_RE(full) {
                    d.appendices.push((String::new(), Vec::new()));
                    at = At::Appendix;
                    continue;
                }
                signer_line(d, full);
            }
            At::Appendix => {
                if let Some(a) = d.appendices.last_mut() {
                    if a.0.is_empty() && is_upperish(full) {
                        a.0 = full.to_string();
                    } else if full.starts_with("(Kèm theo") {
                    } else if let Some(b) =
                        body_line(l, &mut heading_depth, &mut d.levels, table_at(i))
                    {
                        a.1.push(b);
                    }
                }
            }
        }
    }
    if !pending_title.is_empty() && d.title.is_empty() {
        d.title = pending_title.join(" ");
    }
    // The last plain paragraph of the last section ending "./." is the closing.
    if !vanban && d.closing.is_empty() {
        if let Some(s) = d.sections.last_mut() {
            let n = s.1.len();
            if n > 1 {
                let last = &s.1[n - 1];
                if last.trim_end().ends_with("./.") && !last.starts_with(['#', '+', '-', '|']) {
                    let c = s.1.pop().unwrap_or_default();
                    d.closing.push(c);
                }
            }
        }
    }
}

#[allow(non_snake_case)]
fn PL_RE(s: &str) -> bool {
    let t = s.trim();
    t == "Phụ lục"
        || t.strip_prefix("Phụ lục ")
            .is_some_and(|r| r.chars().all(|c| "IVXLC0123456789".contains(c)))
}

fn line_has_article_title(l: &Line) -> bool {
    // Exported: the title is a VBArticleTitle run; typed: "Điều 1. Title" all bold.
    l.style == "VBArticle" && l.bold && !l.text.is_empty()
}

fn article_item(l: &Line, block: &str) -> String {
    // In articles, `1.` items are khoản (`+ `) and `a)` items điểm (`  + `).
    let letter = l.label.as_deref().and_then(label_style) == Some(crate::markup::Style::Letter);
    if l.style == "VBKhoan" {
        format!("{}+ {}", if letter { "  " } else { "" }, l.markup)
    } else {
        block.to_string()
    }
}

fn signer_line(d: &mut Draft, s: &str) {
    let t = s.trim();
    if t.is_empty() {
        return;
    }
    if ["KT.", "TM.", "TL.", "TUQ.", "Q."]
        .iter()
        .any(|p| t.starts_with(p))
    {
        d.authority.push(t.to_string());
    } else if d.signer_title.is_empty() && is_upperish(t) {
        d.signer_title = t.to_string();
    } else {
        d.signer_name = t.to_string();
    }
}

fn is_upperish(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    !letters.is_empty() && letters.iter().all(|c| !c.is_lowercase())
}

fn heuristic_body(
    d: &mut Draft,
    l: &Line,
    full: &str,
    depth: &mut usize,
    table: Option<&Table>,
) -> bool {
    if full.starts_with("Nơi nhận") {
        return true;
    }
    if let Some(rest) = full.strip_prefix("Kính gửi:") {
        let r = rest
            .trim()
            .trim_start_matches('-')
            .trim()
            .trim_end_matches([';', '.']);
        if !r.is_empty() {
            d.addressees.push(r.to_string());
        }
        return false;
    }
    if d.sections.is_empty()
        && (full.starts_with("- ")
            && !d.addressees.is_empty()
            && d.basis.is_empty()
            && d.basis_list.is_empty())
    {
        d.addressees
            .push(full[2..].trim().trim_end_matches([';', '.']).to_string());
        return false;
    }
    // A section: `I. TITLE` typed or automatic.
    let (label, rest) = match (&l.label, typed_label(full)) {
        (Some(lb), _) if lb != "-" => (Some(lb.clone()), l.markup.clone()),
        (_, Some((lb, rest))) => (Some(lb), strip_label_markup(&l.markup, &rest)),
        _ => (None, l.markup.clone()),
    };
    let style = label.as_deref().and_then(label_style);
    if style == Some(crate::markup::Style::Roman) && d.sections.iter().all(|_| true) {
        d.levels_seen(0, label.as_deref());
        d.sections.push((rest.replace("**", ""), Vec::new()));
        *depth = 1;
        return false;
    }
    if d.sections.is_empty() && full.starts_with("Căn cứ") {
        if l.italic && full.trim_end().ends_with([';', '.']) && !full.trim_end().ends_with(':') {
            d.basis_list
                .push(full.trim_end_matches([';', '.']).trim().to_string());
        } else {
            d.basis.push(l.markup.clone());
        }
        return false;
    }
    if let Some(b) = body_line(l, depth, &mut d.levels, table) {
        match d.sections.last_mut() {
            Some(s) => s.1.push(b),
            None => {
                if d.basis.is_empty() && d.basis_list.is_empty() {
                    d.unplaced.push(b)
                } else {
                    d.basis.push(b)
                }
            }
        }
    }
    false
}

fn strip_label_markup(markup: &str, rest: &str) -> String {
    // The markup of a line whose label was typed: drop the label (and its emphasis marks).
    let m = markup.trim_start_matches('*');
    match m.split_once(char::is_whitespace) {
        Some((_, r)) => {
            let r = r.trim();
            if markup.starts_with("**") && r.ends_with("**") && !r[..r.len() - 2].contains("**") {
                r[..r.len() - 2].trim().to_string()
            } else {
                r.to_string()
            }
        }
        None => rest.to_string(),
    }
}

/// One body paragraph as a line of markup: `## `, `+ `, `- `, a pipe table or plain text.
fn body_line(
    l: &Line,
    depth: &mut usize,
    levels: &mut Vec<Option<crate::markup::Style>>,
    table: Option<&Table>,
) -> Option<String> {
    if l.style == "__table" {
        return table.map(|t| pipe_table(&t.0, &t.1).join("\n"));
    }
    if l.full.is_empty() {
        return None;
    }
    let st = l.style.as_str();
    let heading_level = st
        .strip_prefix("VBHeading")
        .and_then(|n| n.parse::<usize>().ok());
    match (st, heading_level) {
        (_, Some(n)) => {
            levels_seen(levels, n - 1, l.label.as_deref());
            *depth = n;
            return Some(format!("{} {}", "#".repeat(n), l.text.replace('*', "\\*")));
        }
        ("VBKhoan", _) => {
            levels_seen(levels, *depth, l.label.as_deref());
            return Some(format!("+ {}", l.markup));
        }
        ("VBDash", _) => return Some(format!("- {}", l.markup)),
        ("VBPara", _) => return Some(l.markup.clone()),
        _ => {}
    }
    // A document not made by vanban: typed or automatic labels.
    let full = l.full.as_str();
    if l.label.as_deref() == Some("-") {
        return Some(format!("- {}", l.markup));
    }
    if let Some(r) = full.strip_prefix(['-', '–', '•']) {
        if r.starts_with(' ') {
            let m = l.markup.trim_start_matches(['-', '–', '•']).trim();
            return Some(format!("- {m}"));
        }
    }
    let (label, rest) = match (&l.label, typed_label(full)) {
        (Some(lb), _) => (Some(lb.clone()), l.markup.clone()),
        (_, Some((lb, rest))) => (Some(lb), strip_label_markup(&l.markup, &rest)),
        _ => (None, l.markup.clone()),
    };
    let Some(label) = label else {
        return Some(l.markup.clone());
    };
    let Some(style) = label_style(&label) else {
        return Some(l.markup.clone());
    };
    // The depth of this label style: where it first appeared under the sections.
    let n = match levels.iter().position(|s| *s == Some(style)) {
        Some(k) => k + 1,
        None => {
            levels.push(Some(style));
            levels.len()
        }
    };
    let plain = rest.replace("**", "").replace('*', "");
    // A bold numbered line is a heading of its depth; a plain one right under the heading
    // above is a `+ ` item; any other is a (regular) heading of its depth.
    if l.bold || n != *depth + 1 {
        *depth = n;
        Some(format!("{} {}", "#".repeat(n), plain.trim()))
    } else {
        Some(format!("+ {}", rest.trim()))
    }
}

fn levels_seen(levels: &mut Vec<Option<crate::markup::Style>>, k: usize, label: Option<&str>) {
    let st = label.and_then(label_style);
    if levels.len() <= k {
        levels.resize(k + 1, None);
    }
    if levels[k].is_none() {
        levels[k] = st;
    }
}

impl Draft {
    fn levels_seen(&mut self, k: usize, label: Option<&str>) {
        levels_seen(&mut self.levels, k, label);
    }
}

/// The field path of a layout field's bookmark `vbf<n>_<path>` (`.` written `__`).
fn field_bookmark(name: &str) -> Option<String> {
    let rest = name.strip_prefix("vbf")?;
    let (n, path) = rest.split_once('_')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || path.is_empty() {
        return None;
    }
    Some(path.replace("__", "."))
}

fn bookmark_key(name: &str) -> String {
    name.strip_prefix("vb_").unwrap_or(name).replace("__", ".")
}

fn mark(d: &mut Draft, text: &str) {
    let key = match text.trim() {
        "KHẨN" => ("u", "khan"),
        "THƯỢNG KHẨN" => ("u", "thuong-khan"),
        "HỎA TỐC" | "HOẢ TỐC" => ("u", "hoa-toc"),
        "MẬT" => ("s", "mat"),
        "TỐI MẬT" => ("s", "toi-mat"),
        "TUYỆT MẬT" => ("s", "tuyet-mat"),
        _ => return,
    };
    if key.0 == "u" {
        d.urgency = Some(key.1.into());
    } else {
        d.secrecy = Some(key.1.into());
    }
}

fn doctype_by_name(s: &str) -> Option<&'static crate::doctype::DocType> {
    let t = vietnamese::upper(s.trim());
    crate::doctype::TYPES
        .iter()
        .find(|d| vietnamese::nfc(d.name) == t)
}

fn parse_so(d: &mut Draft, s: &str) {
    let rest = s
        .trim()
        .trim_start_matches("Số")
        .trim_start_matches(':')
        .trim();
    let (num, sym) = rest.split_once('/').unwrap_or(("", rest));
    let num = num
        .trim()
        .trim_matches(|c: char| c == '.' || c == '…' || c == '_');
    if num.chars().all(|c| c.is_ascii_digit()) {
        d.number = num.to_string();
    }
    d.symbol = sym.trim().to_string();
}

fn parse_date(d: &mut Draft, s: &str) {
    if let Some((place, day, month, year)) = parse_date_line(s.trim()) {
        d.place = place;
        d.year = year.clone();
        d.date = match (day, month, year) {
            (Some(dd), Some(mm), Some(y)) => format!("{y}-{:0>2}-{:0>2}", mm, dd),
            (_, _, Some(_)) => "{{ year }}".to_string(),
            _ => String::new(),
        };
    }
}

// ---------------------------------------------------------------------------------------
// Writing the plan.

/// A TOML string: basic, or multi-line basic for text with line breaks.
fn q(s: &str) -> String {
    if s.contains('\n') {
        let mut out = String::from("\"\"\"\n");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push('\n'),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push_str("\n\"\"\"");
        out
    } else {
        toml::Value::String(s.to_string()).to_string()
    }
}

fn qa(v: &[String]) -> String {
    if v.len() <= 1 {
        return format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        );
    }
    let mut s = String::from("[\n");
    for x in v {
        s.push_str("    ");
        s.push_str(&q(x));
        s.push_str(",\n");
    }
    s.push(']');
    s
}

struct Yr<'a>(Option<&'a str>);

impl Yr<'_> {
    /// Plan text: template code escaped, the edition year as `{{ year }}`.
    fn t(&self, s: &str) -> String {
        let s = vietnamese::nfc(s);
        let s = s
            .replace("{{", "\u{E001}")
            .replace("{%", "\u{E002}")
            .replace("{#", "\u{E003}");
        let s = s
            .replace('\u{E001}', "{{ '{{' }}")
            .replace('\u{E002}', "{{ '{%' }}")
            .replace('\u{E003}', "{{ '{#' }}");
        let Some(y) = self.0.filter(|y| y.len() == 4) else {
            return s;
        };
        let mut out = String::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < s.len() {
            if s[i..].starts_with(y)
                && (i == 0 || !b[i - 1].is_ascii_digit())
                && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
            {
                out.push_str("{{ year }}");
                i += 4;
            } else {
                let c = s[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }
}

fn write_plan(d: &Draft, layout: Option<&crate::layout::Layout>) -> String {
    use std::fmt::Write as _;
    let y = Yr(d.year.as_deref());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Imported from a Word document by `vanban import`: check every «điền: …» marker and"
    );
    let _ = writeln!(s, "# every comment, then run `vanban check` on this file.");
    let key = d.doc_type.map(|t| t.key).unwrap_or("ke-hoach");
    if d.doc_type.is_none() {
        let _ = writeln!(
            s,
            "# The type name line was not found: «điền: type» (ke-hoach assumed)."
        );
    }
    let _ = writeln!(s, "type = {}", q(key));
    let _ = writeln!(s, "number = {}", q(&d.number));
    let date = if d.date.is_empty() || d.date.starts_with("{{") {
        "{{ year }}".to_string()
    } else {
        y.t(&d.date)
    };
    let _ = writeln!(s, "date = {}", q(&date));
    // The symbol: written only when it is not what the type and the issuer make.
    let (abbrev, symbol, unit) = split_symbol(d, key);
    if !d.title.is_empty() {
        let _ = writeln!(s, "title = {}", q(&y.t(&d.title)));
    }
    if let Some(sym) = &symbol {
        let _ = writeln!(s, "symbol = {}", q(sym));
    }
    if let Some(u) = &unit {
        let _ = writeln!(s, "unit = {}", q(u));
    }
    if let Some(u) = &d.urgency {
        let _ = writeln!(s, "urgency = {}", q(u));
    }
    if let Some(u) = &d.secrecy {
        let _ = writeln!(s, "secrecy = {}", q(u));
    }
    if let Some(u) = &d.circulation {
        let _ = writeln!(s, "circulation = {}", q(&y.t(u)));
    }
    if let Some(c) = &d.contact {
        let _ = writeln!(s, "contact = {}", q(&y.t(c)));
    }
    let lv = levels_key(&d.levels);
    if let Some(l) = &lv {
        let _ = writeln!(s, "levels = {l}");
    }
    if !d.addressees.is_empty() {
        let v: Vec<String> = d.addressees.iter().map(|a| y.t(a)).collect();
        let _ = writeln!(s, "addressees = {}", qa(&v));
    }
    if !d.basis_list.is_empty() {
        let v: Vec<String> = d.basis_list.iter().map(|a| y.t(a)).collect();
        let _ = writeln!(s, "basis = {}", qa(&v));
    } else if !d.basis.is_empty() {
        let _ = writeln!(
            s,
            "basis = {}",
            q(&format!("{}\n", y.t(&d.basis.join("\n"))))
        );
    }
    if !d.closing.is_empty() {
        let _ = writeln!(
            s,
            "closing = {}",
            q(&format!("{}\n", y.t(&d.closing.join("\n"))))
        );
    }
    // Layout fields.
    let specs = layout.map(|l| l.spec.fields.clone()).unwrap_or_default();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut top: Vec<String> = Vec::new();
    let mut fields = d.fields.clone();
    // The attached document's type from its printed name (`KẾ HOẠCH` → ke-hoach).
    if let Some(n) = fields
        .get("attachment.name")
        .and_then(|v| v.first())
        .cloned()
    {
        if let Some(t) = doctype_by_name(&n) {
            fields.insert("attachment.type".into(), vec![t.key.to_string()]);
            fields.remove("attachment.name");
        }
    }
    // A Biên bản with a trích yếu prints it instead of the meeting's name, which the plan
    // still needs.
    if key == "bien-ban" && !fields.contains_key("meeting.name") && !d.title.is_empty() {
        fields.insert("meeting.name".into(), vec![d.title.clone()]);
    }
    for (path, vals) in fields.iter() {
        let (table, name) = match path.split_once('.') {
            Some((t, n)) => (Some(t.to_string()), n.to_string()),
            None => (None, path.clone()),
        };
        let spec = match &table {
            Some(t) => specs.get(t).and_then(|s| s.fields.get(&name)),
            None => specs.get(&name),
        };
        let Some(spec) = spec else {
            continue;
        };
        let line = match spec.kind {
            Kind::Lines => {
                let v: Vec<String> = vals.iter().map(|a| y.t(a)).collect();
                format!("{name} = {}", qa(&v))
            }
            Kind::Date => format!(
                "{name} = {}",
                q(&y.t(&iso(vals.first().map(String::as_str).unwrap_or(""))))
            ),
            Kind::Bool => format!("{name} = true"),
            Kind::Int => format!(
                "{name} = {}",
                vals.first()
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
            ),
            _ => format!(
                "{name} = {}",
                q(&y.t(vals.first().map(String::as_str).unwrap_or("")))
            ),
        };
        match table {
            Some(t) => tables.entry(t).or_default().push(line),
            None => top.push(line),
        }
    }
    for (path, blocks) in &d.body_fields {
        let (table, name) = match path.split_once('.') {
            Some((t, n)) => (Some(t.to_string()), n.to_string()),
            None => (None, path.clone()),
        };
        let known = match &table {
            Some(t) => specs.get(t).is_some_and(|s| s.fields.contains_key(&name)),
            None => specs.contains_key(&name),
        };
        let line = format!("{name} = {}", q(&format!("{}\n", y.t(&blocks.join("\n")))));
        if !known {
            let _ = writeln!(s, "# «điền: a text the model has no place for ({path})»:");
            for l in line.lines() {
                let _ = writeln!(s, "# {l}");
            }
            continue;
        }
        match table {
            Some(t) => tables.entry(t).or_default().push(line),
            None => top.push(line),
        }
    }
    for l in &top {
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(s);
    if let Some(yr) = &d.year {
        let _ = writeln!(s, "[vars]\nyear = {yr}\n");
    }
    let _ = writeln!(s, "[issuer]");
    if !d.parent.is_empty() {
        let v: Vec<String> = d.parent.iter().map(|a| y.t(a)).collect();
        let _ = writeln!(s, "parent = {}", qa(&v));
    }
    let name: Vec<String> = if d.name.is_empty() {
        vec!["«điền: cơ quan ban hành»".into()]
    } else {
        d.name.iter().map(|a| y.t(a)).collect()
    };
    let _ = writeln!(s, "name = {}", qa(&name));
    let _ = writeln!(s, "abbrev = {}", q(&abbrev));
    let place = if d.place.is_empty() {
        "«điền: địa danh»".to_string()
    } else {
        d.place.clone()
    };
    let _ = writeln!(s, "place = {}\n", q(&place));
    for (t, ls) in &tables {
        let _ = writeln!(s, "[{t}]");
        for l in ls {
            let _ = writeln!(s, "{l}");
        }
        let _ = writeln!(s);
    }
    // Articles.
    for (key, arts) in &d.articles {
        let head = key.clone();
        for (title, body) in arts {
            let _ = writeln!(s, "[[{head}]]");
            if let Some(t) = title {
                let _ = writeln!(s, "title = {}", q(&y.t(t)));
            }
            let text = articles_text(body);
            let _ = writeln!(s, "text = {}\n", q(&format!("{}\n", y.t(&text))));
        }
    }
    // Every titled body ([[sections]], [[appendices]], a layout's own section lists) is
    // written the same way.
    let mut entries = |key: &str, list: &[(String, Vec<String>)]| {
        for (title, blocks) in list {
            let _ = writeln!(s, "[[{key}]]");
            let _ = writeln!(s, "title = {}", q(&y.t(title)));
            let _ = writeln!(
                s,
                "text = {}\n",
                q(&format!("{}\n", y.t(&blocks.join("\n"))))
            );
        }
    };
    for (key, secs) in &d.field_sections {
        entries(key, secs);
    }
    entries("sections", &d.sections);
    entries("appendices", &d.appendices);
    let no_signer = d.signer_title.is_empty() && d.signer_name.is_empty() && d.authority.is_empty();
    if no_signer && key == "bien-ban" {
        let _ = writeln!(
            s,
            "# No [signer]: the Biên bản is signed by the secretary and the chair ([signers]).\n"
        );
    } else {
        write_signer(&mut s, d);
    }
    let _ = writeln!(s, "[recipients]");
    let to: Vec<String> = d.to.iter().map(|a| y.t(a)).collect();
    let _ = writeln!(s, "to = {}", qa(&to));
    let (archive, drafter, copies) = split_archive(&d.archive);
    let _ = writeln!(s, "archive = {}", qa(&archive));
    if let Some(dr) = drafter {
        let _ = writeln!(s, "drafter = {}", q(&dr));
    }
    if let Some(c) = copies {
        let _ = writeln!(s, "copies = {c}");
    }
    if !d.unplaced.is_empty() {
        let _ = writeln!(
            s,
            "\n# «điền: text found outside any part of the model, kept here so nothing is lost»:"
        );
        for u in &d.unplaced {
            for l in u.lines() {
                let _ = writeln!(s, "# {l}");
            }
        }
    }
    s
}

fn write_signer(s: &mut String, d: &Draft) {
    use std::fmt::Write as _;
    let _ = writeln!(s, "[signer]");
    if !d.authority.is_empty() {
        let _ = writeln!(s, "authority = {}", qa(&d.authority));
    }
    let title = if d.signer_title.is_empty() {
        "«điền: chức vụ người ký»"
    } else {
        &d.signer_title
    };
    let _ = writeln!(s, "title = {}", q(title));
    let nm = if d.signer_name.is_empty() {
        "«điền: họ tên người ký»"
    } else {
        &d.signer_name
    };
    let _ = writeln!(s, "name = {}\n", q(nm));
}

/// The body of an article as markup: khoản `+ `, điểm `  + `.
fn articles_text(body: &[String]) -> String {
    body.join("\n")
}

fn levels_key(levels: &[Option<crate::markup::Style>]) -> Option<String> {
    use crate::markup::Style;
    let seen: Vec<Style> = levels.iter().flatten().copied().collect();
    if seen.is_empty() {
        return None;
    }
    let default = [Style::Roman, Style::Arabic, Style::Compound, Style::Letter];
    if seen.iter().zip(default.iter()).all(|(a, b)| a == b) {
        return None;
    }
    Some(format!(
        "[{}]",
        seen.iter()
            .map(|s| q(s.name()))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn iso(s: &str) -> String {
    let parts: Vec<&str> = s.trim().split('/').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        format!("{}-{:0>2}-{:0>2}", parts[2], parts[1], parts[0])
    } else {
        s.trim().to_string()
    }
}

/// The issuer's abbreviation, the symbol when the type and issuer do not make it, and a
/// Công văn's unit.
fn split_symbol(d: &Draft, key: &str) -> (String, Option<String>, Option<String>) {
    let sym = d.symbol.trim();
    let t = crate::doctype::lookup(key);
    let tabbr = t.map(|t| t.abbrev).unwrap_or("");
    if sym.is_empty() {
        return ("«điền: viết tắt»".into(), None, None);
    }
    if key == "cong-van" {
        return match sym.split_once('-') {
            Some((a, u)) => (a.to_string(), None, Some(u.to_string())),
            None => (sym.to_string(), None, None),
        };
    }
    match sym.split_once('-') {
        Some((ty, a)) if ty == tabbr => {
            let made = t.map(|t| t.symbol(a)).unwrap_or_default();
            if made == sym {
                (a.to_string(), None, None)
            } else {
                (a.to_string(), Some(sym.to_string()), None)
            }
        }
        Some((_, a)) => (a.to_string(), Some(sym.to_string()), None),
        None => (sym.to_string(), Some(sym.to_string()), None),
    }
}

/// "Lưu: VT, KHTC (Hưng-5b)." → (["VT", "KHTC"], Some("Hưng"), Some(5)).
fn split_archive(s: &str) -> (Vec<String>, Option<String>, Option<u64>) {
    let t = s.trim().trim_start_matches('-').trim();
    let t = t
        .strip_prefix("Lưu")
        .unwrap_or(t)
        .trim_start_matches(':')
        .trim();
    let t = t.trim_end_matches('.').trim();
    let (units, extra) = match t.rfind('(') {
        Some(i) if t.ends_with(')') => (&t[..i], Some(&t[i + 1..t.len() - 1])),
        _ => (t, None),
    };
    let list: Vec<String> = units
        .split(',')
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    let (mut drafter, mut copies) = (None, None);
    if let Some(e) = extra {
        let e = e.trim();
        let (a, b) = match e.rsplit_once('-') {
            Some((a, b)) => (Some(a), b),
            None => (None, e),
        };
        if let Some(n) = b
            .strip_suffix('b')
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            copies = Some(n);
            drafter = a.map(|x| x.trim().to_string());
        } else {
            drafter = Some(e.to_string());
        }
    }
    let list = if list.is_empty() {
        vec!["VT".to_string()]
    } else {
        list
    };
    (list, drafter, copies)
}

/// Imports `input` into `out` (never over an existing file unless `force`): the plan draft
/// and its summary. Nothing is written when the document cannot be read.
pub fn import_file(
    input: &Path,
    out: &Path,
    force: bool,
    layouts: &Layouts,
) -> Result<Summary, Diagnostic> {
    let meta = std::fs::metadata(input).map_err(|e| {
        Diagnostic::error(
            "io",
            format!("cannot read {}: {e}", crate::diag::display_path(input)),
        )
    })?;
    if !meta.is_file() {
        return Err(Diagnostic::error(
            "io",
            format!("{} is not a file", crate::diag::display_path(input)),
        ));
    }
    if meta.len() > MAX_FILE {
        return Err(bad(
            "",
            format!(
                "the file is {:.1} MB; at most {} MB are read",
                meta.len() as f64 / 1_048_576.0,
                MAX_FILE / 1_048_576
            ),
        )
        .in_file(input));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(input)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            Diagnostic::error(
                "io",
                format!("cannot read {}: {e}", crate::diag::display_path(input)),
            )
        })?;
    if out.exists() && !force {
        return Err(
            Diagnostic::error("io", format!("{} exists", crate::diag::display_path(out)))
                .hint("pass --force to replace it"),
        );
    }
    let (text, summary) = import(&bytes, layouts).map_err(|d| d.in_file(input))?;
    crate::export::write_atomic(out, text.as_bytes())?;
    Ok(summary)
}

#[allow(dead_code)]
fn _spec_used(_: &FieldSpec) {}
