//! Diagnostics: every problem carries the file, the byte span and a hint, so one reporting
//! place (the CLI) can print `file:line:col` with the offending source line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A text the user wrote (a plan, a batch file, a template), kept so that spans can be turned
/// into line and column and quoted.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let mut offset = offset;
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

/// Paths are shown relative to the working directory when possible: that is what users typed.
pub fn display_path(path: &Path) -> String {
    let path = match path.strip_prefix(".") {
        Ok(p) if !p.as_os_str().is_empty() => p,
        _ => path,
    };
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = path.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Where in a user's file a diagnostic points.
#[derive(Debug, Clone)]
pub struct Loc {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Loc {
    pub fn new(file: &Arc<SourceFile>, span: Range<usize>) -> Loc {
        Loc {
            file: file.clone(),
            span,
        }
    }

    /// `path:line:col`.
    pub fn position(&self) -> String {
        let (l, c) = self.file.line_col(self.span.start);
        format!("{}:{}:{}", self.file.display_path(), l, c)
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable short name for machines and for tests (`unknown-key`, `bad-date`, …).
    pub code: &'static str,
    pub message: String,
    pub loc: Option<Loc>,
    /// A file named without a span (e.g. a file that cannot be read).
    pub path: Option<PathBuf>,
    pub hint: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            loc: None,
            path: None,
            hint: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, loc: Loc) -> Diagnostic {
        self.loc = Some(loc);
        self
    }

    pub fn at_opt(mut self, loc: Option<Loc>) -> Diagnostic {
        if loc.is_some() {
            self.loc = loc;
        }
        self
    }

    pub fn in_file(mut self, path: impl Into<PathBuf>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col` or `path` or nothing.
    pub fn position(&self) -> Option<String> {
        if let Some(loc) = &self.loc {
            Some(loc.position())
        } else {
            self.path.as_deref().map(display_path)
        }
    }
}

impl fmt::Display for Diagnostic {
    /// One-line form, used in batch summaries and logs: `path:line:col: error: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if let Some(pos) = self.position() {
            write!(f, "{pos}: ")?;
        }
        write!(f, "{sev}: {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// The library's error type: the diagnostics of a failed plan or document. A list, because a
/// plan can have many problems at once and users want all of them in one run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", first_message(.0))]
    Diagnostics(Vec<Diagnostic>),
}

fn first_message(d: &[Diagnostic]) -> String {
    d.iter()
        .find(|d| d.is_error())
        .or(d.first())
        .map(|d| d.to_string())
        .unwrap_or_else(|| "unknown error".into())
}

impl Error {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Diagnostics(d) => d,
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Error {
        Error::Diagnostics(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Error {
        Error::Diagnostics(d)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Levenshtein distance, for "did you mean" on unknown keys.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a small distance, if any.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// One diagnostic code: its name, how severe it is, and what it means. The registry below is
/// the single list: the README's table is checked against it and `vanban codes` prints it.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub name: &'static str,
    pub severity: Severity,
    pub doc: &'static str,
}

const fn e(name: &'static str, doc: &'static str) -> Code {
    Code {
        name,
        severity: Severity::Error,
        doc,
    }
}

const fn w(name: &'static str, doc: &'static str) -> Code {
    Code {
        name,
        severity: Severity::Warning,
        doc,
    }
}

/// Every code vanban reports, grouped as a user meets them.
pub static CODES: &[Code] = &[
    // Reading plan files.
    e("io", "a file cannot be read or written (missing, a folder, a pipe or device, no permission, disk full)"),
    e("not-utf8", "the file is not UTF-8 text (TCVN3/VNI files must be converted first)"),
    e("too-large", "a file or a rendered text is over its limit"),
    e("too-long", "a single-line field (title, names, recipients …) is over 1,000 characters"),
    e("toml", "the file is not valid TOML"),
    e("unknown-key", "a key the plan's layout does not have; the hint names the closest, or says to move a top-level key above a [table]"),
    e("wrong-type", "a value of the wrong type (text, number, list, table)"),
    e("missing-key", "a key the document needs is missing"),
    e("empty", "a required text or list is empty"),
    e("bad-value", "a value outside its list (urgency, secrecy, verb …)"),
    e("bad-number", "`number` is neither \"\" nor a positive whole number"),
    e("bad-date", "a date that is not YYYY-MM-DD (or YYYY for a draft), or does not exist"),
    e("seal-size", "`signer.seal_mm` outside 10–60 mm"),
    e("unknown-type", "`type` is not one of the 29 document types"),
    e("type-not-built", "no layout folder lays out this type"),
    e("not-allowed", "a part the type's layout does not have (Kính gửi on a Quyết định, sections in a Giấy mời …)"),
    // Derived plans and batches.
    e("extends", "`extends` is empty or its target cannot be loaded"),
    e("extends-cycle", "`extends` leads back to a plan of the chain"),
    e("extends-depth", "the `extends` chain is deeper than 32 plans"),
    e("outside-root", "a plan, template or output path leaves the project root"),
    e("duplicate-section", "two sections (or articles, appendices) with one id"),
    e("unknown-section", "`remove`, `before` or `after` names an id no entry has"),
    e("section-id", "`remove = true` without the id of what to remove"),
    e("batch-plan", "the batch's base plan cannot be loaded"),
    e("batch-extends", "a batch row has `extends` (rows extend the batch's plan)"),
    e("batch-output", "a batch row's output name cannot be rendered or leaves the out dir"),
    e("empty-batch", "a batch file without rows"),
    e("empty-folder", "a folder with no plan files"),
    e("output", "an output path that exists, clashes or would overwrite an input"),
    e("output-clash", "two documents of one run would write the same file"),
    // Templating and typesetting.
    e("undefined", "a plan text uses a variable that is not defined"),
    e("template-syntax", "a template (plan text or project template) has a syntax error"),
    e("template-include", "a plan text tries to include or import a file"),
    e("template-fuel", "a plan text's or a project template's code runs too long"),
    e("template-limit", "a plan text uses what plan texts may not (`set`, `*`, numbers above 100000)"),
    e("template", "another template error"),
    e("template-not-found", "`template` names no template or layout"),
    e("typst", "typesetting failed (traced to the template line that wrote the code)"),
    e("off-page", "text would be printed outside the page (a part that never splits is taller than a page)"),
    e("font", "the embedded font family is missing"),
    e("glyph", "a character the embedded fonts cannot draw"),
    e("pdf", "PDF export failed"),
    e("pdf-a", "PDF/A export needs a date"),
    e("png", "PNG export failed"),
    e("manifest", "the signing manifest cannot be written"),
    e("signature-fields", "the signature fields cannot be added"),
    e("internal", "a bug in vanban: the document failed alone, please report it"),
    // Lint: errors stop `build`.
    e("mojibake", "TCVN3 (ABC, .VnTime) or VNI text pasted as Unicode; the hint shows the decoded Vietnamese"),
    e("invisible", "zero-width characters, soft hyphens, control characters, bidi controls"),
    e("artefact", "`CỘNG HÕA` / `HÕA`, the PDF-extraction artefact for `CỘNG HÒA`"),
    e("unfilled", "a `«điền: …»` marker left by `vanban new`"),
    // Lint: warnings show in `check` only.
    w("tone-mixed", "old (`hòa`, `Ủy`) and new (`hoà`, `Uỷ`) placement mixed, with counts and places; `--tone old|new` rewrites, only when asked"),
    w("fixed-phrase", "quốc hiệu or tiêu ngữ typed into the plan (the template prints them)"),
    w("nbsp", "no-break spaces"),
    w("double-space", "doubled spaces"),
    w("unbalanced", "unbalanced brackets or quotes"),
    w("authority", "an authority line not `TM.`/`KT.`/`Q.`/`TL.`/`TUQ.`"),
    w("deputy", "a `Phó …` signer without `KT.`"),
    w("recipients", "a `Lưu` line among the recipients"),
    w("closing", "a body not ending `./.`"),
    w("symbol", "a `symbol` not shaped like `KH-UBND`, `QyĐ-UBND`, `UBND-VX`"),
    w("capital", "`nhân dân`, `nhà nước`, `ủy ban nhân dân` not capitalised (Phụ lục II)"),
    w("stale-year", "the edition year written literally instead of `{{ year }}`"),
    w("tab", "a TAB in a text (pasted from Word or Excel): it prints as one space"),
    // Body markup.
    e("table", "a malformed pipe table: rows with different cell counts, no separator row under the header, a bad separator cell"),
    // Word.
    e("docx", "a Word template of a layout is missing or fails, or a .docx cannot be written"),
    e("docx-read", "a .docx to import is not a readable Word document (not a zip, truncated, no word/document.xml, too large, a zip bomb, malformed XML)"),
];

pub fn code(name: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.name == name)
}

/// The registry as the README's Markdown table.
pub fn codes_table() -> String {
    let mut s = String::from("| code | severity | what |\n|---|---|---|\n");
    for c in CODES {
        let sev = match c.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        s.push_str(&format!(
            "| `{}` | {sev} | {} |\n",
            c.name,
            c.doc.replace('|', "\\|")
        ));
    }
    s
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// Every code written in the source is in the registry, with the severity it is used at.
    #[test]
    fn every_code_in_the_source_is_registered() {
        let mut missing = Vec::new();
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    files.push(p);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for (pat, sev) in [
                ("Diagnostic::error(", Some(Severity::Error)),
                ("Diagnostic::warning(", Some(Severity::Warning)),
                ("code = \"", None),
            ] {
                for (i, _) in text.match_indices(pat) {
                    let rest = text[i + pat.len()..].trim_start();
                    let rest = rest.strip_prefix('"').unwrap_or(rest);
                    let Some(end) = rest.find('"') else { continue };
                    let name = &rest[..end];
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    {
                        continue;
                    }
                    match (code(name), sev) {
                        (None, _) => missing.push(format!("{}: {name}", path.display())),
                        (Some(c), Some(s)) if c.severity != s => {
                            missing.push(format!("{}: {name} used as {s:?}", path.display()))
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(missing.is_empty(), "unregistered codes: {missing:#?}");
    }

    #[test]
    fn the_readme_table_is_the_registry() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        assert!(
            readme.contains(&codes_table()),
            "README.md must contain the table `vanban codes` prints:\n{}",
            codes_table()
        );
    }
}
