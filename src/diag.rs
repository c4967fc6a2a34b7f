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
