//! Plans: reading TOML layers with their spans, following `extends`, merging by the contract's
//! rules, and validating the result into a [`Plan`] whose every text knows where it came from.
//!
//! Each layer is parsed on its own (so a wrong key is reported in the file that has it), then
//! layers are folded parent-first into a [`Draft`]: a field set by a child replaces the
//! parent's, tables merge key by key because each field is assigned separately, and sections
//! merge by `id`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{did_you_mean, Diagnostic, Loc, SourceFile};
use crate::doctype::{self, DocType};
use crate::layout::{BasisPolicy, Layout, Layouts, Policy};
use crate::tree::{Node, Val};
use crate::vietnamese::{nfc, Date};

/// Plans larger than this are refused before parsing: a real plan is a few tens of kilobytes,
/// and a runaway file must not take the machine down.
pub const MAX_PLAN_BYTES: usize = 4 << 20;
/// The most sections a plan may have: a real plan has tens; a runaway file must be refused
/// before merging, templating and typesetting spend minutes on it.
pub const MAX_SECTIONS: usize = 20_000;
/// The deepest `extends` chain accepted (province → district → commune → … is 3 or 4).
pub const MAX_EXTENDS_DEPTH: usize = 32;

// ---------------------------------------------------------------------------------------------
// Raw layers, as written in one file.

/// The typed core of one layer. Unknown top-level keys are not refused here: they are the
/// layout's own fields, checked (all at once) by [`crate::schema`] against the layout.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawPlan {
    #[serde(rename = "type")]
    pub doc_type: Option<Spanned<String>>,
    pub extends: Option<Spanned<String>>,
    pub template: Option<Spanned<String>>,
    pub vars: Option<toml::Table>,
    pub issuer: Option<RawIssuer>,
    pub number: Option<Spanned<toml::Value>>,
    pub symbol: Option<Spanned<String>>,
    pub date: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    /// A running paragraph (text) or one line per basis (array); read from the tree.
    #[serde(skip)]
    pub basis: Option<()>,
    pub sections: Option<Vec<RawSection>>,
    pub closing: Option<Spanned<String>>,
    pub signer: Option<RawSigner>,
    pub recipients: Option<RawRecipients>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIssuer {
    pub parent: Option<Spanned<toml::Value>>,
    pub name: Option<Spanned<toml::Value>>,
    pub abbrev: Option<Spanned<String>>,
    pub place: Option<Spanned<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub text: Option<Spanned<String>>,
    pub remove: Option<bool>,
    pub after: Option<Spanned<String>>,
    pub before: Option<Spanned<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigner {
    pub authority: Option<Spanned<toml::Value>>,
    pub title: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    /// Diameter of the issuer's seal in mm (for the seal zone of the signing manifest).
    pub seal_mm: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecipients {
    pub to: Option<Spanned<toml::Value>>,
    pub archive: Option<Spanned<toml::Value>>,
    pub drafter: Option<Spanned<String>>,
    pub copies: Option<Spanned<toml::Value>>,
}

/// A parsed layer and the file it came from.
#[derive(Debug, Clone)]
pub struct Layer {
    pub raw: RawPlan,
    /// The same layer as a tree with positions: the layout's fields and the schema check.
    pub tree: Node,
    pub file: Arc<SourceFile>,
}

/// Reads a regular file of at most [`MAX_PLAN_BYTES`]: a FIFO, a device or `/dev/zero` is
/// refused before anything is read, and the read itself stops past the limit.
pub fn read_limited_bytes(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(|e| io_diag(path, &e))?;
    if meta.is_dir() {
        return Err(Diagnostic::error("io", "this is a folder, not a plan file").in_file(path));
    }
    if !meta.is_file() {
        return Err(Diagnostic::error(
            "io",
            format!(
                "{} is not a regular file (a pipe or a device)",
                crate::diag::display_path(path)
            ),
        )
        .in_file(path)
        .hint("name a plan file saved on disk"));
    }
    let too_large = |n: u64| {
        Diagnostic::error(
            "too-large",
            format!("the file is {n} bytes; plans are limited to {MAX_PLAN_BYTES} bytes"),
        )
        .in_file(path)
        .hint("split long annexes into their own plans")
    };
    if meta.len() as usize > MAX_PLAN_BYTES {
        return Err(too_large(meta.len()));
    }
    let f = std::fs::File::open(path).map_err(|e| io_diag(path, &e))?;
    let mut bytes = Vec::new();
    f.take(MAX_PLAN_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_diag(path, &e))?;
    if bytes.len() > MAX_PLAN_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_limited_bytes`] as UTF-8 text (template and layout files).
pub fn read_limited(path: &Path) -> Result<String, Diagnostic> {
    let bytes = read_limited_bytes(path)?;
    Ok(source_from_bytes(path, bytes)?.text.clone())
}

/// Reads a file as a plan source: size-limited, UTF-8 checked, BOM and NFC handled, so that
/// every later span is an offset into exactly the text we keep.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let bytes = read_limited_bytes(path)?;
    source_from_bytes(path, bytes)
}

pub fn source_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Arc<SourceFile>, Diagnostic> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let bad = e.as_bytes()[offset];
            // Show the file as far as it can be read, and point at the first bad byte.
            let lossy = SourceFile::new(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
            return Err(Diagnostic::error(
                "not-utf8",
                format!("the file is not UTF-8 text: byte 0x{bad:02X} is not valid here"),
            )
            .at(Loc::new(&lossy, offset..offset + 1))
            .hint("save the file as UTF-8 (Unicode); text in TCVN3 or VNI encodings must be converted first"));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(SourceFile::new(path, nfc(text)))
}

fn io_diag(path: &Path, e: &std::io::Error) -> Diagnostic {
    let msg = match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    Diagnostic::error(
        "io",
        format!("cannot read {}: {msg}", crate::diag::display_path(path)),
    )
    .in_file(path)
}

/// Converts a toml error into a diagnostic with position and, for unknown keys, a suggestion.
pub fn toml_diag(file: &Arc<SourceFile>, e: &toml::de::Error) -> Diagnostic {
    let raw = e.message().trim().to_string();
    let loc = e.span().map(|s| Loc::new(file, s));
    let mut d = Diagnostic::error("toml", plain_types(&first_line(&raw)));
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        d.code = "unknown-key";
        d.message = format!("unknown key `{key}`");
        // serde lists exactly the keys allowed where the unknown one stands.
        let expected: Vec<&str> = raw
            .split("expected one of ")
            .nth(1)
            .or_else(|| raw.split("expected ").nth(1))
            .map(|list| list.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        if let Some(s) = did_you_mean(key, expected.iter().copied()) {
            d = d.hint(format!("did you mean `{s}`?"));
        } else if !expected.is_empty() {
            d = d.hint(format!("known keys here: {}", expected.join(", ")));
        }
    } else if raw.starts_with("invalid type") {
        d.code = "wrong-type";
        let value = e.span().and_then(|s| file.text.get(s)).unwrap_or("").trim();
        let looks_like_date = value.len() >= 10
            && value.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if looks_like_date {
            d.message = format!("the date {value} must be written in quotes");
            d = d.hint(format!("write date = \"{value}\""));
        } else {
            d = d.hint("check the value's type: text in quotes, numbers without, lists in [ ], tables in { }");
        }
    } else if raw.contains("missing field") {
        d.code = "missing-key";
    }
    d.at_opt(loc)
}

/// serde's messages name our Rust types (`expected struct RawSection`); users wrote TOML.
fn plain_types(msg: &str) -> String {
    let mut out = msg.to_string();
    for (from, to) in [
        ("struct RawSection", "a [[sections]] table"),
        ("struct RawIssuer", "an [issuer] table"),
        ("struct RawSigner", "a [signer] table"),
        ("struct RawRecipients", "a [recipients] table"),
        ("struct RawPlan", "a plan table"),
        ("struct RawBatch", "a [batch] table"),
        ("struct BatchFile", "a batch file"),
        ("invalid type: map", "invalid type: table or date"),
        ("a sequence", "a list"),
        ("sequence", "list"),
    ] {
        out = out.replace(from, to);
    }
    out
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// Parses one plan layer from a source file: every unknown key and wrong type at once (against
/// the layout the layer names, or every layout when it names none), then the typed core.
pub fn parse_layer(file: &Arc<SourceFile>, layouts: &Layouts) -> Result<Layer, Vec<Diagnostic>> {
    let Some(tree) = Node::parse(file) else {
        // A syntax error: serde's pass reports it with its position.
        let e = toml::from_str::<RawPlan>(&file.text).err();
        return Err(vec![match e {
            Some(e) => toml_diag(file, &e),
            None => Diagnostic::error("toml", "the file is not valid TOML").in_file(&file.path),
        }]);
    };
    layer_from_tree(tree, file, layouts)
}

/// A layer from a whole file's tree: the schema check, then the typed core.
fn layer_from_tree(
    tree: Node,
    file: &Arc<SourceFile>,
    layouts: &Layouts,
) -> Result<Layer, Vec<Diagnostic>> {
    check_tree(&tree, layouts)?;
    let raw: RawPlan = toml::from_str(&file.text).map_err(|e| vec![toml_diag(file, &e)])?;
    Ok(Layer {
        raw,
        tree,
        file: file.clone(),
    })
}

/// The schema check of a layer on its own: against the layout its own `type` names, or every
/// layout's keys when it names none (the type may come from the plan it extends).
pub fn check_tree(tree: &Node, layouts: &Layouts) -> Result<(), Vec<Diagnostic>> {
    let layout = tree
        .get("type")
        .and_then(Node::as_str)
        .and_then(|t| layouts.for_type(t.trim()));
    let problems = crate::schema::check(tree, layout.map(|l| &**l), layouts);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------------------------
// The chain of `extends`.

/// Normalises a path lexically (no file system access), so that `a/../../b` can be checked
/// against the root before anything is opened.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    out
}

pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        normalize(&cwd.join(path))
    }
}

/// Whether `path` lies inside `root`, by name and, when the file exists, after resolving
/// symbolic links: a link inside the project pointing elsewhere must not open the way out.
pub fn inside_root(path: &Path, root: &Path) -> bool {
    let path = absolute(path);
    let root = absolute(root);
    if !path.starts_with(&root) {
        return false;
    }
    match (std::fs::canonicalize(&path), std::fs::canonicalize(&root)) {
        (Ok(real), Ok(real_root)) => real.starts_with(real_root),
        // A file that does not exist is reported as missing by whoever opens it.
        _ => true,
    }
}

/// Loads a layer and every ancestor it extends, returned parent-first.
pub fn load_chain(
    first: Layer,
    root: &Path,
    layouts: &Layouts,
) -> Result<Vec<Layer>, Vec<Diagnostic>> {
    let root = absolute(root);
    let mut chain = vec![first];
    loop {
        let child = chain.last().expect("chain is never empty");
        let Some(ext) = child.raw.extends.clone() else {
            break;
        };
        let loc = Loc::new(&child.file, ext.span());
        let names: Vec<String> = chain.iter().map(|l| l.file.display_path()).collect();
        let base = absolute(&child.file.path);
        let target = normalize(&base.parent().unwrap_or(Path::new("/")).join(ext.get_ref()));
        if ext.get_ref().trim().is_empty() {
            return Err(vec![
                Diagnostic::error("extends", "`extends` is empty").at(loc)
            ]);
        }
        if !inside_root(&target, &root) {
            return Err(vec![Diagnostic::error(
                "outside-root",
                format!(
                    "`extends = \"{}\"` points outside the project root {}",
                    ext.get_ref(),
                    root.display()
                ),
            )
            .at(loc)
            .note(format!(
                "chain: {} → {}",
                names.join(" → "),
                target.display()
            ))
            .hint("keep parent plans inside the root, or pass --root DIR")]);
        }
        if chain.iter().any(|l| absolute(&l.file.path) == target) {
            return Err(vec![Diagnostic::error(
                "extends-cycle",
                format!(
                    "`extends` makes a cycle: {} → {}",
                    names.join(" → "),
                    crate::diag::display_path(&target)
                ),
            )
            .at(loc)
            .hint(
                "a plan cannot extend itself or one of the plans that extend it",
            )]);
        }
        if chain.len() > MAX_EXTENDS_DEPTH {
            return Err(vec![Diagnostic::error(
                "extends-depth",
                format!("`extends` chain is deeper than {MAX_EXTENDS_DEPTH} plans"),
            )
            .at(loc)
            .note(format!("chain: {}", names.join(" → ")))]);
        }
        let file = read_source(&target).map_err(|d| {
            vec![Diagnostic::error(
                "extends",
                format!("cannot load the plan it extends: {}", d.message),
            )
            .at(loc.clone())]
        })?;
        let layer = match layouts.parsed_layer(&file) {
            Some(layer) => layer,
            None => {
                let layer = parse_layer(&file, layouts)?;
                layouts.keep_layer(&layer);
                layer
            }
        };
        chain.push(layer);
    }
    chain.reverse();
    Ok(chain)
}

// ---------------------------------------------------------------------------------------------
// Merging.

/// A text with its origin: where a plan field was written, so template errors and lint
/// findings inside the text can point at the exact line.
#[derive(Debug, Clone)]
pub struct Text {
    pub value: String,
    pub loc: Option<Loc>,
    /// The TOML string starts this many bytes after `loc.span.start` (the opening quotes);
    /// used to map offsets inside the value back to the file when the string has no escapes.
    pub body_offset: usize,
    /// Whether the value is, byte for byte, the text between the quotes in the file (no
    /// escapes, no rewriting): only then does an offset in the value map to one in the file.
    pub exact: bool,
}

impl Text {
    pub fn plain(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            loc: None,
            body_offset: 0,
            exact: false,
        }
    }

    fn from_spanned(s: &Spanned<String>, file: &Arc<SourceFile>) -> Text {
        Text::from_span(s.get_ref(), s.span(), file)
    }

    /// A text written at `span` of `file` (the literal, quotes included).
    pub fn from_span(value: &str, span: std::ops::Range<usize>, file: &Arc<SourceFile>) -> Text {
        let raw = file.text.get(span.clone()).unwrap_or("");
        let body_offset = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            let mut o = 3;
            // A newline right after the opening delimiter is trimmed by TOML.
            if raw[3..].starts_with("\r\n") {
                o += 2;
            } else if raw[3..].starts_with('\n') {
                o += 1;
            }
            o
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            0
        };
        let value = nfc(value);
        let closing = &raw[..body_offset.min(3).min(raw.len())];
        let exact = body_offset > 0
            && raw
                .get(body_offset..)
                .and_then(|b| b.strip_suffix(closing))
                .is_some_and(|b| b == value);
        Text {
            value,
            loc: Some(Loc::new(file, span)),
            body_offset,
            exact,
        }
    }

    /// Location of a byte offset inside the value: exact when the value is the file's text
    /// (see `exact`), otherwise the start of the field. Constant time: lints call it per word.
    pub fn loc_at(&self, offset: usize) -> Option<Loc> {
        let loc = self.loc.as_ref()?;
        if !self.exact || offset > self.value.len() || !self.value.is_char_boundary(offset) {
            return Some(loc.clone());
        }
        let start = loc.span.start + self.body_offset + offset;
        let width = self.value[offset..]
            .chars()
            .next()
            .map(char::len_utf8)
            .unwrap_or(0);
        Some(Loc::new(&loc.file, start..start + width))
    }
}

#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default)]
pub struct DraftSection {
    pub id: Option<Text>,
    pub title: Option<Text>,
    pub text: Option<Text>,
}

/// `basis` as a running paragraph or as one line per legal basis.
#[derive(Debug, Clone)]
pub enum Basis {
    Text(Text),
    List(Vec<Text>),
}

/// The result of folding layers: everything optional until validation.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub doc_type: Option<Text>,
    pub template: Option<Text>,
    pub vars: BTreeMap<String, toml::Value>,
    pub parent: Option<Located<toml::Value>>,
    pub name: Option<Located<toml::Value>>,
    pub abbrev: Option<Text>,
    pub place: Option<Text>,
    pub number: Option<Located<toml::Value>>,
    pub symbol: Option<Text>,
    pub date: Option<Text>,
    pub title: Option<Text>,
    pub basis: Option<Basis>,
    pub sections: Vec<DraftSection>,
    pub closing: Option<Text>,
    pub addressees: Option<Vec<Text>>,
    pub urgency: Option<Text>,
    pub secrecy: Option<Text>,
    pub circulation: Option<Text>,
    pub contact: Option<Text>,
    /// `[[appendices]]`, merged by `id` across layers like the layout's id-keyed fields.
    pub appendices: Option<Node>,
    /// `levels`: the most derived layer's list.
    pub levels: Option<Node>,
    /// The layout's own fields, folded layer by layer.
    pub extras: Option<Node>,
    /// Ids that an extras entry's `remove`/`before`/`after` named but no entry had.
    pub extras_missing: Vec<(String, Loc)>,
    pub authority: Option<Located<toml::Value>>,
    pub signer_title: Option<Text>,
    pub signer_name: Option<Text>,
    pub seal_mm: Option<Located<toml::Value>>,
    pub to: Option<Located<toml::Value>>,
    pub archive: Option<Located<toml::Value>>,
    pub drafter: Option<Text>,
    pub copies: Option<Located<toml::Value>>,
    /// The file of the most derived layer: where "missing field" errors point.
    pub leaf: Option<Arc<SourceFile>>,
}

fn text(s: &Option<Spanned<String>>, file: &Arc<SourceFile>) -> Option<Text> {
    s.as_ref().map(|s| Text::from_spanned(s, file))
}

fn located(
    v: &Option<Spanned<toml::Value>>,
    file: &Arc<SourceFile>,
) -> Option<Located<toml::Value>> {
    v.as_ref().map(|v| Located {
        value: nfc_value(v.get_ref()),
        loc: Loc::new(file, v.span()),
    })
}

fn nfc_value(v: &toml::Value) -> toml::Value {
    match v {
        toml::Value::String(s) => toml::Value::String(nfc(s)),
        toml::Value::Array(a) => toml::Value::Array(a.iter().map(nfc_value).collect()),
        toml::Value::Table(t) => {
            toml::Value::Table(t.iter().map(|(k, v)| (nfc(k), nfc_value(v))).collect())
        }
        v => v.clone(),
    }
}

fn set<T>(slot: &mut Option<T>, v: Option<T>) {
    if v.is_some() {
        *slot = v;
    }
}

impl Draft {
    /// Applies one layer over what is already there (the layer wins).
    pub fn apply(&mut self, layer: &Layer) -> Result<(), Vec<Diagnostic>> {
        let f = &layer.file;
        let r = &layer.raw;
        set(&mut self.doc_type, text(&r.doc_type, f));
        set(&mut self.template, text(&r.template, f));
        if let Some(vars) = &r.vars {
            for (k, v) in vars {
                self.vars.insert(nfc(k), nfc_value(v));
            }
        }
        if let Some(i) = &r.issuer {
            set(&mut self.parent, located(&i.parent, f));
            set(&mut self.name, located(&i.name, f));
            set(&mut self.abbrev, text(&i.abbrev, f));
            set(&mut self.place, text(&i.place, f));
        }
        set(&mut self.number, located(&r.number, f));
        set(&mut self.symbol, text(&r.symbol, f));
        set(&mut self.date, text(&r.date, f));
        set(&mut self.title, text(&r.title, f));
        let t = &layer.tree;
        if let Some(b) = t.get("basis") {
            self.basis = match &b.val {
                Val::Array(_) => b.texts().map(Basis::List),
                _ => b.text().map(Basis::Text),
            };
        }
        set(&mut self.closing, text(&r.closing, f));
        if let Some(a) = t.get("addressees") {
            self.addressees = a.texts();
        }
        set(&mut self.urgency, t.get("urgency").and_then(Node::text));
        set(&mut self.secrecy, t.get("secrecy").and_then(Node::text));
        set(
            &mut self.circulation,
            t.get("circulation").and_then(Node::text),
        );
        set(&mut self.contact, t.get("contact").and_then(Node::text));
        let mut extras = Node::empty_table(f);
        if let Val::Table(entries) = &t.val {
            let mine: Vec<_> = entries
                .iter()
                .filter(|(k, _)| !crate::schema::is_core(&k.name))
                .cloned()
                .collect();
            extras.val = Val::Table(mine);
        }
        match &mut self.extras {
            Some(cur) => {
                let missing = cur.merge(&extras);
                self.extras_missing.extend(missing);
            }
            None => self.extras = Some(extras),
        }
        if let Some(s) = &r.signer {
            set(&mut self.authority, located(&s.authority, f));
            set(&mut self.signer_title, text(&s.title, f));
            set(&mut self.signer_name, text(&s.name, f));
            set(&mut self.seal_mm, located(&s.seal_mm, f));
        }
        if let Some(rc) = &r.recipients {
            set(&mut self.to, located(&rc.to, f));
            set(&mut self.archive, located(&rc.archive, f));
            set(&mut self.drafter, text(&rc.drafter, f));
            set(&mut self.copies, located(&rc.copies, f));
        }
        if let Some(l) = t.get("levels") {
            self.levels = Some(l.clone());
        }
        if let Some(a) = t.get("appendices") {
            self.merge_appendices(a)?;
        }
        if let Some(sections) = &r.sections {
            self.merge_sections(sections, f)?;
        }
        self.leaf = Some(f.clone());
        Ok(())
    }

    fn merge_sections(
        &mut self,
        sections: &[RawSection],
        f: &Arc<SourceFile>,
    ) -> Result<(), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        if self.sections.len() + sections.len() > MAX_SECTIONS {
            let at = sections
                .get(MAX_SECTIONS.saturating_sub(self.sections.len()))
                .or(sections.first())
                .and_then(|s| text(&s.id, f).or(text(&s.title, f)))
                .and_then(|t| t.loc);
            return Err(vec![Diagnostic::error(
                "too-large",
                format!(
                    "the plan has {} sections; at most {MAX_SECTIONS} are accepted",
                    self.sections.len() + sections.len()
                ),
            )
            .at_opt(at)
            .in_file(&f.path)
            .hint("a real plan has tens of sections: split the document, or move lists into the section texts")]);
        }
        let mut ids_here: std::collections::HashSet<String> = std::collections::HashSet::new();
        // Where each id stands, rebuilt only when a removal or a move shifts positions: merging
        // a long plan must stay linear.
        let mut index: Option<std::collections::HashMap<String, usize>> = None;
        for s in sections {
            let id = text(&s.id, f);
            if let Some(id) = &id {
                // One file naming an id twice is a mistake, not a merge.
                if !ids_here.insert(id.value.clone()) {
                    errors.push(
                        Diagnostic::error(
                            "duplicate-section",
                            format!("two sections in this file have the id `{}`", id.value),
                        )
                        .at_opt(id.loc.clone())
                        .hint("ids must be unique: derived plans address sections by id"),
                    );
                    continue;
                }
            }
            let map = index.get_or_insert_with(|| {
                self.sections
                    .iter()
                    .enumerate()
                    .filter_map(|(i, x)| x.id.as_ref().map(|t| (t.value.clone(), i)))
                    .rev()
                    .collect()
            });
            let pos = id.as_ref().and_then(|id| map.get(&id.value).copied());
            let structural = s.remove == Some(true) || s.after.is_some() || s.before.is_some();
            if structural {
                index = None;
            }
            if s.remove == Some(true) {
                match (pos, &id) {
                    (Some(p), _) => {
                        self.sections.remove(p);
                    }
                    (None, Some(id)) => errors.push(
                        Diagnostic::error(
                            "unknown-section",
                            format!(
                                "cannot remove section `{}`: no section has this id",
                                id.value
                            ),
                        )
                        .at_opt(id.loc.clone())
                        .hint(self.section_ids_hint(&id.value)),
                    ),
                    (None, None) => errors.push(
                        Diagnostic::error(
                            "section-id",
                            "`remove = true` needs the `id` of the section to remove",
                        )
                        .at_opt(text(&s.title, f).and_then(|t| t.loc)),
                    ),
                }
                continue;
            }
            if let Some(p) = pos {
                let cur = &mut self.sections[p];
                set(&mut cur.title, text(&s.title, f));
                set(&mut cur.text, text(&s.text, f));
                if s.after.is_none() && s.before.is_none() {
                    continue;
                }
                // Moving an existing section: take it out and place it like a new one.
                let moved = self.sections.remove(p);
                if let Err(e) = self.place_section(moved, s, f) {
                    errors.push(e);
                }
                continue;
            }
            if let (Some(map), Some(id)) = (index.as_mut(), &id) {
                if !structural {
                    map.entry(id.value.clone()).or_insert(self.sections.len());
                }
            }
            let new = DraftSection {
                id,
                title: text(&s.title, f),
                text: text(&s.text, f),
            };
            if let Err(e) = self.place_section(new, s, f) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn place_section(
        &mut self,
        new: DraftSection,
        s: &RawSection,
        f: &Arc<SourceFile>,
    ) -> Result<(), Diagnostic> {
        let anchor = s
            .after
            .as_ref()
            .map(|a| (a, 1))
            .or(s.before.as_ref().map(|b| (b, 0)));
        match anchor {
            None => {
                self.sections.push(new);
                Ok(())
            }
            Some((a, shift)) => {
                let t = Text::from_spanned(a, f);
                match self
                    .sections
                    .iter()
                    .position(|x| x.id.as_ref().map(|i| &i.value) == Some(&t.value))
                {
                    Some(p) => {
                        self.sections.insert(p + shift, new);
                        Ok(())
                    }
                    None => {
                        let key = if shift == 1 { "after" } else { "before" };
                        let hint = self.section_ids_hint(&t.value);
                        self.sections.push(new);
                        Err(Diagnostic::error(
                            "unknown-section",
                            format!("`{key} = \"{}\"`: no section has this id", t.value),
                        )
                        .at_opt(t.loc)
                        .hint(hint))
                    }
                }
            }
        }
    }

    fn section_ids_hint(&self, wrong: &str) -> String {
        let ids: Vec<&str> = self
            .sections
            .iter()
            .filter_map(|s| s.id.as_ref().map(|t| t.value.as_str()))
            .collect();
        match did_you_mean(wrong, ids.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if ids.is_empty() => "the parent plan has no sections with ids".into(),
            None => format!("section ids: {}", ids.join(", ")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The validated plan.

#[derive(Debug, Clone)]
pub enum Number {
    /// Left blank for the records clerk (văn thư) to stamp in.
    Blank,
    Issued(u64),
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: Option<String>,
    pub title: Text,
    pub text: Text,
}

/// A Phụ lục: its own pages after the document (Phụ lục I, III.1).
#[derive(Debug, Clone)]
pub struct Appendix {
    pub id: Option<String>,
    pub title: Text,
    pub text: Text,
    /// Landscape A4 pages, for a table too wide for portrait.
    pub landscape: bool,
}

/// A validated plan. Texts are still templates (`{{ year }}`): they are rendered by
/// [`crate::render`] with the plan's variables.
#[derive(Debug, Clone)]
pub struct Plan {
    pub doc_type: &'static DocType,
    /// The layout folder that lays the document out.
    pub layout: Arc<Layout>,
    pub template: String,
    /// Where `template` was set, if it was.
    pub template_loc: Option<Loc>,
    pub vars: BTreeMap<String, toml::Value>,
    pub parent: Vec<Text>,
    pub name: Vec<Text>,
    pub abbrev: Text,
    pub place: Text,
    pub number: Number,
    pub symbol: Option<Text>,
    pub date: Text,
    pub title: Text,
    pub basis: Text,
    /// `basis` written as an array: one italic line each.
    pub basis_list: Vec<Text>,
    pub sections: Vec<Section>,
    pub closing: Text,
    /// Kính gửi.
    pub addressees: Vec<Text>,
    pub urgency: Option<Urgency>,
    pub secrecy: Option<Secrecy>,
    pub circulation: Option<Text>,
    pub contact: Option<Text>,
    pub appendices: Vec<Appendix>,
    /// The numbering of sections and body levels (`levels`, default `I.` / `1.` / `1.1.` / `a)`).
    pub levels: crate::markup::Levels,
    /// The layout's own fields, merged over the `extends` chain and checked against its schema.
    pub extras: Node,
    pub authority: Vec<Text>,
    pub signer_title: Text,
    pub signer_name: Text,
    /// Seal diameter in mm (default 36, the common size of a UBND seal).
    pub seal_mm: f64,
    pub to: Vec<Text>,
    pub archive: Vec<Text>,
    pub drafter: Option<Text>,
    pub copies: Option<u64>,
    /// The file the plan was built from (the most derived layer).
    pub file: Arc<SourceFile>,
    /// Every file the plan was read from (the `extends` chain, a batch file): none of them
    /// may be overwritten by an output.
    pub sources: Vec<PathBuf>,
}

/// Độ khẩn (ô 10b): the boxed mark and its size in mm (Phụ lục I, III.2.b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Khan,
    ThuongKhan,
    HoaToc,
}

impl Urgency {
    pub const VALUES: [(&'static str, Urgency); 3] = [
        ("khan", Urgency::Khan),
        ("thuong-khan", Urgency::ThuongKhan),
        ("hoa-toc", Urgency::HoaToc),
    ];

    pub fn printed(self) -> &'static str {
        match self {
            Urgency::Khan => "KHẨN",
            Urgency::ThuongKhan => "THƯỢNG KHẨN",
            Urgency::HoaToc => "HỎA TỐC",
        }
    }
}

/// Độ mật (ô 10a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Mat,
    ToiMat,
    TuyetMat,
}

impl Secrecy {
    pub const VALUES: [(&'static str, Secrecy); 3] = [
        ("mat", Secrecy::Mat),
        ("toi-mat", Secrecy::ToiMat),
        ("tuyet-mat", Secrecy::TuyetMat),
    ];

    pub fn printed(self) -> &'static str {
        match self {
            Secrecy::Mat => "MẬT",
            Secrecy::ToiMat => "TỐI MẬT",
            Secrecy::TuyetMat => "TUYỆT MẬT",
        }
    }
}

/// An enumerated value: `""` is unset; anything else must be one of `values`.
fn choice<T: Copy>(
    t: &Option<Text>,
    key: &str,
    values: &[(&'static str, T)],
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    let t = t.as_ref()?;
    let v = t.value.trim();
    if v.is_empty() {
        return None;
    }
    match values.iter().find(|(k, _)| *k == v) {
        Some((_, x)) => Some(*x),
        None => {
            let names: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
            let hint = match did_you_mean(v, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of: {}", names.join(", ")),
            };
            errors.push(
                Diagnostic::error(
                    "bad-value",
                    format!("`{key} = \"{v}\"` is not a known value"),
                )
                .at_opt(t.loc.clone())
                .hint(hint),
            );
            None
        }
    }
}

/// Checks a layout's own fields: required keys, allowed values, articles with text.
fn check_fields(
    node: &Node,
    fields: &BTreeMap<String, crate::layout::FieldSpec>,
    path: &str,
    leaf: &Arc<SourceFile>,
    errors: &mut Vec<Diagnostic>,
) {
    use crate::layout::Kind;
    for (key, spec) in fields {
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let Some(v) = node.get(key) else {
            if spec.required {
                let at = if node.span.is_empty() {
                    Loc::new(leaf, 0..0)
                } else {
                    node.loc()
                };
                let mut d =
                    Diagnostic::error("missing-key", format!("missing required key `{full}`"))
                        .at(at);
                let example = spec
                    .example
                    .as_ref()
                    .map(|e| format!("{key} = {e}"))
                    .or_else(|| {
                        // A table: name the keys it needs.
                        let keys: Vec<String> = spec
                            .fields
                            .iter()
                            .filter(|(_, f)| f.required)
                            .map(|(k, _)| format!("{k} = \"…\""))
                            .collect();
                        (spec.kind == Kind::Table && !keys.is_empty())
                            .then(|| format!("a [{full}] table with {}", keys.join(", ")))
                    });
                d = d.hint(match (example, spec.doc.is_empty()) {
                    (Some(e), _) => format!("add {e}"),
                    (None, false) => format!("add `{full}`: {}", spec.doc),
                    (None, true) => format!("add `{full}`"),
                });
                errors.push(d);
            }
            continue;
        };
        match spec.kind {
            Kind::Table => check_fields(v, &spec.fields, &full, leaf, errors),
            Kind::Line if !spec.values.is_empty() => {
                let s = v.as_str().unwrap_or_default().trim();
                if !s.is_empty() && !spec.values.iter().any(|x| x == s) {
                    errors.push(
                        Diagnostic::error(
                            "bad-value",
                            format!("`{full} = \"{s}\"` is not a known value"),
                        )
                        .at(v.loc())
                        .hint(format!("use one of: {}", spec.values.join(", "))),
                    );
                }
            }
            Kind::Line | Kind::Body
                if spec.required && v.as_str().is_some_and(|s| s.trim().is_empty()) =>
            {
                errors.push(
                    Diagnostic::error("empty", format!("`{full}` is empty"))
                        .at(v.loc())
                        .hint(if spec.doc.is_empty() {
                            "write the text".to_string()
                        } else {
                            spec.doc.clone()
                        }),
                );
            }
            Kind::Articles | Kind::Sections => {
                let what = if spec.kind == Kind::Articles {
                    "an article"
                } else {
                    "a section"
                };
                if let Val::Array(items) = &v.val {
                    if items.is_empty() && spec.required {
                        errors.push(
                            Diagnostic::error("empty", format!("`{full}` has no entries"))
                                .at(v.loc())
                                .hint(format!("add [[{full}]] entries with text = \"…\"")),
                        );
                    }
                    let mut seen: Vec<&str> = Vec::new();
                    for item in items {
                        let text = item.get("text").and_then(Node::as_str).unwrap_or("");
                        if text.trim().is_empty() {
                            let at = item
                                .get("text")
                                .or(item.get("id"))
                                .map(Node::loc)
                                .unwrap_or(item.loc());
                            errors.push(
                                Diagnostic::error("missing-key", format!("{what} of `{full}` has no text"))
                                    .at(at)
                                    .hint(format!("add text = \"…\" to this [[{full}]] entry, or remove = true to drop it")),
                            );
                        }
                        if let Some(id) = item.get("id").and_then(Node::as_str) {
                            if seen.contains(&id) {
                                errors.push(
                                    Diagnostic::error(
                                        "duplicate-section",
                                        format!("two entries of `{full}` have the id `{id}`"),
                                    )
                                    .at(item.get("id").map(Node::loc).unwrap_or(item.loc()))
                                    .hint(
                                        "ids must be unique: derived plans address entries by id",
                                    ),
                                );
                            }
                            seen.push(id);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn text_list(v: &Located<toml::Value>, what: &str, errors: &mut Vec<Diagnostic>) -> Vec<Text> {
    let mk = |s: &str| Text {
        value: s.to_string(),
        loc: Some(v.loc.clone()),
        body_offset: 0,
        exact: false,
    };
    match &v.value {
        toml::Value::String(s) if s.is_empty() => Vec::new(),
        toml::Value::String(s) => vec![mk(s)],
        toml::Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    toml::Value::String(s) => out.push(mk(s)),
                    other => errors.push(
                        Diagnostic::error(
                            "wrong-type",
                            format!(
                                "`{what}` must be a list of texts, found {}",
                                other.type_str()
                            ),
                        )
                        .at(v.loc.clone()),
                    ),
                }
            }
            out
        }
        other => {
            errors.push(
                Diagnostic::error(
                    "wrong-type",
                    format!(
                        "`{what}` must be a text or a list of texts, found {}",
                        other.type_str()
                    ),
                )
                .at(v.loc.clone()),
            );
            Vec::new()
        }
    }
}

impl Draft {
    /// Folds one layer's `[[appendices]]` in. The tree merge does the `id` rules; one file
    /// naming an id twice is refused first, as for sections, since a merge would hide it.
    fn merge_appendices(&mut self, a: &Node) -> Result<(), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        if let Val::Array(items) = &a.val {
            let mut seen: Vec<&str> = Vec::new();
            for id in items.iter().filter_map(|i| i.get("id")) {
                let Some(name) = id.as_str() else { continue };
                if seen.contains(&name) {
                    errors.push(
                        Diagnostic::error(
                            "duplicate-section",
                            format!("two appendices in this file have the id `{name}`"),
                        )
                        .at(id.loc())
                        .hint("ids must be unique: derived plans address appendices by id"),
                    );
                }
                seen.push(name);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let cur = self.appendices.get_or_insert_with(|| Node {
            val: Val::Array(Vec::new()),
            span: a.span.clone(),
            file: a.file.clone(),
        });
        let missing = cur.merge(a);
        self.extras_missing.extend(missing);
        Ok(())
    }
}

/// The merged appendices; each needs a title and a text.
fn appendix_list(node: Option<&Node>, errors: &mut Vec<Diagnostic>) -> Vec<Appendix> {
    let Some(Val::Array(items)) = node.map(|n| &n.val) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let at = item.get("id").map(Node::loc).unwrap_or(item.loc());
        let mut need = |key: &str, hint: &str| match item.get(key).and_then(Node::text) {
            Some(t) if !t.value.trim().is_empty() => t,
            Some(t) => {
                errors.push(
                    Diagnostic::error("empty", format!("an appendix has an empty `{key}`"))
                        .at_opt(t.loc.clone())
                        .hint(hint.to_string()),
                );
                t
            }
            None => {
                errors.push(
                    Diagnostic::error("missing-key", format!("an appendix needs a `{key}`"))
                        .at(at.clone())
                        .hint(hint.to_string()),
                );
                Text::plain("")
            }
        };
        let title = need(
            "title",
            "add title = \"…\" to this [[appendices]] entry: it prints in capitals under `Phụ lục`",
        );
        let text = need(
            "text",
            "add text = \"\"\"…\"\"\" to this [[appendices]] entry: body markup, tables included",
        );
        out.push(Appendix {
            id: item.get("id").and_then(Node::as_str).map(str::to_string),
            title,
            text,
            landscape: matches!(item.get("landscape").map(|n| &n.val), Some(Val::Bool(true))),
        });
    }
    out
}

/// `levels = ["1.", "a)"]`: every entry one of the four label styles, 1–4 of them.
fn levels_of(node: Option<&Node>, errors: &mut Vec<Diagnostic>) -> crate::markup::Levels {
    use crate::markup::{Levels, Style};
    let Some(n) = node else {
        return Levels::default();
    };
    let names: Vec<&str> = Style::NAMES.iter().map(|(k, _)| *k).collect();
    let hint = format!(
        "e.g. levels = [\"1.\", \"a)\"]: the sections' label first, then each level below, each one of {}",
        names.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
    );
    let Val::Array(items) = &n.val else {
        errors.push(
            Diagnostic::error(
                "wrong-type",
                format!("`levels` must be a list, found {}", n.type_name()),
            )
            .at(n.loc())
            .hint(hint),
        );
        return Levels::default();
    };
    let mut styles = Vec::new();
    for i in items {
        match i.as_str().and_then(Style::parse) {
            Some(s) => styles.push(s),
            None => errors.push(
                Diagnostic::error(
                    "bad-value",
                    format!(
                        "`levels`: {} is not a numbering level",
                        match i.as_str() {
                            Some(s) => format!("\"{s}\""),
                            None => i.unexpected(),
                        }
                    ),
                )
                .at(i.loc())
                .hint(hint.clone()),
            ),
        }
    }
    if styles.len() != items.len() {
        return Levels::default();
    }
    match Levels::new(styles) {
        Ok(l) => l,
        Err((k, msg)) => {
            let at = match items.get(k) {
                Some(i) if items.len() <= Levels::MAX => i.loc(),
                _ => n.loc(),
            };
            errors.push(Diagnostic::error("bad-value", msg).at(at).hint(hint));
            Levels::default()
        }
    }
}

impl Draft {
    /// Checks that everything a document needs is there, reporting every problem at once.
    pub fn validate(self, layouts: &Layouts) -> Result<Plan, Vec<Diagnostic>> {
        let leaf = self
            .leaf
            .clone()
            .unwrap_or_else(|| SourceFile::new("<plan>", ""));
        let mut errors = Vec::new();
        let missing = |key: &str, hint: &str| {
            Diagnostic::error("missing-key", format!("missing required key `{key}`"))
                .at(Loc::new(&leaf, 0..0))
                .hint(hint.to_string())
        };

        let doc_type = match &self.doc_type {
            None => {
                errors.push(missing("type", "add e.g. type = \"ke-hoach\""));
                None
            }
            Some(t) => match doctype::lookup(&t.value) {
                Some(d) => Some(d),
                None => {
                    let hint = match did_you_mean(&t.value, doctype::keys()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "known types: {}",
                            doctype::keys().collect::<Vec<_>>().join(", ")
                        ),
                    };
                    errors.push(
                        Diagnostic::error(
                            "unknown-type",
                            format!("unknown document type `{}`", t.value),
                        )
                        .at_opt(t.loc.clone())
                        .hint(hint),
                    );
                    None
                }
            },
        };

        // The layout: the folder `template` names if it is one, else the type's.
        let layout: Option<Arc<Layout>> = doc_type.and_then(|d| {
            let named = self
                .template
                .as_ref()
                .and_then(|t| layouts.by_name(t.value.trim()));
            match named.or(layouts.for_type(d.key)) {
                Some(l) => Some(l.clone()),
                None => {
                    errors.push(
                        Diagnostic::error(
                            "type-not-built",
                            format!("no layout lays out {} ({})", d.name, d.model.label()),
                        )
                        .at_opt(self.doc_type.as_ref().and_then(|t| t.loc.clone()))
                        .hint("a project layout folder templates/NAME/ with a layout.toml listing this type adds one"),
                    );
                    None
                }
            }
        });
        let spec = layout.as_ref().map(|l| l.spec.clone());
        let model = spec.as_ref().map(|s| s.model.clone()).unwrap_or_default();
        let not_here = |key: &str, loc: Option<Loc>, what: &str| {
            Diagnostic::error(
                "not-allowed",
                format!(
                    "`{key}`: a {} (Mẫu {model}) has {what}",
                    doc_type.map(|d| d.name).unwrap_or(""),
                ),
            )
            .at_opt(loc)
            .hint(format!(
                "remove `{key}`, or choose a type whose model has it (`vanban types`)"
            ))
        };
        let (basis_text, basis_list) = match &self.basis {
            None => (None, Vec::new()),
            Some(Basis::Text(t)) => (Some(t.clone()), Vec::new()),
            Some(Basis::List(l)) => (None, l.clone()),
        };
        if let Some(spec) = &spec {
            let basis_loc = basis_text
                .as_ref()
                .and_then(|t| t.loc.clone())
                .or(basis_list.first().and_then(|t| t.loc.clone()));
            let has_basis = basis_text
                .as_ref()
                .is_some_and(|t| !t.value.trim().is_empty())
                || !basis_list.is_empty();
            match spec.basis {
                BasisPolicy::None if has_basis => {
                    errors.push(not_here("basis", basis_loc, "no basis (căn cứ) block"))
                }
                BasisPolicy::List if basis_text.as_ref().is_some_and(|t| !t.value.trim().is_empty()) => errors.push(
                    Diagnostic::error("wrong-type", "`basis` must be a list here: one line per legal basis")
                        .at_opt(basis_loc)
                        .hint("write basis = [\"Căn cứ Luật …\", \"Căn cứ Nghị định …\"]; `;` and the final `.` are added"),
                ),
                BasisPolicy::Text if !basis_list.is_empty() => errors.push(
                    Diagnostic::error("wrong-type", "`basis` must be one running text here")
                        .at_opt(basis_loc)
                        .hint("write basis = \"Căn cứ …, UBND tỉnh ban hành … như sau:\""),
                ),
                _ => {}
            }
            if !spec.sections && !self.sections.is_empty() {
                let loc = self
                    .sections
                    .first()
                    .and_then(|s| s.title.as_ref().or(s.id.as_ref()))
                    .and_then(|t| t.loc.clone());
                errors.push(not_here("sections", loc, "no numbered sections"));
            }
            if !spec.closing
                && self
                    .closing
                    .as_ref()
                    .is_some_and(|t| !t.value.trim().is_empty())
            {
                errors.push(not_here(
                    "closing",
                    self.closing.as_ref().and_then(|t| t.loc.clone()),
                    "no closing paragraph",
                ));
            }
            let addressees = self.addressees.clone().unwrap_or_default();
            match spec.addressees {
                Policy::None if !addressees.is_empty() => errors.push(not_here(
                    "addressees",
                    addressees[0].loc.clone(),
                    "no Kính gửi",
                )),
                Policy::Required if addressees.is_empty() => errors.push(
                    missing("addressees", "add addressees = [\"UBND các huyện, thị xã, thành phố\", …] before the first [table]"),
                ),
                _ => {}
            }
            if spec.title == Policy::None
                && self
                    .title
                    .as_ref()
                    .is_some_and(|t| !t.value.trim().is_empty())
            {
                errors.push(not_here(
                    "title",
                    self.title.as_ref().and_then(|t| t.loc.clone()),
                    "no trích yếu",
                ));
            }
            if let Some(extras) = &self.extras {
                check_fields(extras, &spec.fields, "", &leaf, &mut errors);
            }
        }
        for (id, loc) in &self.extras_missing {
            errors.push(
                Diagnostic::error("unknown-section", format!("no entry has the id `{id}`"))
                    .at(loc.clone())
                    .hint("`remove`, `before` and `after` name the id of an entry of the plan it extends"),
            );
        }
        let urgency = choice(&self.urgency, "urgency", &Urgency::VALUES, &mut errors);
        let secrecy = choice(&self.secrecy, "secrecy", &Secrecy::VALUES, &mut errors);
        let title_needed = spec.as_ref().is_none_or(|s| {
            s.title == Policy::Required
                || s.title_unless
                    .as_ref()
                    .is_some_and(|f| self.extras.as_ref().and_then(|e| e.get(f)).is_none())
        });
        let signer_needed = spec.as_ref().is_none_or(|s| s.signer == Policy::Required);

        let name = match &self.name {
            Some(v) => {
                let l = text_list(v, "issuer.name", &mut errors);
                if l.is_empty() {
                    errors.push(
                        Diagnostic::error("empty", "`issuer.name` is empty").at(v.loc.clone()),
                    );
                }
                l
            }
            None => {
                errors.push(missing(
                    "issuer.name",
                    "add [issuer] name = [\"Ủy ban nhân dân\", \"tỉnh …\"]",
                ));
                Vec::new()
            }
        };
        let parent = self
            .parent
            .as_ref()
            .map(|v| text_list(v, "issuer.parent", &mut errors))
            .unwrap_or_default();
        let req = |t: &Option<Text>, key: &str, hint: &str, errors: &mut Vec<Diagnostic>| -> Text {
            match t {
                Some(t) if !t.value.trim().is_empty() => t.clone(),
                Some(t) => {
                    errors.push(
                        Diagnostic::error("empty", format!("`{key}` is empty"))
                            .at_opt(t.loc.clone())
                            .hint(hint.to_string()),
                    );
                    t.clone()
                }
                None => {
                    errors.push(missing(key, hint));
                    Text::plain("")
                }
            }
        };
        let abbrev = req(
            &self.abbrev,
            "issuer.abbrev",
            "the issuer's abbreviation used in the symbol, e.g. abbrev = \"UBND\"",
            &mut errors,
        );
        let place = req(
            &self.place,
            "issuer.place",
            "the place name of the date line, e.g. place = \"Đắk Lắk\"",
            &mut errors,
        );
        let optional = |t: &Option<Text>| t.clone().unwrap_or_else(|| Text::plain(""));
        let title = if title_needed {
            req(
                &self.title,
                "title",
                "the trích yếu, e.g. title = \"Tổ chức …\"",
                &mut errors,
            )
        } else {
            optional(&self.title)
        };
        let (signer_title, signer_name) = if signer_needed {
            (
                req(
                    &self.signer_title,
                    "signer.title",
                    "e.g. [signer] title = \"Phó Chủ tịch\"",
                    &mut errors,
                ),
                req(
                    &self.signer_name,
                    "signer.name",
                    "the signer's full name",
                    &mut errors,
                ),
            )
        } else {
            (optional(&self.signer_title), optional(&self.signer_name))
        };

        let number = match &self.number {
            None => Number::Blank,
            Some(n) => {
                match &n.value {
                    toml::Value::String(s) if s.trim().is_empty() => Number::Blank,
                    toml::Value::String(s) => match s.trim().parse::<u64>() {
                        Ok(v) if v > 0 => Number::Issued(v),
                        _ => {
                            errors.push(
                            Diagnostic::error("bad-number", format!("`number = \"{s}\"` is not a document number"))
                                .at(n.loc.clone())
                                .hint("use \"\" while the document is a draft, or the number in the register, e.g. number = 235"),
                        );
                            Number::Blank
                        }
                    },
                    toml::Value::Integer(v) if *v > 0 => Number::Issued(*v as u64),
                    other => {
                        errors.push(
                        Diagnostic::error("bad-number", format!("`number` must be \"\" or a positive whole number, found {other}"))
                            .at(n.loc.clone()),
                    );
                        Number::Blank
                    }
                }
            }
        };

        let authority = self
            .authority
            .as_ref()
            .map(|v| text_list(v, "signer.authority", &mut errors))
            .unwrap_or_default();
        let to = self
            .to
            .as_ref()
            .map(|v| text_list(v, "recipients.to", &mut errors))
            .unwrap_or_default();
        let archive = match &self.archive {
            Some(v) => text_list(v, "recipients.archive", &mut errors),
            None => vec![Text::plain("VT")],
        };
        let copies = match &self.copies {
            None => None,
            Some(c) => match &c.value {
                toml::Value::Integer(0) => None,
                toml::Value::Integer(v) if *v > 0 => Some(*v as u64),
                other => {
                    errors.push(
                        Diagnostic::error("wrong-type", format!("`recipients.copies` must be a positive whole number, found {other}"))
                            .at(c.loc.clone()),
                    );
                    None
                }
            },
        };

        let seal_mm = match &self.seal_mm {
            None => 36.0,
            Some(v) => match v
                .value
                .as_float()
                .or(v.value.as_integer().map(|i| i as f64))
            {
                Some(mm) if (10.0..=60.0).contains(&mm) => mm,
                _ => {
                    errors.push(
                        Diagnostic::error("seal-size", format!("`signer.seal_mm` must be a diameter between 10 and 60 mm, found {}", v.value))
                            .at(v.loc.clone())
                            .hint("e.g. seal_mm = 36"),
                    );
                    36.0
                }
            },
        };
        let mut sections = Vec::new();
        for s in &self.sections {
            let title = match &s.title {
                Some(t) => t.clone(),
                None => {
                    let at =
                        s.id.as_ref()
                            .and_then(|i| i.loc.clone())
                            .unwrap_or(Loc::new(&leaf, 0..0));
                    errors.push(
                        Diagnostic::error("missing-key", "a section needs a `title`")
                            .at(at)
                            .hint("add title = \"…\" to this [[sections]] entry"),
                    );
                    Text::plain("")
                }
            };
            sections.push(Section {
                id: s.id.as_ref().map(|i| i.value.clone()),
                title,
                text: s.text.clone().unwrap_or_else(|| Text::plain("")),
            });
        }
        let mut seen = BTreeMap::new();
        for s in &self.sections {
            if let Some(id) = &s.id {
                if seen.insert(id.value.clone(), ()).is_some() {
                    errors.push(
                        Diagnostic::error(
                            "duplicate-section",
                            format!("two sections have the id `{}`", id.value),
                        )
                        .at_opt(id.loc.clone())
                        .hint("ids must be unique: derived plans address sections by id"),
                    );
                }
            }
        }

        let appendices = appendix_list(self.appendices.as_ref(), &mut errors);
        let levels = levels_of(self.levels.as_ref(), &mut errors);

        if !errors.is_empty() {
            return Err(errors);
        }
        let doc_type = doc_type.expect("checked above");
        let layout = layout.expect("checked above");
        let template = self
            .template
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_else(|| layout.name.clone());
        Ok(Plan {
            doc_type,
            template,
            template_loc: self.template.as_ref().and_then(|t| t.loc.clone()),
            vars: self.vars,
            parent,
            name,
            abbrev,
            place,
            number,
            symbol: self.symbol,
            date: self.date.unwrap_or_else(|| Text::plain("")),
            title,
            basis: basis_text.unwrap_or_else(|| Text::plain("")),
            basis_list,
            sections,
            closing: self.closing.unwrap_or_else(|| Text::plain("")),
            addressees: self.addressees.unwrap_or_default(),
            urgency,
            secrecy,
            circulation: self.circulation.filter(|t| !t.value.trim().is_empty()),
            contact: self.contact.filter(|t| !t.value.trim().is_empty()),
            appendices,
            levels,
            extras: self.extras.unwrap_or_else(|| Node::empty_table(&leaf)),
            layout,
            authority,
            signer_title,
            signer_name,
            seal_mm,
            to,
            archive,
            drafter: self.drafter.filter(|d| !d.value.trim().is_empty()),
            copies,
            file: leaf,
            sources: Vec::new(),
        })
    }
}

impl Plan {
    /// Every text of the plan, for rewrites that apply to all of them (`--tone`).
    pub fn texts_mut(&mut self) -> Vec<&mut Text> {
        let mut v: Vec<&mut Text> = vec![
            &mut self.abbrev,
            &mut self.place,
            &mut self.date,
            &mut self.title,
            &mut self.basis,
            &mut self.closing,
            &mut self.signer_title,
            &mut self.signer_name,
        ];
        v.extend(self.parent.iter_mut());
        v.extend(self.name.iter_mut());
        v.extend(self.authority.iter_mut());
        v.extend(self.to.iter_mut());
        v.extend(self.archive.iter_mut());
        v.extend(self.basis_list.iter_mut());
        v.extend(self.addressees.iter_mut());
        v.extend(self.circulation.iter_mut());
        v.extend(self.contact.iter_mut());
        if let Some(s) = self.symbol.as_mut() {
            v.push(s);
        }
        if let Some(d) = self.drafter.as_mut() {
            v.push(d);
        }
        for s in &mut self.sections {
            v.push(&mut s.title);
            v.push(&mut s.text);
        }
        for a in &mut self.appendices {
            v.push(&mut a.title);
            v.push(&mut a.text);
        }
        v
    }
}

/// The edition date of a plan, after its text was rendered: issued (`YYYY-MM-DD`) or a draft
/// with only the year (`YYYY`) or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueDate {
    Issued(Date),
    Year(String),
    Blank,
}

impl IssueDate {
    pub fn parse(s: &str) -> Result<IssueDate, String> {
        let s = s.trim();
        if s.is_empty() {
            Ok(IssueDate::Blank)
        } else if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(IssueDate::Year(s.to_string()))
        } else {
            Date::parse(s)
                .map(IssueDate::Issued)
                .map_err(|e| format!("{e}; use YYYY-MM-DD once issued, or YYYY for a draft"))
        }
    }

    pub fn year(&self) -> Option<String> {
        match self {
            IssueDate::Issued(d) => Some(d.year.to_string()),
            IssueDate::Year(y) => Some(y.clone()),
            IssueDate::Blank => None,
        }
    }
}

/// Loads a plan file with its whole `extends` chain and validates it, with the built-in
/// layouts and those of the root's `templates/` folder.
pub fn load(path: &Path, root: &Path) -> Result<Plan, Vec<Diagnostic>> {
    let layouts = Layouts::with_project(Some(&root.join("templates"))).map_err(|d| vec![d])?;
    load_with(path, root, &layouts)
}

/// [`load`] with the layouts of a run.
pub fn load_with(path: &Path, root: &Path, layouts: &Layouts) -> Result<Plan, Vec<Diagnostic>> {
    let file = read_source(path).map_err(|d| vec![d])?;
    let layer = parse_layer(&file, layouts)?;
    load_layers(layer, root, &[], layouts)
}

/// Builds a plan from a layer (and its ancestors) with extra layers applied on top (batch rows).
pub fn load_layers(
    layer: Layer,
    root: &Path,
    over: &[Layer],
    layouts: &Layouts,
) -> Result<Plan, Vec<Diagnostic>> {
    let chain = load_chain(layer, root, layouts)?;
    // Now that the type is known, every layer's keys are checked against its layout: a key
    // another layout has (`articles` in a Kế hoạch) is unknown here.
    let doc_type = chain
        .iter()
        .chain(over)
        .rev()
        .find_map(|l| l.tree.get("type").and_then(Node::as_str));
    if let Some(layout) = doc_type.and_then(|t| layouts.for_type(t.trim())) {
        let mut problems = Vec::new();
        for l in chain.iter().chain(over) {
            problems.extend(crate::schema::check(&l.tree, Some(layout), layouts));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    let mut draft = Draft::default();
    let mut errors = Vec::new();
    for l in chain.iter().chain(over) {
        if let Err(e) = draft.apply(l) {
            errors.extend(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut plan = draft.validate(layouts)?;
    plan.sources = chain
        .iter()
        .chain(over)
        .map(|l| absolute(&l.file.path))
        .collect();
    Ok(plan)
}

/// The marker `vanban new` puts into fields a deriving office must fill (see `lint`).
pub const MARKER: &str = "«điền:";
