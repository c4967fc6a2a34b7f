//! Typesetting: our own Typst `World` with two virtual files (the generated document and the
//! layout library) and the embedded fonts. Nothing is read from disk and no package is
//! fetched, so a plan can never make Typst read a file outside the project.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use typst::diag::{FileError, FileResult, Severity as TSeverity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

use crate::diag::Diagnostic;

/// Liberation Serif 2.1.5: Times New Roman metrics, full Vietnamese coverage, SIL OFL 1.1
/// (fonts/LICENSE-OFL.txt). Embedded so a fresh machine needs nothing installed.
static FONT_DATA: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
    include_bytes!("../fonts/LiberationSerif-Italic.ttf"),
    include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf"),
];

/// The family every document is set in; checked before compiling because Typst only warns
/// about a missing family and silently falls back.
pub const FAMILY: &str = "liberation serif";

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("static virtual paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

static MAIN_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/main.typ"));
static LAYOUT_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/nd30.typ"));

/// Fonts: the book is built from the font tables' metadata; the faces themselves are parsed
/// lazily, on first use, and then shared by every document of the process.
pub struct Fonts {
    book: LazyHash<FontBook>,
    slots: Vec<FontSlot>,
    /// The regular face's coverage of the Basic Multilingual Plane as a bitset: the glyph
    /// check asks for every character of every text.
    bmp: OnceLock<Vec<u64>>,
}

/// One face: its file's bytes, its index in the file, and the parsed font once needed.
type FontSlot = (&'static [u8], u32, OnceLock<Option<Font>>);

impl Fonts {
    pub fn embedded() -> Fonts {
        let mut book = FontBook::new();
        let mut slots = Vec::new();
        for data in FONT_DATA {
            for (i, info) in FontInfo::iter(data).enumerate() {
                book.push(info);
                slots.push((data, i as u32, OnceLock::new()));
            }
        }
        Fonts {
            book: LazyHash::new(book),
            slots,
            bmp: OnceLock::new(),
        }
    }

    pub fn has_family(&self, family: &str) -> bool {
        self.book.contains_family(family)
    }

    fn font(&self, index: usize) -> Option<Font> {
        let (data, i, slot) = self.slots.get(index)?;
        slot.get_or_init(|| Font::new(Bytes::new(*data), *i))
            .clone()
    }

    /// Whether the embedded fonts can draw `c` (checked on the regular face).
    pub fn covers(&self, c: char) -> bool {
        let Some(font) = self.font(0) else {
            return false;
        };
        let c = c as u32;
        if c > 0xFFFF {
            return font.info().coverage.contains(c);
        }
        let bmp = self.bmp.get_or_init(|| {
            let mut bits = vec![0u64; 0x10000 / 64];
            for cp in font.info().coverage.iter().filter(|cp| *cp <= 0xFFFF) {
                bits[cp as usize / 64] |= 1 << (cp % 64);
            }
            bits
        });
        bmp[c as usize / 64] & (1 << (c % 64)) != 0
    }
}

/// What stays the same across documents: library, fonts. Shared by all threads of a batch
/// (and cheap to clone: a typesetting that runs past its time limit keeps its own handle).
#[derive(Clone)]
pub struct Engine {
    library: std::sync::Arc<LazyHash<Library>>,
    pub fonts: std::sync::Arc<Fonts>,
    /// The layout library's sources, parsed once per run: every document of a batch imports
    /// the same `nd30.typ` and `lib.typ`, and an equal `Source` lets Typst reuse their
    /// evaluation.
    sources: std::sync::Arc<std::sync::Mutex<Vec<Source>>>,
}

/// How many parsed files an engine keeps: two or three layout files per layout, and the
/// long literals of the last documents (about ten each).
const SOURCE_CACHE: usize = 128;

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine {
            library: std::sync::Arc::new(LazyHash::new(Library::builder().build())),
            fonts: std::sync::Arc::new(Fonts::embedded()),
            sources: Default::default(),
        }
    }

    /// The parsed source of a layout file, shared with earlier documents of the run.
    fn source(&self, id: FileId, text: &str) -> Source {
        let Ok(mut cache) = self.sources.lock() else {
            return Source::new(id, text.to_string());
        };
        if let Some(s) = cache.iter().find(|s| s.id() == id && s.text() == text) {
            return s.clone();
        }
        let source = Source::new(id, text.to_string());
        if cache.len() >= SOURCE_CACHE {
            cache.remove(0);
        }
        cache.push(source.clone());
        source
    }
}

struct DocWorld<'a> {
    engine: &'a Engine,
    main: Source,
    layout: Source,
    /// The layout folder's Typst files, served as `/layout/<file>`.
    files: Vec<Source>,
    today: Option<Datetime>,
}

impl TypstError {
    /// An error of the run around Typst (no position in any source).
    fn plain(message: impl Into<String>) -> TypstError {
        TypstError {
            message: message.into(),
            hints: Vec::new(),
            pos: None,
            trace: Vec::new(),
            warning: false,
        }
    }
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.engine.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.engine.fonts.book
    }

    fn main(&self) -> FileId {
        *MAIN_ID
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN_ID {
            Ok(self.main.clone())
        } else if id == *LAYOUT_ID {
            Ok(self.layout.clone())
        } else if let Some(f) = self.files.iter().find(|f| f.id() == id) {
            Ok(f.clone())
        } else {
            Err(FileError::NotFound(std::path::PathBuf::from(
                id.vpath().get_with_slash(),
            )))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        // Only the sources exist; images, data files and packages are not served.
        Err(FileError::NotFound(std::path::PathBuf::from(
            id.vpath().get_with_slash(),
        )))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.engine.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// Where a Typst error sits: file (`/main.typ` or `/nd30.typ`), 1-based line and column,
/// and the byte range in that file.
#[derive(Debug, Clone)]
pub struct TypstPos {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub range: Range<usize>,
}

/// A Typst diagnostic with its position resolved (the generated source is gone afterwards).
#[derive(Debug, Clone)]
pub struct TypstError {
    pub message: String,
    pub hints: Vec<String>,
    pub pos: Option<TypstPos>,
    /// Where the failing code was called from (innermost first).
    pub trace: Vec<TypstPos>,
    pub warning: bool,
}

fn position(
    world: &DocWorld,
    span: impl Into<typst::syntax::DiagSpan> + Copy,
    id: Option<FileId>,
) -> Option<TypstPos> {
    let id = id?;
    let src = world.source(id).ok()?;
    let range = world.range(span)?;
    let (line, col) = src.lines().byte_to_line_column(range.start)?;
    Some(TypstPos {
        file: id.vpath().get_with_slash().to_string(),
        line: line + 1,
        col: col + 1,
        range,
    })
}

fn resolve(world: &DocWorld, d: &SourceDiagnostic) -> TypstError {
    TypstError {
        message: d.message.to_string(),
        hints: d.hints.iter().map(|h| h.v.to_string()).collect(),
        pos: position(world, d.span, d.span.id()),
        trace: d
            .trace
            .iter()
            .filter_map(|t| position(world, t.span, t.span.id()))
            .collect(),
        warning: d.severity == TSeverity::Warning,
    }
}

/// How long one document may typeset before it is given up (a project template with an
/// endless loop); `VANBAN_TYPESET_SECONDS` changes it.
pub const TYPESET_SECONDS: u64 = 60;

fn time_limit() -> std::time::Duration {
    let secs = std::env::var("VANBAN_TYPESET_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(TYPESET_SECONDS);
    std::time::Duration::from_secs(secs)
}

/// [`compile_split`] on a thread of its own, given up after the time limit: Typst has no fuel,
/// and a loop in a project's template must fail one document, not hang the run. (The thread
/// of a document given up runs on until the process ends.)
pub fn compile(
    engine: &Engine,
    source: &str,
    literals: &[String],
    layout: &str,
    files: &[(String, String)],
    today: Option<Datetime>,
) -> Result<PagedDocument, Vec<TypstError>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (engine, source, literals, layout, files) = (
        engine.clone(),
        source.to_string(),
        literals.to_vec(),
        layout.to_string(),
        files.to_vec(),
    );
    let spawned = std::thread::Builder::new()
        .name("typeset".into())
        .stack_size(32 << 20)
        .spawn(move || {
            let _ = tx.send(compile_split(
                &engine, &source, &literals, &layout, &files, today,
            ));
        });
    if spawned.is_err() {
        return Err(vec![TypstError::plain("cannot start a typesetting thread")]);
    }
    let limit = time_limit();
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(vec![TypstError::plain(
            "typst stopped with an internal error (a bug: please report it)",
        )]),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(vec![TypstError::plain(format!(
            "typesetting took longer than {} s and was stopped (a loop in a template?)",
            limit.as_secs()
        ))]),
    }
}

/// Where the long literals of a document's source are served from: `/vanban-data/<hash>.typ`.
const DATA_DIR: &str = "/vanban-data/";

/// Compiles a document's source with the given layout library, its long value literals (a
/// section's blocks, the whole document) read from files of their own:
/// `{import "/vanban-data/<hash>.typ": v; v}` in place of each. Typst parses and evaluates a
/// file once per run while it stays the same, so the next document of a batch re-reads only
/// the literals that changed, where the source as one file is parsed and evaluated whole.
/// The values are the same, and so is the PDF (the tests hold the bytes). A literal that does
/// not stand where a value can (checked on the parsed source), or any error, falls back to
/// the source as written, so that errors point into it.
fn compile_split(
    engine: &Engine,
    source: &str,
    literals: &[String],
    layout: &str,
    files: &[(String, String)],
    today: Option<Datetime>,
) -> Result<PagedDocument, Vec<TypstError>> {
    if let Some((main, data)) = split_literals(source, literals) {
        let main = Source::new(*MAIN_ID, main);
        if imports_all(&main, data.len()) {
            if let Ok(doc) = compile_world(engine, main, &data, layout, files, today) {
                return Ok(doc);
            }
        }
    }
    let main = Source::new(*MAIN_ID, source.to_string());
    compile_world(engine, main, &[], layout, files, today)
}

/// The source with each long literal replaced by an import of its file, and the files; None
/// when nothing was replaced.
fn split_literals(source: &str, literals: &[String]) -> Option<(String, Vec<(String, String)>)> {
    let mut main = String::with_capacity(source.len() / 4);
    let mut data = Vec::new();
    let mut pos = 0;
    for lit in literals {
        let Some(at) = find_long(&source[pos..], lit).map(|i| pos + i) else {
            continue;
        };
        let path = format!("{DATA_DIR}{:032x}.typ", typst::utils::hash128(lit));
        main.push_str(&source[pos..at]);
        let _ = write!(main, "{{import \"{path}\": v; v}}");
        data.push((path, format!("#let v = {lit}\n")));
        pos = at + lit.len();
    }
    if data.is_empty() {
        return None;
    }
    main.push_str(&source[pos..]);
    Some((main, data))
}

/// Where `needle` first occurs in `hay`, as `str::find` says. A needle of kilobytes is looked
/// for by its first bytes and then compared whole: the searcher `find` builds is worth it
/// for short needles only (for a document's literals it cost more than the search).
fn find_long(hay: &str, needle: &str) -> Option<usize> {
    let head = &needle[..needle.floor_char_boundary(32)];
    let mut from = 0;
    while let Some(i) = hay[from..].find(head) {
        let at = from + i;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Whether every data import of `main` was parsed as an import, inside code: a literal that
/// stood in markup, a string or a comment would have become text there instead.
fn imports_all(main: &Source, n: usize) -> bool {
    fn count(node: &typst::syntax::SyntaxNode) -> usize {
        if node.kind() == typst::syntax::SyntaxKind::ModuleImport {
            let to_data = node.children().any(|c| {
                c.kind() == typst::syntax::SyntaxKind::Str && c.leaf_text().contains(DATA_DIR)
            });
            return usize::from(to_data);
        }
        node.children().map(count).sum()
    }
    !main.root().diagnosis().errors && count(main.root()) == n
}

/// Compiles a parsed main source, with data files served beside it (root paths). Warnings
/// are errors: the usual one is a missing font or glyph, which would silently change the
/// document.
fn compile_world(
    engine: &Engine,
    main: Source,
    data: &[(String, String)],
    layout: &str,
    files: &[(String, String)],
    today: Option<Datetime>,
) -> Result<PagedDocument, Vec<TypstError>> {
    let at = |path: String| {
        let vpath = VirtualPath::new(path).ok()?;
        Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
    };
    let world = DocWorld {
        engine,
        main,
        layout: engine.source(*LAYOUT_ID, layout),
        files: files
            .iter()
            .filter_map(|(name, text)| Some(engine.source(at(format!("/layout/{name}"))?, text)))
            .chain(
                data.iter()
                    .filter_map(|(path, text)| Some(engine.source(at(path.clone())?, text))),
            )
            .collect(),
        today,
    };
    let warned = typst::compile::<PagedDocument>(&world);
    let mut problems: Vec<TypstError> =
        warned.warnings.iter().map(|w| resolve(&world, w)).collect();
    match warned.output {
        Ok(doc) if problems.is_empty() => Ok(doc),
        Ok(_) => Err(problems),
        Err(errors) => {
            let mut all: Vec<TypstError> = errors.iter().map(|e| resolve(&world, e)).collect();
            all.append(&mut problems);
            Err(all)
        }
    }
}

/// Turns Typst errors into diagnostics, naming the template line that wrote the failing code
/// (directly, or through the trace when the error is inside the layout library).
pub fn to_diagnostics(
    errors: &[TypstError],
    spans: &[minijinja::OutputSpan],
    template: &str,
    source: &str,
) -> Vec<Diagnostic> {
    let written_by = |p: &TypstPos| -> String {
        match spans
            .iter()
            .find(|s| s.output_range().contains(&p.range.start))
        {
            Some(s) => {
                // Raw text spans lines: count the newlines before the offset inside the span.
                let extra = match s.kind() {
                    minijinja::OutputSpanKind::Raw => source
                        .get(s.output_range().start..p.range.start)
                        .map(|t| t.matches('\n').count())
                        .unwrap_or(0),
                    _ => 0,
                };
                format!(
                    "written by template `{}` line {}",
                    s.name(),
                    s.line() + extra
                )
            }
            None => format!("generated from template `{template}`"),
        }
    };
    errors
        .iter()
        .map(|e| {
            let mut d = Diagnostic::error("typst", format!("typesetting failed: {}", e.message));
            if let Some(p) = &e.pos {
                if p.file == "/main.typ" {
                    d = d.note(format!(
                        "at {}:{}:{}, {}",
                        p.file,
                        p.line,
                        p.col,
                        written_by(p)
                    ));
                } else {
                    d = d.note(format!(
                        "at {}:{}:{} (the layout library)",
                        p.file, p.line, p.col
                    ));
                }
            }
            if let Some(call) = e.trace.iter().find(|t| t.file == "/main.typ") {
                d = d.note(format!(
                    "called at {}:{}:{}, {}",
                    call.file,
                    call.line,
                    call.col,
                    written_by(call)
                ));
            }
            for h in &e.hints {
                d = d.note(format!("typst hint: {h}"));
            }
            d.hint(
                "the template or layout library has a bug, or the plan holds a value it cannot use",
            )
        })
        .collect()
}

pub fn datetime(date: Option<crate::vietnamese::Date>) -> Option<Datetime> {
    date.and_then(|d| Datetime::from_ymd(d.year, d.month as u8, d.day as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(source: &str, literals: &[&str]) -> Option<bool> {
        let literals: Vec<String> = literals.iter().map(|s| s.to_string()).collect();
        let (main, data) = split_literals(source, &literals)?;
        Some(imports_all(&Source::detached(main), data.len()))
    }

    /// A literal standing as a value (an argument) is read from its file; one that stands in
    /// markup, in a string or in a comment is not, and the source is compiled as written.
    #[test]
    fn only_literals_in_code_are_read_from_files() {
        let lit = r#"(("kind": "para", "text": "a"), )"#;
        assert_eq!(
            split(&format!("#body({lit}, keep-last: false)\n"), &[lit]),
            Some(true)
        );
        assert_eq!(
            split(&format!("#let b = {lit}\n#body(b)\n"), &[lit]),
            Some(true)
        );
        assert_eq!(
            split(&format!("Text {lit} in markup\n"), &[lit]),
            Some(false)
        );
        assert_eq!(split(&format!("#let s = \"{lit}\"\n"), &[lit]), Some(false));
        assert_eq!(
            split(&format!("// {lit}\n#body(())\n"), &[lit]),
            Some(false)
        );
        assert_eq!(split("#body(())\n", &[lit]), None);
    }

    /// The seed plan's sections reach Typst through files of their own.
    #[test]
    fn the_seed_reads_its_sections_from_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let plan = crate::plan::load(
            &root.join("plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml"),
            root,
        )
        .unwrap();
        let settings = crate::pipeline::Settings::new(root);
        let p = crate::pipeline::prepare(&plan, &settings, "test").unwrap();
        let (main, data) = split_literals(&p.source, &p.literals).unwrap();
        assert!(data.len() >= 6, "{} literals", data.len());
        assert!(
            main.len() * 4 < p.source.len(),
            "{} of {} bytes",
            main.len(),
            p.source.len()
        );
        assert!(imports_all(&Source::detached(main), data.len()));
    }

    /// The literals are found in order, each after the one before.
    #[test]
    fn equal_literals_are_each_replaced() {
        let lit = "(1, 2, 3)";
        let (main, data) = split_literals(
            &format!("#f({lit})\n#g({lit})\n"),
            &[lit.into(), lit.into()],
        )
        .unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(main.matches("vanban-data").count(), 2);
        assert!(!main.contains(lit));
    }

    /// The search by a needle's first bytes finds what `str::find` finds: the first whole
    /// occurrence, past false starts that share only the head, across multi-byte letters.
    #[test]
    fn long_needles_are_found_where_find_finds_them() {
        let head = "(\"kind\": \"para\", \"text\": \"Ủy ban ";
        let needle = format!("{head}nhân dân tỉnh\")");
        let hays = [
            format!("x{needle}y"),
            format!("{head}huyện\") {head}{head}nhân dân tỉnh\") {needle}"),
            format!("đ{head}"),
            format!("ủy {needle}{needle}"),
            String::new(),
        ];
        for hay in &hays {
            assert_eq!(find_long(hay, &needle), hay.find(needle.as_str()), "{hay}");
            assert_eq!(find_long(hay, "ủy"), hay.find("ủy"), "{hay}");
            assert_eq!(find_long(hay, ""), Some(0));
        }
    }
}
