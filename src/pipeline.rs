//! One document from plan to bytes: validate → render texts → generate Typst → typeset →
//! export. Split in steps so a batch can prepare documents in parallel and so `check` can
//! stop before typesetting.

use std::path::{Path, PathBuf};

use typst_layout::PagedDocument;

use crate::diag::Diagnostic;
use crate::export::{self, Format};
use crate::layout::Layouts;
use crate::plan::Plan;
use crate::render::{self, Document};
use crate::typeset::{self, Engine};
use crate::vietnamese::Date;

/// Settings that apply to every document of a run.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Everything a plan refers to must lie inside this folder.
    pub root: PathBuf,
    /// Project templates overriding or adding to the built-in ones.
    pub templates: Option<PathBuf>,
    /// `--set NAME=VALUE`, applied over every plan's `[vars]`.
    pub sets: Vec<(String, toml::Value)>,
    /// `--issue N --on DATE`: number and date of an issued paper copy.
    pub issue: Option<(u64, Date)>,
    /// `--pdf-a`: PDF/A-2b.
    pub pdf_a: bool,
    /// `--manifest`: write NAME.zones.json beside each PDF.
    pub manifest: bool,
    /// `--signature-fields`: empty signature fields at the zones (incremental update).
    pub signature_fields: bool,
    /// `--tone old|new`: rewrite every oa/oe/uy syllable to one tone-mark placement.
    pub tone: Option<crate::tone::Style>,
    /// The layouts of the run, read once from the built-ins and the templates folder.
    layouts: std::sync::OnceLock<Result<std::sync::Arc<Layouts>, Diagnostic>>,
    /// The template environments of the run: each document template is compiled once (and a
    /// project's file read once), not once per document.
    envs: std::sync::OnceLock<(Env, Env)>,
}

type Env = minijinja::Environment<'static>;

impl Settings {
    /// The built-in layouts with the project's layout folders applied.
    pub fn layouts(&self) -> Result<std::sync::Arc<Layouts>, Vec<Diagnostic>> {
        self.layouts
            .get_or_init(|| {
                Layouts::with_project(self.templates.as_deref()).map(std::sync::Arc::new)
            })
            .clone()
            .map_err(|d| vec![d])
    }

    /// (plan-text environment, document-template environment).
    fn envs(&self) -> &(Env, Env) {
        self.envs
            .get_or_init(|| (render::text_env(), render::doc_env(self.templates.clone())))
    }

    pub fn new(root: impl Into<PathBuf>) -> Settings {
        let root = root.into();
        let templates = root.join("templates");
        Settings {
            templates: templates.is_dir().then_some(templates),
            root,
            ..Settings::default()
        }
    }
}

/// A document ready to typeset.
#[derive(Debug)]
pub struct Prepared {
    pub doc: Document,
    pub source: String,
    pub spans: Vec<minijinja::OutputSpan>,
    /// The long value literals in `source`, in order: Typst reads them from files of their
    /// own, so that a literal the last document also had is neither parsed nor evaluated
    /// again (see `typeset::compile`).
    pub literals: Vec<String>,
    pub layout: String,
    /// The layout folder's Typst files (`lib.typ` …), served as `/layout/<file>`.
    pub files: Vec<(String, String)>,
    pub template: String,
    /// The layout folder (`ke-hoach`), whose `docx.xml` a Word export renders.
    pub layout_name: String,
    /// Stable identifier for the PDF (the plan's file name and batch row).
    pub ident: String,
}

/// Parses the value of `--set NAME=VALUE`: a TOML value if it parses as one, else a string.
pub fn parse_set(s: &str) -> Result<(String, toml::Value), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`--set {s}`: expected NAME=VALUE, e.g. --set year=2025"))?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "`--set {s}`: `{name}` is not a variable name (letters, digits, _)"
        ));
    }
    let value = value.trim();
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    Ok((name.to_string(), parsed))
}

/// Applies run settings to a validated plan.
pub fn apply_settings(plan: &mut Plan, settings: &Settings) {
    for (k, v) in &settings.sets {
        plan.vars.insert(k.clone(), v.clone());
    }
    if let Some(style) = settings.tone {
        plan.extras
            .rewrite_strings(&|s| crate::tone::rewrite(s, style));
        for t in plan.texts_mut() {
            let rewritten = crate::tone::rewrite(&t.value, style);
            if rewritten != t.value {
                t.value = rewritten;
                // Offsets no longer match the file (hòa → hoà moves the mark).
                t.exact = false;
            }
        }
    }
    if let Some((n, d)) = &settings.issue {
        plan.number = crate::plan::Number::Issued(*n);
        plan.date = crate::plan::Text {
            value: format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            exact: false,
            ..plan.date.clone()
        };
    }
}

/// Renders a plan to Typst source.
pub fn prepare(plan: &Plan, settings: &Settings, ident: &str) -> Result<Prepared, Vec<Diagnostic>> {
    let (text_env, env) = settings.envs();
    let doc = render::document(plan, text_env)?;
    let (source, spans, literals) =
        render::typst_source_and_literals(env, &plan.template, &doc, settings.templates.as_deref())
            .map_err(|d| {
                if d.code == "template-not-found" {
                    vec![d.at_opt(plan.template_loc.clone())]
                } else {
                    vec![d]
                }
            })?;
    let layout = layout_library(settings).map_err(|d| vec![d])?;
    let files = plan.layout.typst_files().map_err(|d| vec![d])?;
    Ok(Prepared {
        doc,
        source,
        spans,
        literals,
        layout,
        files,
        template: plan.template.clone(),
        layout_name: plan.layout.name.clone(),
        ident: ident.to_string(),
    })
}

/// The project's layout library as last read, by its path, size and modification time: a
/// batch builds every document with it, and reading it (size limit, UTF-8, NFC) cost more
/// than the lint of a derived document.
fn read_library(p: &Path) -> Result<String, Diagnostic> {
    type Read = (PathBuf, u64, std::time::SystemTime, String);
    static LAST: std::sync::Mutex<Option<Read>> = std::sync::Mutex::new(None);
    let stamp = std::fs::metadata(p)
        .ok()
        .and_then(|m| Some((m.len(), m.modified().ok()?)));
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let (Some((len, time)), Some((path, l, t, text))) = (stamp, last.as_ref()) {
        if path == p && *l == len && *t == time {
            return Ok(text.clone());
        }
    }
    let text = crate::plan::read_limited(p)?;
    *last = stamp.map(|(len, time)| (p.to_path_buf(), len, time, text.clone()));
    Ok(text)
}

/// The Typst layout library: the project's `templates/nd30.typ` if it has one, else built in.
pub fn layout_library(settings: &Settings) -> Result<String, Diagnostic> {
    if let Some(dir) = &settings.templates {
        let p = dir.join("nd30.typ");
        if p.is_file() && crate::plan::inside_root(&p, dir) {
            return read_library(&p);
        }
    }
    Ok(render::builtin("nd30.typ").unwrap_or_default().to_string())
}

/// Every character of the plan's texts the embedded fonts cannot draw: Typst would print an
/// empty box without a word, so this is an error naming the character and the field.
pub fn coverage(engine: &Engine, plan: &Plan) -> Vec<Diagnostic> {
    coverage_except(engine, plan, &|_| false)
}

fn coverage_except(engine: &Engine, plan: &Plan, known: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (field, t) in crate::lint::texts(plan) {
        if known(&t.value) {
            continue;
        }
        let mut seen = Vec::new();
        for (i, c) in t.value.char_indices() {
            if c.is_whitespace()
                || c.is_control()
                || crate::lint::is_invisible(c)
                || seen.contains(&c)
                || engine.fonts.covers(c)
            {
                continue;
            }
            seen.push(c);
            out.push(
                Diagnostic::error(
                    "glyph",
                    format!(
                        "`{field}`: the embedded fonts have no glyph for '{c}' (U+{:04X})",
                        c as u32
                    ),
                )
                .at_opt(t.loc_at(i))
                .hint("replace the character (e.g. ✓ → x, ☐ → [ ]) or remove it"),
            );
        }
    }
    out
}

/// Typesets a prepared document.
pub fn typeset(engine: &Engine, p: &Prepared) -> Result<PagedDocument, Vec<Diagnostic>> {
    if !engine.fonts.has_family(typeset::FAMILY) {
        return Err(vec![Diagnostic::error(
            "font",
            "the embedded font Liberation Serif is missing",
        )]);
    }
    let today = typeset::datetime(p.doc.edition_date());
    let mut doc = typeset::compile(engine, &p.source, &p.literals, &p.layout, &p.files, today)
        .map_err(|errors| typeset::to_diagnostics(&errors, &p.spans, &p.template, &p.source))?;
    describe(&mut doc, &p.doc.meta);
    // Text outside the page is text lost without a word: refuse the document instead.
    let lost = crate::inspect::Layout::off_page(&doc);
    if let Some((page, text)) = lost.first() {
        let chars: usize = lost.iter().map(|(_, t)| t.chars().count()).sum();
        let snippet: String = text.chars().take(60).collect();
        return Err(vec![Diagnostic::error(
            "off-page",
            format!(
                "{chars} characters would be printed outside page {page}, starting with “{snippet}”"
            ),
        )
        .note(format!("text: {}", text.trim()))
        .hint("a part that never splits (the signer block with Nơi nhận, a table row, a heading) is taller than a page: shorten that part")]);
    }
    Ok(doc)
}

/// Title, author and subject of the PDF, where the template did not set them. They are set
/// here rather than by `set document` in Typst: a per-document value in the styles would make
/// every paragraph's layout unique to its document, so a batch could reuse none of it.
fn describe(doc: &mut PagedDocument, meta: &render::Meta) {
    let info = doc.info_mut();
    if info.title.is_none() {
        info.title = Some(meta.title.as_str().into());
    }
    if info.author.is_empty() {
        info.author = vec![meta.author.as_str().into()];
    }
    if info.description.is_none() {
        info.description = Some(meta.subject.as_str().into());
    }
}

/// The longest run of text without a space a document accepts: the PDF writer cannot shape
/// a "word" of tens of kilobytes, and no real word comes near this.
pub const MAX_WORD_CHARS: usize = 2000;

/// Every text with a word longer than [`MAX_WORD_CHARS`], refused before typesetting.
pub fn long_words(plan: &Plan) -> Vec<Diagnostic> {
    long_words_except(plan, &|_| false)
}

fn long_words_except(plan: &Plan, known: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (field, t) in crate::lint::texts(plan) {
        if known(&t.value) {
            continue;
        }
        let mut start = None;
        let mut len = 0usize;
        for (i, c) in t
            .value
            .char_indices()
            .chain(std::iter::once((t.value.len(), ' ')))
        {
            if c.is_whitespace() {
                if len > MAX_WORD_CHARS {
                    let at = start.unwrap_or(0);
                    out.push(
                        Diagnostic::error(
                            "too-long",
                            format!("`{field}` has a word of {len} characters without a space; at most {MAX_WORD_CHARS} fit a line"),
                        )
                        .at_opt(t.loc_at(at))
                        .hint("put spaces into it, or remove it"),
                    );
                    break;
                }
                start = None;
                len = 0;
            } else {
                start.get_or_insert(i);
                len += 1;
            }
        }
    }
    out
}

/// What one document produced: the output bytes and, when asked for, the signing manifest.
#[derive(Debug)]
pub struct Built {
    pub bytes: Vec<u8>,
    pub manifest: Option<crate::sign::Manifest>,
}

/// The creation date written into a PDF/A: `SOURCE_DATE_EPOCH` when set (reproducible-builds
/// convention), else the issue date, else 1 January of the plan's year.
pub fn archival_date(doc: &Document) -> Option<typst::foundations::Datetime> {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        return typst::foundations::Datetime::from_ymd_hms(
            y,
            m as u8,
            d as u8,
            (rem / 3600) as u8,
            (rem % 3600 / 60) as u8,
            (rem % 60) as u8,
        );
    }
    let date = doc.edition_date().unwrap_or(Date {
        year: 2000,
        month: 1,
        day: 1,
    });
    typst::foundations::Datetime::from_ymd(date.year, date.month as u8, date.day as u8)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Bytes of the requested format, with the signing extras the settings ask for.
pub fn output(
    engine: &Engine,
    p: &Prepared,
    format: Format,
    settings: &Settings,
    file_name: &str,
) -> Result<Built, Vec<Diagnostic>> {
    if format == Format::Typ {
        return Ok(Built {
            bytes: p.source.clone().into_bytes(),
            manifest: None,
        });
    }
    if format == Format::Docx {
        let bytes = crate::docx::export::docx(&p.doc, &p.layout_name, settings.templates.clone())
            .map_err(|d| vec![d])?;
        return Ok(Built {
            bytes,
            manifest: None,
        });
    }
    let doc = typeset(engine, p)?;
    match format {
        Format::Pdf => {
            let archival = match (settings.pdf_a, archival_date(&p.doc)) {
                (false, _) => None,
                (true, Some(date)) => Some(date),
                (true, None) => {
                    return Err(vec![Diagnostic::error("pdf-a", "PDF/A needs a creation date and none could be formed")
                        .hint("set SOURCE_DATE_EPOCH to seconds since 1970 (years 1–9999), or give the plan a date")])
                }
            };
            let mut bytes = export::pdf(&doc, &p.ident, archival).map_err(|d| vec![d])?;
            let manifest = crate::sign::manifest(&doc, file_name);
            if settings.signature_fields {
                bytes = crate::sign::add_signature_fields(&bytes, &manifest.zones)
                    .map_err(|d| vec![d])?;
            }
            Ok(Built {
                bytes,
                manifest: settings.manifest.then_some(manifest),
            })
        }
        Format::Png => Ok(Built {
            bytes: export::png(&doc).map_err(|d| vec![d])?,
            manifest: None,
        }),
        Format::Typ | Format::Docx => unreachable!("handled above"),
    }
}

/// Everything between a loaded plan and its bytes: the lint errors and missing glyphs that
/// stop a build, templating, typesetting, export. Batches and the library entry point share it.
pub fn build_plan(
    engine: &Engine,
    plan: &Plan,
    settings: &Settings,
    format: Format,
    ident: &str,
    file_name: &str,
) -> Result<Built, Vec<Diagnostic>> {
    let errors = preflight(engine, plan);
    if !errors.is_empty() {
        return Err(errors);
    }
    let prepared = prepare(plan, settings, ident)?;
    output(engine, &prepared, format, settings, file_name)
        .map_err(|ds| ds.into_iter().map(|d| name_lost_field(plan, d)).collect())
}

/// Texts that passed every check [`preflight`] makes, remembered for the rest of the run: the
/// documents of a batch share most of their text (the province's plan), and each check looks
/// at one text alone, so a text found clean once is clean in every document.
struct CleanTexts {
    texts: std::collections::HashSet<String>,
    bytes: usize,
}

/// How much text [`CleanTexts`] holds before it starts over.
const CLEAN_TEXT_BYTES: usize = 32 << 20;

static CLEAN_TEXTS: std::sync::LazyLock<std::sync::Mutex<CleanTexts>> =
    std::sync::LazyLock::new(|| {
        std::sync::Mutex::new(CleanTexts {
            texts: Default::default(),
            bytes: 0,
        })
    });

/// The checks that stop a build before typesetting: lint errors, glyphs the fonts lack, words
/// too long for a line.
fn preflight(engine: &Engine, plan: &Plan) -> Vec<Diagnostic> {
    // The texts not yet found clean, looked up once (one lock, not one per text and check).
    let fresh: std::collections::HashSet<String> = {
        let clean = CLEAN_TEXTS.lock().ok();
        crate::lint::texts(plan)
            .into_iter()
            .map(|(_, t)| t.value.clone())
            .filter(|v| !clean.as_ref().is_some_and(|c| c.texts.contains(v)))
            .collect()
    };
    let known = |v: &str| !fresh.contains(v);
    let mut errors = crate::lint::errors_except(plan, &known);
    errors.extend(coverage_except(engine, plan, &known));
    errors.extend(long_words_except(plan, &known));
    if errors.is_empty() {
        if let Ok(mut clean) = CLEAN_TEXTS.lock() {
            for v in fresh {
                if clean.bytes + v.len() > CLEAN_TEXT_BYTES {
                    clean.texts.clear();
                    clean.bytes = 0;
                }
                let n = v.len();
                if clean.texts.insert(v) {
                    clean.bytes += n;
                }
            }
        }
    }
    errors
}

/// Points an `off-page` error at the plan field whose text was pushed off the page.
fn name_lost_field(plan: &Plan, mut d: Diagnostic) -> Diagnostic {
    if d.code != "off-page" || d.loc.is_some() {
        return d;
    }
    let Some(text) = d.notes.first().and_then(|n| n.strip_prefix("text: ")) else {
        return d;
    };
    let probe: String = text
        .trim_start_matches("- ")
        .trim_end_matches([';', '.', ','])
        .chars()
        .take(30)
        .collect();
    if probe.trim().is_empty() {
        return d;
    }
    if let Some((field, t)) = crate::lint::texts(plan)
        .into_iter()
        .find(|(_, t)| t.value.contains(probe.trim()))
    {
        d.message = format!("`{field}`: {}", d.message);
        d.hint = Some(format!(
            "`{field}` does not fit on one page with what must stay beside it (the signer block with Nơi nhận never splits): shorten it"
        ));
        d.loc = t.loc.clone();
    }
    d
}

/// Loads one plan file and renders it to bytes: the library's one-call entry point.
pub fn build_file(
    engine: &Engine,
    path: &Path,
    settings: &Settings,
    format: Format,
) -> crate::diag::Result<Vec<u8>> {
    let mut plan = crate::plan::load_with(path, &settings.root, &*settings.layouts()?)?;
    apply_settings(&mut plan, settings);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(build_plan(engine, &plan, settings, format, &name, &name)?.bytes)
}
