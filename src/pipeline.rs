//! One document from plan to bytes: validate → render texts → generate Typst → typeset →
//! export. Split in steps so a batch can prepare documents in parallel and so `check` can
//! stop before typesetting.

use std::path::{Path, PathBuf};

use typst_layout::PagedDocument;

use crate::diag::Diagnostic;
use crate::export::{self, Format};
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
}

impl Settings {
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
    pub layout: String,
    pub template: String,
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
    if let Some((n, d)) = &settings.issue {
        plan.number = crate::plan::Number::Issued(*n);
        plan.date = crate::plan::Text {
            value: format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            ..plan.date.clone()
        };
    }
}

/// Renders a plan to Typst source.
pub fn prepare(plan: &Plan, settings: &Settings, ident: &str) -> Result<Prepared, Vec<Diagnostic>> {
    let text_env = render::text_env();
    let doc = render::document(plan, &text_env)?;
    let env = render::doc_env(settings.templates.clone());
    let (source, spans) = render::typst_source(&env, &plan.template, &doc).map_err(|d| vec![d])?;
    let layout = layout_library(settings).map_err(|d| vec![d])?;
    Ok(Prepared {
        doc,
        source,
        spans,
        layout,
        template: plan.template.clone(),
        ident: ident.to_string(),
    })
}

/// The Typst layout library: the project's `templates/nd30.typ` if it has one, else built in.
pub fn layout_library(settings: &Settings) -> Result<String, Diagnostic> {
    if let Some(dir) = &settings.templates {
        let p = dir.join("nd30.typ");
        if p.is_file() {
            return std::fs::read_to_string(&p).map_err(|e| {
                Diagnostic::error("io", format!("cannot read {}: {e}", p.display())).in_file(&p)
            });
        }
    }
    Ok(render::builtin("nd30.typ").unwrap_or_default().to_string())
}

/// Typesets a prepared document, after checking the fonts can draw every character.
pub fn typeset(engine: &Engine, p: &Prepared) -> Result<PagedDocument, Vec<Diagnostic>> {
    if !engine.fonts.has_family(typeset::FAMILY) {
        return Err(vec![Diagnostic::error(
            "font",
            "the embedded font Liberation Serif is missing",
        )]);
    }
    let today = typeset::datetime(p.doc.issued.or(p.doc.year.map(|y| Date {
        year: y,
        month: 1,
        day: 1,
    })));
    typeset::compile(engine, &p.source, &p.layout, today)
        .map_err(|errors| typeset::to_diagnostics(&errors, &p.spans, &p.template))
}

/// Bytes of the requested format.
pub fn output(engine: &Engine, p: &Prepared, format: Format) -> Result<Vec<u8>, Vec<Diagnostic>> {
    if format == Format::Typ {
        return Ok(p.source.clone().into_bytes());
    }
    let doc = typeset(engine, p)?;
    match format {
        Format::Pdf => export::pdf(&doc, &p.ident).map_err(|d| vec![d]),
        Format::Png => export::png(&doc).map_err(|d| vec![d]),
        Format::Typ => unreachable!("handled above"),
    }
}

/// Loads, prepares and renders one plan file to bytes (the library's one-call entry point).
pub fn build_file(
    engine: &Engine,
    path: &Path,
    settings: &Settings,
    format: Format,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut plan = crate::plan::load(path, &settings.root)?;
    apply_settings(&mut plan, settings);
    let ident = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prepared = prepare(&plan, settings, &ident)?;
    output(engine, &prepared, format)
}
