//! Layouts: one folder per model of Phụ lục III under `templates/`, described by its
//! `layout.toml` (the types it lays out, the plan keys it adds, which core parts it allows).
//! Parsing, validation, templating and `vanban new` all read the same description, so a new
//! model is a new folder and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use crate::diag::Diagnostic;

include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));

/// A built-in template file by its path under `templates/` (`ke-hoach/main.typ`).
pub fn builtin_file(path: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(n, _)| *n == path)
        .map(|(_, s)| *s)
}

/// What a plan key of a layout holds; it decides how the value is checked and how it reaches
/// the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One line of text (a template): a name, a time, a title.
    Line,
    /// A text or a list of texts, one printed line each.
    Lines,
    /// Body markup (`##`, `+`, `-`, `**`): parsed into numbered blocks.
    Body,
    /// `YYYY-MM-DD`, handed over in every form the decree prints.
    Date,
    Int,
    Bool,
    /// A table with fields of its own.
    Table,
    /// `[[…]]` entries `{ id, title, text }` numbered `Điều 1.`, merged by `id`.
    Articles,
    /// `[[…]]` entries `{ id, title, text }` numbered I., II. like the Kế hoạch's sections.
    Sections,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Line => "a text",
            Kind::Lines => "a text or a list of texts",
            Kind::Body => "a text (body markup)",
            Kind::Date => "a date \"YYYY-MM-DD\"",
            Kind::Int => "a whole number",
            Kind::Bool => "true or false",
            Kind::Table => "a table",
            Kind::Articles => "a list of [[…]] article tables",
            Kind::Sections => "a list of [[…]] section tables",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub kind: Kind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub doc: String,
    /// What `vanban new --type` writes for this key.
    #[serde(default)]
    pub example: Option<toml::Value>,
    /// The only values accepted (for a `line`), e.g. `verb`.
    #[serde(default)]
    pub values: Vec<String>,
    /// A `table`'s own keys.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
}

/// Whether a core part of a plan is allowed, and whether it must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    Required,
    #[default]
    Optional,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BasisPolicy {
    /// A running paragraph (the Kế hoạch's).
    Text,
    /// An array: one italic line each (Quyết định, Nghị quyết).
    List,
    #[default]
    Any,
    None,
}

fn yes() -> bool {
    true
}

/// A layout's `layout.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LayoutSpec {
    pub model: String,
    pub name: String,
    pub types: Vec<String>,
    #[serde(default)]
    pub addressees: Policy,
    #[serde(default)]
    pub basis: BasisPolicy,
    #[serde(default = "yes")]
    pub sections: bool,
    #[serde(default = "yes")]
    pub closing: bool,
    #[serde(default)]
    pub title: Policy,
    /// `title` is required unless this field is given (a Mẫu 1.3 Quyết định takes its
    /// trích yếu from the attached document).
    #[serde(default)]
    pub title_unless: Option<String>,
    #[serde(default = "required")]
    pub signer: Policy,
    #[serde(default = "yes")]
    pub date_line: bool,
    /// The Typst function `main.typ` calls (documentation for `vanban types`).
    #[serde(default)]
    pub entry: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
}

fn required() -> Policy {
    Policy::Required
}

/// A layout: its folder name, its description, and where its files come from.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The folder name (`cong-van`), also the name a plan's `template` may give.
    pub name: String,
    pub spec: LayoutSpec,
    /// A project folder overriding or adding this layout's files (`main.typ`, `lib.typ` …).
    pub project_dir: Option<std::path::PathBuf>,
}

impl Layout {
    /// The layout's Typst files, served to Typst as `/layout/<file>`: the project's copy of a
    /// file first, then the built-in one.
    pub fn typst_files(&self) -> Result<Vec<(String, String)>, Diagnostic> {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let prefix = format!("{}/", self.name);
        for (path, text) in BUILTIN_FILES {
            if let Some(rest) = path.strip_prefix(&prefix) {
                if rest.ends_with(".typ") && rest != "main.typ" {
                    files.insert(rest.to_string(), text.to_string());
                }
            }
        }
        if let Some(dir) = &self.project_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                Diagnostic::error("io", format!("cannot read {}: {e}", dir.display()))
            })?;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let path = e.path();
                if name.ends_with(".typ")
                    && name != "main.typ"
                    && path.is_file()
                    && crate::plan::inside_root(&path, dir)
                {
                    let text = crate::plan::read_limited(&path).map_err(|d| d.in_file(&path))?;
                    files.insert(name, text);
                }
            }
        }
        Ok(files.into_iter().collect())
    }

    /// The minijinja name of the layout's main template.
    pub fn main_template(&self) -> String {
        format!("{}/main.typ", self.name)
    }
}

fn parse_spec(name: &str, text: &str) -> Result<LayoutSpec, String> {
    toml::from_str(text).map_err(|e| format!("templates/{name}/layout.toml: {}", e.message()))
}

static BUILTIN: LazyLock<Vec<Arc<Layout>>> = LazyLock::new(|| {
    BUILTIN_FILES
        .iter()
        .filter_map(|(path, text)| {
            let name = path.strip_suffix("/layout.toml")?;
            // A malformed built-in layout is a bug of this build; the test suite parses them all.
            let spec = parse_spec(name, text).unwrap_or_else(|e| panic!("{e}"));
            Some(Arc::new(Layout {
                name: name.to_string(),
                spec,
                project_dir: None,
            }))
        })
        .collect()
});

/// The layouts of a run: the built-in ones, overridden or extended by a project's folders.
#[derive(Debug, Clone)]
pub struct Layouts {
    pub all: Vec<Arc<Layout>>,
    /// Plan files parsed against these layouts, by path: every document of a batch extends the
    /// same province plan, which is then parsed once (a changed file is parsed again).
    parsed: Arc<std::sync::Mutex<std::collections::HashMap<PathBuf, crate::plan::Layer>>>,
}

/// How many parsed plan files [`Layouts`] keeps (parents of a run; a batch has a handful).
const PARSED_LAYERS: usize = 64;

impl Default for Layouts {
    fn default() -> Self {
        Layouts {
            all: BUILTIN.clone(),
            parsed: Default::default(),
        }
    }
}

impl Layouts {
    /// The layer parsed earlier from the same file with the same text.
    pub fn parsed_layer(&self, file: &crate::diag::SourceFile) -> Option<crate::plan::Layer> {
        let parsed = self.parsed.lock().ok()?;
        parsed
            .get(&file.path)
            .filter(|l| l.file.text == file.text)
            .cloned()
    }

    pub fn keep_layer(&self, layer: &crate::plan::Layer) {
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= PARSED_LAYERS {
                parsed.clear();
            }
            parsed.insert(layer.file.path.clone(), layer.clone());
        }
    }

    /// The built-in layouts with a project's `templates/<name>/` folders applied: a folder with
    /// a `layout.toml` defines (or redefines) a layout; one without only overrides files.
    pub fn with_project(dir: Option<&Path>) -> Result<Layouts, Diagnostic> {
        let mut layouts = Layouts::default();
        let Some(dir) = dir else {
            return Ok(layouts);
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(layouts);
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            if !path.is_dir() || !crate::plan::inside_root(&path, dir) {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            let spec_path = path.join("layout.toml");
            let existing = layouts.all.iter().position(|l| l.name == name);
            let spec = if spec_path.is_file() {
                let text =
                    crate::plan::read_limited(&spec_path).map_err(|d| d.in_file(&spec_path))?;
                // A project that carries the built-in layouts (this repository does) has the
                // same text: its parsed spec is already here.
                let same = existing.filter(|_| {
                    builtin_file(&format!("{name}/layout.toml")) == Some(text.as_str())
                });
                if let Some(i) = same {
                    Some(layouts.all[i].spec.clone())
                } else {
                    Some(toml::from_str::<LayoutSpec>(&text).map_err(|e| {
                        let file = crate::diag::SourceFile::new(&spec_path, text.clone());
                        crate::plan::toml_diag(&file, &e)
                    })?)
                }
            } else {
                None
            };
            match (spec, existing) {
                (Some(spec), Some(i)) => {
                    layouts.all[i] = Arc::new(Layout {
                        name,
                        spec,
                        project_dir: Some(path),
                    })
                }
                (Some(spec), None) => {
                    // A project layout claims its types before the built-in ones.
                    layouts.all.insert(
                        0,
                        Arc::new(Layout {
                            name,
                            spec,
                            project_dir: Some(path),
                        }),
                    )
                }
                (None, Some(i)) => {
                    let mut l = (*layouts.all[i]).clone();
                    l.project_dir = Some(path);
                    layouts.all[i] = Arc::new(l);
                }
                (None, None) => {}
            }
        }
        Ok(layouts)
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<Layout>> {
        self.all.iter().find(|l| l.name == name)
    }

    /// The layout that lays out a document type.
    pub fn for_type(&self, key: &str) -> Option<&Arc<Layout>> {
        self.all
            .iter()
            .find(|l| l.spec.types.iter().any(|t| t == key))
    }

    /// Every key any layout adds, for checking a plan whose type is not known yet.
    pub fn all_fields(&self) -> BTreeMap<String, FieldSpec> {
        let mut out = BTreeMap::new();
        for l in &self.all {
            for (k, f) in &l.spec.fields {
                out.entry(k.clone()).or_insert_with(|| f.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_layout_parses_and_every_type_has_one() {
        let layouts = Layouts::default();
        assert!(layouts.all.len() >= 9, "{} layouts", layouts.all.len());
        for t in crate::doctype::TYPES.iter() {
            assert!(layouts.for_type(t.key).is_some(), "no layout for {}", t.key);
        }
        for l in &layouts.all {
            assert!(
                builtin_file(&l.main_template()).is_some(),
                "{} has no main.typ",
                l.name
            );
            for t in &l.spec.types {
                assert!(
                    crate::doctype::lookup(t).is_some(),
                    "{}: unknown type {t}",
                    l.name
                );
            }
        }
    }
}
