//! Templating: plan texts are minijinja templates over the plan's variables, and the document
//! templates (`templates/*.typ`) turn the rendered plan into Typst source.
//!
//! Plan text never becomes Typst markup: the `.typ` templates use an auto-escape mode whose
//! formatter prints every value as a Typst *value literal* (`"…"`, `(…)`, `(key: …)`), so the
//! layout library receives strings and only ever shows them as text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use crate::diag::{Diagnostic, Loc, SourceFile};
use crate::markup::{self, Block, MarkupError};
use crate::plan::{IssueDate, Number, Plan, Text};
use crate::vietnamese::{self, Date};

/// Steps a single plan text may take: a plan is data, and `{% for %}` nests must not hang.
const TEXT_FUEL: u64 = 1_000_000;
/// Steps a document template (built-in or the project's) may take.
pub const DOC_TEMPLATE_FUEL: u64 = 20_000_000;
/// Longest single-line field (title, names, recipients …) accepted.
const MAX_LINE_CHARS: usize = 1000;
/// Longest rendered text accepted for one field.
const MAX_TEXT_CHARS: usize = 400_000;

/// A built-in template by its minijinja name: `ke-hoach.typ` is the main template of the
/// `ke-hoach` layout folder (the name plans and project templates have always used).
pub fn builtin(name: &str) -> Option<&'static str> {
    crate::layout::builtin_file(name).or_else(|| {
        let layout = name.strip_suffix(".typ")?;
        crate::layout::builtin_file(&format!("{layout}/main.typ"))
    })
}

fn date_arg(v: &Value) -> Result<Date, minijinja::Error> {
    let s = v.to_string();
    Date::parse(s.trim()).map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e))
}

fn add_filters(env: &mut Environment<'static>) {
    env.add_filter("date", |v: Value| date_arg(&v).map(|d| d.short()));
    env.add_filter("long_date", |v: Value| date_arg(&v).map(|d| d.long()));
    env.add_filter("weekday", |v: Value| {
        date_arg(&v).map(|d| d.weekday().to_string())
    });
    env.add_filter("upper", |v: String| vietnamese::upper(&v));
    env.add_filter("slug", |v: String| vietnamese::slug(&v));
    env.add_filter("pad", |v: Value| -> Result<String, minijinja::Error> {
        let text = v.to_string();
        text.trim()
            .parse::<u64>()
            .map(vietnamese::pad_number)
            .map_err(|_| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("`pad` needs a whole number, got `{text}`"),
                )
            })
    });
}

/// The environment for plan texts: no loader (plans cannot include files), strict undefined
/// (a misspelt variable is an error, not an empty string), limited fuel.
pub fn text_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEXT_FUEL));
    env.set_recursion_limit(50);
    add_filters(&mut env);
    env
}

/// Writes a minijinja value as a Typst expression.
pub fn typst_literal(out: &mut String, v: &Value) -> Result<(), minijinja::Error> {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("none"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if let Some(i) = v.as_i64() {
                let _ = write!(out, "{i}");
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(0.0);
                if f.is_finite() {
                    let _ = write!(out, "{f:?}");
                } else {
                    out.push_str("none");
                }
            }
        }
        ValueKind::String => typst_string(out, v.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('(');
            for item in v.try_iter()? {
                typst_literal(out, &item)?;
                out.push_str(", ");
            }
            out.push(')');
        }
        ValueKind::Map => {
            out.push('(');
            let mut any = false;
            let mut pair = |out: &mut String, key: &Value, value: &Value| {
                any = true;
                match key.as_str() {
                    Some(k) => typst_string(out, k),
                    None => typst_string(out, &key.to_string()),
                }
                out.push_str(": ");
                typst_literal(out, value)?;
                out.push_str(", ");
                Ok::<(), minijinja::Error>(())
            };
            match v.as_object().and_then(|o| o.try_iter_pairs()) {
                Some(pairs) => {
                    for (key, value) in pairs {
                        pair(out, &key, &value)?;
                    }
                }
                None => {
                    for key in v.try_iter()? {
                        pair(out, &key, &v.get_item(&key)?)?;
                    }
                }
            }
            if !any {
                out.push(':');
            }
            out.push(')');
        }
        _ => typst_string(out, &v.to_string()),
    }
    Ok(())
}

/// How long a value's literal must be for [`typst_source_and_literals`] to hand it back: a
/// section's blocks, the whole document (a few KB each), not a name or a date.
const LONG_LITERAL: usize = 256;

thread_local! {
    /// The long literals the document template being rendered on this thread wrote, in order.
    static LONG_LITERALS: std::cell::RefCell<Option<Vec<String>>> =
        const { std::cell::RefCell::new(None) };
}

/// A value in a document template: its Typst literal, noted down when it is long.
fn typst_value(out: &mut String, v: &Value) -> Result<(), minijinja::Error> {
    typst_literal(out, v)?;
    if out.len() >= LONG_LITERAL {
        LONG_LITERALS.with(|l| {
            if let Some(list) = l.borrow_mut().as_mut() {
                list.push(out.clone());
            }
        });
    }
    Ok(())
}

/// A Typst string literal: only `\`, `"` and control characters need escaping inside one.
/// Runs of other characters are copied whole (a document's source is mostly such runs).
pub fn typst_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '\\' => "\\\\",
            '"' => "\\\"",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c.is_control() => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push_str(esc);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// An environment for templates that write another language: templates named `*.<ext>`
/// escape every value through `escape` (a Typst literal, XML text), so plan text stays data.
/// It has the document-template step limit (a project's template is code the user wrote: a
/// loop in it must end; the built-in ones take a few thousand steps for a long plan) and the
/// block-trimming syntax both kinds of template are written in.
pub fn escaping_env(
    ext: &'static str,
    keep_trailing_newline: bool,
    escape: fn(&mut String, &Value) -> Result<(), minijinja::Error>,
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(DOC_TEMPLATE_FUEL));
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(keep_trailing_newline)
            .build()
            .expect("the built-in syntax configuration is valid"),
    );
    let suffix = format!(".{ext}");
    env.set_auto_escape_callback(move |name| {
        if name.ends_with(&suffix) {
            AutoEscape::Custom(ext.into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(move |out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(n) if n == ext) && !value.is_safe() {
            let mut s = String::new();
            escape(&mut s, value)?;
            out.write_str(&s)
                .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string()))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env
}

/// The environment for document templates: the loader serves built-in templates and, when a
/// project folder is given, same-named files there first (names are checked to stay inside).
pub fn doc_env(project_templates: Option<PathBuf>) -> Environment<'static> {
    let mut env = escaping_env("typ", true, typst_value);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    add_filters(&mut env);
    env.set_loader(move |name| {
        if let Some(dir) = &project_templates {
            if let Some(path) = project_template(dir, name) {
                return crate::plan::read_limited(&path)
                    .map(Some)
                    .map_err(|d| minijinja::Error::new(ErrorKind::TemplateNotFound, d.message));
            }
        }
        let builtin_name = name.strip_prefix("builtin/").unwrap_or(name);
        Ok(builtin(builtin_name).map(|s| s.to_string()))
    });
    env
}

/// The project file a template name stands for: `x.typ`, or the layout folder's `x/main.typ`.
pub fn project_template(dir: &Path, name: &str) -> Option<PathBuf> {
    let direct = template_path(dir, name).filter(|p| p.is_file());
    direct.or_else(|| {
        let layout = name.strip_suffix(".typ")?;
        template_path(dir, &format!("{layout}/main.typ")).filter(|p| p.is_file())
    })
}

/// A template name as a path inside `dir`, or `None` if the name tries to leave it.
pub fn template_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if name.is_empty()
        || p.is_absolute()
        || name.contains('\\')
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let path = dir.join(p);
    // A link inside the templates folder must not lead outside it.
    crate::plan::inside_root(&path, dir).then_some(path)
}

// ---------------------------------------------------------------------------------------------
// The document model handed to templates.

#[derive(Debug, Clone, Serialize)]
pub struct DocTypeInfo {
    pub key: String,
    pub name: String,
    pub abbrev: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Issuer {
    /// Superior body lines, uppercased, printed regular.
    pub parent: Vec<String>,
    /// Issuing body lines, uppercased, printed bold.
    pub name: Vec<String>,
    pub abbrev: String,
    pub place: String,
    /// The name as typed, in one line, for running text ("Sở Giáo dục và Đào tạo trân trọng
    /// kính mời: …").
    pub text: String,
}

/// Ô 10a, 10b, 11: the secrecy and urgency marks and the circulation note.
#[derive(Debug, Clone, Serialize)]
pub struct Marks {
    pub urgency: Option<String>,
    pub secrecy: Option<String>,
    pub circulation: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DateLine {
    pub place: String,
    /// `None` = blank for the clerk to fill in.
    pub day: Option<String>,
    pub month: Option<String>,
    pub year: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionOut {
    pub id: Option<String>,
    pub label: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A Phụ lục (Mẫu 2.1), printed on new pages after the document.
#[derive(Debug, Clone, Serialize)]
pub struct AppendixOut {
    pub id: Option<String>,
    /// `Phụ lục`, or `Phụ lục I`, `Phụ lục II` … when there are several (Phụ lục I, III.1.a).
    pub label: String,
    /// Uppercased, as the decree prints it (III.1.b).
    pub title: String,
    pub blocks: Vec<Block>,
    /// A landscape A4 page for a wide table (Phụ lục I, I.2 allows it for tables).
    pub landscape: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    pub authority: Vec<String>,
    pub title: String,
    pub name: String,
    pub seal_mm: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipients {
    /// Lines printed after "- ", each ending with ";".
    pub to: Vec<String>,
    /// The closing "Lưu: VT, … ." line without its dash.
    pub archive: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub title: String,
    pub author: String,
    pub subject: String,
}

/// Everything a document template needs, already rendered, NFC, numbered and uppercased
/// where the decree wants capitals.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub doctype: DocTypeInfo,
    /// The same as `doctype`, under the name layouts read (`doc.type.name`).
    #[serde(rename = "type")]
    pub type_info: DocTypeInfo,
    pub issuer: Issuer,
    /// Padded number (`05`, `235`) or `None` for a draft.
    pub number: Option<String>,
    pub symbol: String,
    pub date: DateLine,
    pub title: String,
    pub basis: Vec<Block>,
    /// `basis` as an array: the lines as typed, without their final `;` or `.`.
    pub basis_list: Vec<String>,
    pub sections: Vec<SectionOut>,
    pub closing: Vec<Block>,
    /// Phụ lục, after the signer block; the `(Kèm theo …)` line is built from the document.
    pub appendices: Vec<AppendixOut>,
    pub signer: Signer,
    pub recipients: Recipients,
    pub marks: Marks,
    /// Ô 13: address, telephone … at the foot of page 1.
    pub contact: Option<String>,
    /// Kính gửi, as typed, without the final `;` or `.`.
    pub addressees: Vec<String>,
    /// The layout's own fields, rendered by kind (see `templates/README.md`).
    pub fields: serde_json::Value,
    pub meta: Meta,
    /// The plan's variables, for templates that want them.
    pub vars: BTreeMap<String, toml::Value>,
    /// The issue date if any, `YYYY-MM-DD`; used for `today()` and PDF timestamps.
    #[serde(skip)]
    pub issued: Option<Date>,
    #[serde(skip)]
    pub year: Option<i32>,
}

impl Document {
    /// The date the document stands for: the issue date, else 1 January of its year (a draft).
    /// Used for Typst's `today()` and the PDF/A creation date, never the clock.
    pub fn edition_date(&self) -> Option<Date> {
        self.issued.or(self.year.map(|year| Date {
            year,
            month: 1,
            day: 1,
        }))
    }
}

/// Renders every plan text with the plan's variables and builds the document model. All
/// problems are collected so the user sees them together.
pub fn document(plan: &Plan, env: &Environment<'static>) -> Result<Document, Vec<Diagnostic>> {
    let errors = std::cell::RefCell::new(Vec::new());
    let ctx = context(plan);
    let r = |t: &Text, field: &str| -> String {
        let out = render_text(env, t, &ctx, field, &mut errors.borrow_mut());
        // Header, title and signer texts are single lines of a page; a runaway value there
        // would only make Typst's line breaking crawl.
        let body = field == "basis" || field == "closing" || field.ends_with(".text");
        let n = out.chars().count();
        if !body && n > MAX_LINE_CHARS {
            errors.borrow_mut().push(
                Diagnostic::error(
                    "too-long",
                    format!(
                        "`{field}` is {n} characters long; at most {MAX_LINE_CHARS} fit this place"
                    ),
                )
                .at_opt(t.loc.clone())
                .hint("shorten it; long content belongs in the body (basis, sections, closing)"),
            );
            return String::new();
        }
        out
    };

    let date_text = r(&plan.date, "date");
    let issue_date = match IssueDate::parse(&date_text) {
        // A blank date is a draft of the edition year: a date line without a year is not a
        // date line (a Biên bản has none, and needs none).
        Ok(IssueDate::Blank) if plan.layout.spec.date_line => {
            match plan
                .vars
                .get("year")
                .map(|y| y.to_string().trim_matches('"').to_string())
            {
                Some(y) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(IssueDate::Year(y))
                }
                _ => {
                    errors.borrow_mut().push(
                        Diagnostic::error("bad-date", "`date` is empty: the date line needs at least the year")
                            .at_opt(plan.date.loc.clone())
                            .in_file(&plan.file.path)
                            .hint("write date = \"{{ year }}\" with [vars] year = 2025 for a draft, or the issue date \"YYYY-MM-DD\""),
                    );
                    None
                }
            }
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.borrow_mut().push(
                Diagnostic::error("bad-date", format!("`date`: {e}"))
                    .at_opt(plan.date.loc.clone())
                    .hint(
                        "e.g. date = \"2024-09-25\" when issued, date = \"{{ year }}\" for a draft",
                    ),
            );
            None
        }
    };
    let place = r(&plan.place, "issuer.place");
    let abbrev = r(&plan.abbrev, "issuer.abbrev");
    let name_as_typed: Vec<String> = plan.name.iter().map(|t| r(t, "issuer.name")).collect();
    let name: Vec<String> = name_as_typed.iter().map(|n| vietnamese::upper(n)).collect();
    let parent: Vec<String> = plan
        .parent
        .iter()
        .map(|t| vietnamese::upper(&r(t, "issuer.parent")))
        .collect();
    let symbol = match &plan.symbol {
        Some(s) if !s.value.trim().is_empty() => r(s, "symbol"),
        _ => {
            // A Công văn's symbol names the drafting unit instead of a type: SGDĐT-GDTX.
            let unit = plan
                .extras
                .get("unit")
                .and_then(|u| u.text())
                .map(|t| r(&t, "unit"))
                .filter(|u| !u.trim().is_empty());
            match unit {
                Some(u) => format!("{}-{}", plan.doc_type.symbol(&abbrev), u.trim()),
                None => plan.doc_type.symbol(&abbrev),
            }
        }
    };
    let title = r(&plan.title, "title");
    // Body markup with the plan's numbering; `section` is the number of the section a text
    // belongs to.
    let body = |t: &Text, field: &str, section: Option<usize>| -> Vec<Block> {
        let text = r(t, field);
        let parsed = markup::parse_levels(&text, &plan.levels, section);
        markup_blocks(t, &text, field, parsed, &mut errors.borrow_mut())
    };
    let basis = body(&plan.basis, "basis", None);
    let closing = body(&plan.closing, "closing", None);
    let basis_list: Vec<String> = plan
        .basis_list
        .iter()
        .map(|t| bare_line(&r(t, "basis")))
        .filter(|l| !l.is_empty())
        .collect();
    let addressees: Vec<String> = plan
        .addressees
        .iter()
        .map(|t| bare_line(&r(t, "addressees")))
        .filter(|l| !l.is_empty())
        .collect();
    let circulation = plan.circulation.as_ref().map(|t| r(t, "circulation"));
    let contact = plan.contact.as_ref().map(|t| r(t, "contact"));
    let fields = {
        let mut errs = errors.borrow_mut();
        let mut fr = FieldRenderer {
            env,
            ctx: &ctx,
            levels: &plan.levels,
            errors: &mut errs,
        };
        fr.table(&plan.extras, &plan.layout.spec.fields, "")
    };
    let mut sections = Vec::new();
    for (i, s) in plan.sections.iter().enumerate() {
        let field = format!(
            "sections[{}]",
            s.id.clone().unwrap_or_else(|| i.to_string())
        );
        let title = r(&s.title, &format!("{field}.title"));
        sections.push(SectionOut {
            id: s.id.clone(),
            label: plan.levels.section_label(i + 1),
            title: if plan.levels.upper_sections() {
                vietnamese::upper(&title)
            } else {
                title
            },
            blocks: body(&s.text, &format!("{field}.text"), Some(i + 1)),
        });
    }
    let mut appendices = Vec::new();
    for (i, a) in plan.appendices.iter().enumerate() {
        let field = format!(
            "appendices[{}]",
            a.id.clone().unwrap_or_else(|| i.to_string())
        );
        appendices.push(AppendixOut {
            id: a.id.clone(),
            label: if plan.appendices.len() > 1 {
                format!("Phụ lục {}", vietnamese::roman(i + 1))
            } else {
                "Phụ lục".to_string()
            },
            title: vietnamese::upper(&r(&a.title, &format!("{field}.title"))),
            blocks: body(&a.text, &format!("{field}.text"), None),
            landscape: a.landscape,
        });
    }
    let signer = Signer {
        authority: plan
            .authority
            .iter()
            .map(|t| vietnamese::upper(&r(t, "signer.authority")))
            .collect(),
        title: vietnamese::upper(&r(&plan.signer_title, "signer.title")),
        name: r(&plan.signer_name, "signer.name"),
        seal_mm: plan.seal_mm,
    };
    let to: Vec<String> = plan
        .to
        .iter()
        .map(|t| recipient_line(&r(t, "recipients.to")))
        .collect();
    let archive_units: Vec<String> = plan
        .archive
        .iter()
        .map(|t| r(t, "recipients.archive"))
        .collect();
    let drafter = plan.drafter.as_ref().map(|d| r(d, "recipients.drafter"));
    let mut archive = format!("Lưu: {}", archive_units.join(", "));
    match (&drafter, plan.copies) {
        (Some(d), Some(c)) => {
            let _ = write!(archive, " ({d}-{c}b)");
        }
        (Some(d), None) => {
            let _ = write!(archive, " ({d})");
        }
        (None, Some(c)) => {
            let _ = write!(archive, " ({c}b)");
        }
        (None, None) => {}
    }
    archive.push('.');

    let errors = errors.into_inner();
    if !errors.is_empty() {
        return Err(errors);
    }
    let (day, month, year, issued) = match issue_date {
        Some(IssueDate::Issued(d)) => (
            Some(vietnamese::pad_day(d.day)),
            Some(vietnamese::pad_month(d.month)),
            Some(d.year.to_string()),
            Some(d),
        ),
        Some(IssueDate::Year(y)) => (None, None, Some(y), None),
        _ => (None, None, None, None),
    };
    let number = match plan.number {
        Number::Blank => None,
        Number::Issued(n) => Some(vietnamese::pad_number(n)),
    };
    let type_info = DocTypeInfo {
        key: plan.doc_type.key.to_string(),
        name: plan.doc_type.name.to_string(),
        abbrev: plan.doc_type.abbrev.to_string(),
    };
    // A document without trích yếu (Giấy giới thiệu …) is titled by what it issues or its type.
    let meta_title = if !title.trim().is_empty() {
        title.clone()
    } else {
        let attached = fields
            .get("attachment")
            .and_then(|a| a.get("title"))
            .and_then(|t| t.as_str());
        let verb = fields
            .get("verb")
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .unwrap_or("Ban hành");
        match attached {
            Some(t) if !t.trim().is_empty() => format!("{verb} {t}"),
            _ => vietnamese::sentence_case(plan.doc_type.name),
        }
    };
    // The PDF's author is the issuing body as written in running text ("Ủy ban nhân dân tỉnh
    // Đắk Lắk"), not the uppercased header lines.
    let author = name_as_typed.join(" ");
    Ok(Document {
        doctype: type_info.clone(),
        type_info,
        issuer: Issuer {
            parent,
            name,
            abbrev,
            place: place.clone(),
            text: author.clone(),
        },
        number,
        symbol,
        year: year.as_deref().and_then(|y| y.parse().ok()),
        date: DateLine {
            place,
            day,
            month,
            year,
        },
        meta: Meta {
            title: meta_title,
            author,
            subject: plan.doc_type.name.to_string(),
        },
        title,
        basis,
        basis_list,
        sections,
        closing,
        appendices,
        signer,
        recipients: Recipients { to, archive },
        marks: Marks {
            urgency: plan.urgency.map(|u| u.printed().to_string()),
            secrecy: plan.secrecy.map(|s| s.printed().to_string()),
            circulation,
        },
        contact,
        addressees,
        fields,
        vars: plan.vars.clone(),
        issued,
    })
}

/// A list line without the punctuation the layout adds (`;` between, `.` at the end).
fn bare_line(s: &str) -> String {
    s.trim()
        .trim_end_matches([';', '.', ','])
        .trim_end()
        .to_string()
}

/// Renders a layout's own fields by their kind into the values `templates/README.md` lists.
struct FieldRenderer<'a> {
    env: &'a Environment<'static>,
    ctx: &'a Value,
    /// The plan's numbering, for the layout's `body` fields.
    levels: &'a markup::Levels,
    errors: &'a mut Vec<Diagnostic>,
}

/// What a body text is parsed as.
#[derive(Clone, Copy)]
enum BodyKind {
    /// A layout `body` field, numbered with the plan's levels.
    Body,
    /// An article: khoản and điểm.
    Articles,
    /// Section `n` of an attached document, which keeps the default numbering.
    Section(usize),
}

impl FieldRenderer<'_> {
    fn text(&mut self, node: &crate::tree::Node, field: &str) -> String {
        match node.text() {
            Some(t) => render_text(self.env, &t, self.ctx, field, self.errors),
            None => String::new(),
        }
    }

    fn blocks(&mut self, node: &crate::tree::Node, field: &str, kind: BodyKind) -> Vec<Block> {
        let Some(t) = node.text() else {
            return Vec::new();
        };
        let text = render_text(self.env, &t, self.ctx, field, self.errors);
        let parsed = match kind {
            BodyKind::Body => markup::parse_levels(&text, self.levels, None),
            BodyKind::Articles => markup::parse_articles(&text),
            BodyKind::Section(n) => {
                markup::parse_levels(&text, &markup::Levels::default(), Some(n))
            }
        };
        markup_blocks(&t, &text, field, parsed, self.errors)
    }

    fn table(
        &mut self,
        node: &crate::tree::Node,
        specs: &BTreeMap<String, crate::layout::FieldSpec>,
        path: &str,
    ) -> serde_json::Value {
        use crate::layout::Kind;
        use serde_json::Value as J;
        let mut map = serde_json::Map::new();
        for (key, spec) in specs {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let value = match node.get(key) {
                None => match spec.kind {
                    Kind::Lines | Kind::Body | Kind::Articles | Kind::Sections => {
                        J::Array(Vec::new())
                    }
                    Kind::Table => self.table(
                        &crate::tree::Node::empty_table(&node.file),
                        &spec.fields,
                        &field,
                    ),
                    _ => J::Null,
                },
                Some(v) => match spec.kind {
                    Kind::Line => {
                        let s = self.text(v, &field);
                        if s.chars().count() > MAX_LINE_CHARS {
                            self.errors.push(
                                Diagnostic::error("too-long", format!("`{field}` is {} characters long; at most {MAX_LINE_CHARS} fit this place", s.chars().count()))
                                    .at(v.loc()),
                            );
                        }
                        J::String(s)
                    }
                    Kind::Lines => J::Array(
                        v.texts()
                            .unwrap_or_default()
                            .iter()
                            .map(|t| {
                                J::String(render_text(self.env, t, self.ctx, &field, self.errors))
                            })
                            .collect(),
                    ),
                    Kind::Body => json(&self.blocks(v, &field, BodyKind::Body)),
                    Kind::Date => {
                        let s = self.text(v, &field);
                        match Date::parse(s.trim()) {
                            Ok(d) => serde_json::json!({
                                "iso": format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
                                "short": d.short(),
                                "long": d.long(),
                                "day": vietnamese::pad_day(d.day),
                                "month": vietnamese::pad_month(d.month),
                                "year": d.year.to_string(),
                                "weekday": d.weekday().to_string(),
                            }),
                            Err(e) if s.trim().is_empty() => {
                                let _ = e;
                                J::Null
                            }
                            Err(e) => {
                                self.errors.push(
                                    Diagnostic::error("bad-date", format!("`{field}`: {e}"))
                                        .at(v.loc())
                                        .hint(
                                            "write the date as \"YYYY-MM-DD\", e.g. \"2024-10-01\"",
                                        ),
                                );
                                J::Null
                            }
                        }
                    }
                    Kind::Int => match v.val {
                        crate::tree::Val::Int(i) => J::from(i),
                        _ => J::Null,
                    },
                    Kind::Bool => match v.val {
                        crate::tree::Val::Bool(b) => J::Bool(b),
                        _ => J::Null,
                    },
                    Kind::Table => {
                        let mut t = self.table(v, &spec.fields, &field);
                        // A table naming a document type (an attached Quy chế …) gets its
                        // printed name, as the decree writes it.
                        if let (J::Object(m), Some(key)) =
                            (&mut t, v.get("type").and_then(|x| x.as_str()))
                        {
                            if let Some(d) = crate::doctype::lookup(key.trim()) {
                                m.insert("type_name".into(), J::String(d.name.to_string()));
                                m.insert("type_abbrev".into(), J::String(d.abbrev.to_string()));
                            }
                        }
                        t
                    }
                    Kind::Articles | Kind::Sections => {
                        let items = match &v.val {
                            crate::tree::Val::Array(items) => items.clone(),
                            _ => Vec::new(),
                        };
                        let mut out = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            let n = i + 1;
                            let id = item.get("id").and_then(|x| x.as_str()).map(str::to_string);
                            let name =
                                format!("{field}[{}]", id.clone().unwrap_or_else(|| n.to_string()));
                            let title = item
                                .get("title")
                                .map(|t| self.text(t, &format!("{name}.title")))
                                .filter(|t| !t.trim().is_empty());
                            let kind = if spec.kind == Kind::Articles {
                                BodyKind::Articles
                            } else {
                                BodyKind::Section(n)
                            };
                            let blocks = item
                                .get("text")
                                .map(|t| self.blocks(t, &format!("{name}.text"), kind))
                                .unwrap_or_default();
                            out.push(if spec.kind == Kind::Articles {
                                serde_json::json!({
                                    "id": id,
                                    "number": n,
                                    "label": format!("Điều {n}."),
                                    "title": title,
                                    "blocks": json(&blocks),
                                })
                            } else {
                                serde_json::json!({
                                    "id": id,
                                    "label": format!("{}.", vietnamese::roman(n)),
                                    "title": title.map(|t| vietnamese::upper(&t)),
                                    "blocks": json(&blocks),
                                })
                            });
                        }
                        J::Array(out)
                    }
                },
            };
            map.insert(key.clone(), value);
        }
        J::Object(map)
    }
}

/// The blocks of a parsed body text, or nothing with its errors reported at the plan file: a
/// malformed table is never printed as text.
fn markup_blocks(
    t: &Text,
    rendered: &str,
    field: &str,
    parsed: Result<Vec<Block>, Vec<MarkupError>>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Block> {
    match parsed {
        Ok(blocks) => blocks,
        Err(found) => {
            for e in found {
                let (loc, note) = markup_loc(t, rendered, e.offset);
                let mut d = Diagnostic::error("table", format!("`{field}`: {}", e.message))
                    .at_opt(loc)
                    .hint(e.hint);
                if let Some(n) = note {
                    d = d.note(n);
                }
                errors.push(d);
            }
            Vec::new()
        }
    }
}

fn has_template_code(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Where an offset of a rendered body text lies in the plan file. Without template code the
/// rendered text is the value (NFC and tab → space keep every offset), so the offset maps
/// exactly; with it, the same line of the value when templating kept the line count (a
/// `{{ year }}` does), else the field itself with the rendered line in a note.
fn markup_loc(t: &Text, rendered: &str, offset: usize) -> (Option<Loc>, Option<String>) {
    if !has_template_code(&t.value) {
        return (t.loc_at(offset), None);
    }
    let line = rendered[..offset.min(rendered.len())].matches('\n').count();
    let src: Vec<(usize, &str)> = {
        let mut at = 0;
        t.value
            .split_inclusive('\n')
            .map(|l| {
                let x = (at, l);
                at += l.len();
                x
            })
            .collect()
    };
    if src.len() == rendered.split_inclusive('\n').count() {
        if let Some((at, l)) = src.get(line) {
            let indent = l.len() - l.trim_start().len();
            return (t.loc_at(at + indent), None);
        }
    }
    (
        t.loc.clone(),
        Some(format!("in line {} of the text as rendered", line + 1)),
    )
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A recipient as printed: "X;" unless the user already ended it.
fn recipient_line(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(';') || s.ends_with('.') || s.ends_with(':') {
        s.to_string()
    } else {
        format!("{s};")
    }
}

/// The values plan texts can use: the variables at top level, and the plan's own fields.
pub fn context(plan: &Plan) -> Value {
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in &plan.vars {
        map.insert(k.clone(), Value::from(minijinja::value::Serde(v)));
    }
    let list = |v: &[Text]| Value::from(v.iter().map(|t| t.value.clone()).collect::<Vec<_>>());
    let mut issuer = BTreeMap::new();
    issuer.insert("name".to_string(), list(&plan.name));
    issuer.insert("parent".to_string(), list(&plan.parent));
    issuer.insert("abbrev".to_string(), Value::from(plan.abbrev.value.clone()));
    issuer.insert("place".to_string(), Value::from(plan.place.value.clone()));
    map.entry("issuer".into())
        .or_insert_with(|| Value::from(issuer));
    map.entry("type".into())
        .or_insert_with(|| Value::from(plan.doc_type.key));
    map.entry("doctype".into())
        .or_insert_with(|| Value::from(plan.doc_type.name));
    let mut signer = BTreeMap::new();
    signer.insert(
        "name".to_string(),
        Value::from(plan.signer_name.value.clone()),
    );
    signer.insert(
        "title".to_string(),
        Value::from(plan.signer_title.value.clone()),
    );
    map.entry("signer".into())
        .or_insert_with(|| Value::from(signer));
    Value::from(map)
}

/// Renders one plan text; errors point into the plan file at the template's own line.
pub fn render_text(
    env: &Environment<'static>,
    t: &Text,
    ctx: &Value,
    field: &str,
    errors: &mut Vec<Diagnostic>,
) -> String {
    let rendered = if !has_template_code(&t.value) {
        Ok(t.value.clone())
    } else if let Err((offset, msg)) = check_template_code(&t.value) {
        errors.push(
            Diagnostic::error("template-limit", format!("`{field}`: {msg}"))
                .at_opt(t.loc_at(offset))
                .hint("plan texts take variables, filters, `if` and `for`; write the text itself instead"),
        );
        return String::new();
    } else {
        render_capped(env, &t.value, ctx)
    };
    match rendered {
        Ok(s) if s.chars().count() > MAX_TEXT_CHARS => {
            errors.push(
                Diagnostic::error(
                    "too-large",
                    format!("`{field}` renders to more than {MAX_TEXT_CHARS} characters"),
                )
                .at_opt(t.loc.clone()),
            );
            String::new()
        }
        // A tab is a space on paper: Typst would print nothing, and the words run together.
        Ok(s) => vietnamese::nfc(&s).replace('\t', " "),
        Err(e) => {
            errors.push(template_diag(&e, t, field));
            String::new()
        }
    }
}

/// The statements a plan text may use. `set`, `macro`, `call` and `filter` are left out: with
/// them a few hundred bytes (`{% set x = x ~ x %}` twenty times) build a gigabyte.
/// (`include`, `import`, `extends` pass: they fail with their own message, as plan texts
/// have no loader.)
const PLAN_STATEMENTS: [&str; 10] = [
    "if", "elif", "else", "endif", "for", "endfor", "include", "import", "from", "extends",
];
/// The largest number a plan text may write: widths and counts beyond it only serve to blow
/// a text up.
const MAX_TEMPLATE_NUMBER: u64 = 100_000;

/// Checks the template code of a plan text before it runs: the statements allowed, no `*`
/// (string and list repetition), no huge numbers. Returns the offending offset and why.
fn check_template_code(text: &str) -> Result<(), (usize, String)> {
    let mut i = 0;
    while let Some(open) = text[i..].find(['{']).map(|o| o + i) {
        let rest = &text[open..];
        let (close_pat, is_stmt) = if rest.starts_with("{{") {
            ("}}", false)
        } else if rest.starts_with("{%") {
            ("%}", true)
        } else if rest.starts_with("{#") {
            ("#}", false)
        } else {
            i = open + 1;
            continue;
        };
        let Some(end) = rest[2..].find(close_pat).map(|e| open + 2 + e) else {
            return Ok(()); // a syntax error: minijinja reports it with its position
        };
        let code = &text[open + 2..end];
        if !rest.starts_with("{#") {
            if is_stmt {
                let word = code
                    .trim_matches(['-', '+', ' ', '\n', '\t'])
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                if !PLAN_STATEMENTS.contains(&word) {
                    return Err((
                        open,
                        format!("`{{% {word} %}}` is not allowed in a plan text"),
                    ));
                }
            }
            let mut quote: Option<char> = None;
            let mut digits = String::new();
            for (j, c) in code.char_indices() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, '*') => {
                        return Err((
                            open + 2 + j,
                            "`*` (repetition) is not allowed in a plan text".into(),
                        ))
                    }
                    (None, c) if c.is_ascii_digit() => digits.push(c),
                    (None, '_') if !digits.is_empty() => {}
                    _ => {
                        if digits
                            .parse::<u64>()
                            .map_or(!digits.is_empty(), |n| n > MAX_TEMPLATE_NUMBER)
                        {
                            return Err((open + 2 + j, format!("numbers above {MAX_TEMPLATE_NUMBER} are not allowed in a plan text")));
                        }
                        digits.clear();
                    }
                }
            }
            if digits
                .parse::<u64>()
                .map_or(!digits.is_empty(), |n| n > MAX_TEMPLATE_NUMBER)
            {
                return Err((
                    end,
                    format!("numbers above {MAX_TEMPLATE_NUMBER} are not allowed in a plan text"),
                ));
            }
        }
        i = end + 2;
    }
    Ok(())
}

/// Renders a plan text into a buffer that refuses to grow past the text limit, so a loop
/// printing a long value stops at the limit instead of filling memory.
fn render_capped(
    env: &Environment<'static>,
    source: &str,
    ctx: &Value,
) -> Result<String, minijinja::Error> {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            // Four bytes a character at most: past this the text is over the limit anyway.
            if self.0.len() + buf.len() > MAX_TEXT_CHARS * 4 + 4 {
                return Err(std::io::Error::other("the text is too large"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let tmpl = env.template_from_str(source)?;
    let mut out = Capped(Vec::new());
    match tmpl.render_captured_to(ctx.clone(), &mut out) {
        Ok(_) => Ok(String::from_utf8_lossy(&out.0).into_owned()),
        Err(e) if e.kind() == ErrorKind::WriteFailure => {
            // Reported as over the limit by the caller.
            Ok("x".repeat(MAX_TEXT_CHARS + 1))
        }
        Err(e) => Err(e),
    }
}

fn template_diag(e: &minijinja::Error, t: &Text, field: &str) -> Diagnostic {
    let loc: Option<Loc> = match e.range() {
        Some(r) => t.loc_at(r.start),
        None => match e.line() {
            Some(line) => {
                let offset = t
                    .value
                    .split_inclusive('\n')
                    .take(line.saturating_sub(1))
                    .map(str::len)
                    .sum();
                t.loc_at(offset)
            }
            None => t.loc.clone(),
        },
    };
    let (code, msg, hint) = match e.kind() {
        ErrorKind::UndefinedError => (
            "undefined",
            match e.range().and_then(|r| t.value.get(r)) {
                Some(expr) if !expr.trim().is_empty() => {
                    format!("`{field}` uses `{}`, which is not defined", expr.trim())
                }
                _ => format!("`{field}` uses a variable that is not defined"),
            },
            "define it under [vars] or pass --set NAME=VALUE".to_string(),
        ),
        ErrorKind::SyntaxError => (
            "template-syntax",
            format!(
                "`{field}`: template syntax error: {}",
                e.detail().unwrap_or("")
            ),
            "write {{ name }} for variables; a literal {{ needs {{ '{{' }}".to_string(),
        ),
        ErrorKind::TemplateNotFound => (
            "template-include",
            format!("`{field}` tries to load another template"),
            "plan texts cannot include or import files".to_string(),
        ),
        ErrorKind::OutOfFuel => (
            "template-fuel",
            format!("`{field}`: the template runs too long"),
            "plan texts are limited to simple loops".to_string(),
        ),
        _ => (
            "template",
            format!(
                "`{field}`: {}",
                e.detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.kind().to_string())
            ),
            "check the filters and variables used in this text".to_string(),
        ),
    };
    Diagnostic::error(code, msg).at_opt(loc).hint(hint)
}

/// Renders the document template to Typst source. Also returns the spans, so a Typst error in
/// the generated source can be traced back to the template line that wrote it.
pub fn typst_source(
    env: &Environment<'static>,
    template: &str,
    doc: &Document,
    project_templates: Option<&Path>,
) -> Result<(String, Vec<minijinja::OutputSpan>), Diagnostic> {
    typst_source_and_literals(env, template, doc, project_templates)
        .map(|(source, spans, _)| (source, spans))
}

/// [`typst_source`], with the long value literals it wrote, in order (see
/// `typeset::compile`); none when the template holds raw text (backticks), where a literal
/// might not be a value.
pub fn typst_source_and_literals(
    env: &Environment<'static>,
    template: &str,
    doc: &Document,
    project_templates: Option<&Path>,
) -> Result<(String, Vec<minijinja::OutputSpan>, Vec<String>), Diagnostic> {
    let name = if template.ends_with(".typ") {
        template.to_string()
    } else {
        format!("{template}.typ")
    };
    let tmpl = env.get_template(&name).map_err(|e| {
        if e.kind() == ErrorKind::TemplateNotFound && e.name().is_none_or(|n| n == name) {
            Diagnostic::error(
                "template-not-found",
                format!("template `{name}` does not exist"),
            )
            .hint("the built-in templates are the layout folders (`vanban types`); a project may add templates/NAME.typ or templates/NAME/main.typ")
        } else {
            template_error(&e, &name, project_templates)
        }
    })?;
    LONG_LITERALS.with(|l| *l.borrow_mut() = Some(Vec::new()));
    let out = tmpl.render_with_spans(template_context(doc));
    let literals = LONG_LITERALS
        .with(|l| l.borrow_mut().take())
        .unwrap_or_default();
    let (source, spans) = out.map_err(|e| template_error(&e, &name, project_templates))?;
    let raw = tmpl.source().contains('`');
    Ok((source, spans, if raw { Vec::new() } else { literals }))
}

/// What a document template (Typst or Word) sees: the document's parts by name
/// (`{{ title }}`) and whole (`{{ doc }}`), which a layout's `main.typ` hands to its Typst
/// entry function in one literal.
pub fn template_context(doc: &Document) -> Value {
    #[derive(Serialize)]
    struct Ctx<'a> {
        #[serde(flatten)]
        parts: &'a Document,
        doc: &'a Document,
    }
    Value::from(minijinja::value::Serde(&Ctx { parts: doc, doc }))
}

/// A template error at `file:line:col` when the template is a project file; built-in
/// templates are named with their line.
fn template_error(
    e: &minijinja::Error,
    name: &str,
    project_templates: Option<&Path>,
) -> Diagnostic {
    let tname = e.name().unwrap_or(name).to_string();
    let detail = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    let mut d = Diagnostic::error(
        if e.kind() == ErrorKind::SyntaxError {
            "template-syntax"
        } else {
            "template"
        },
        format!("template `{tname}`: {detail}"),
    );
    let file = project_templates
        .and_then(|dir| project_template(dir, &tname))
        .and_then(|p| {
            crate::plan::read_limited(&p)
                .ok()
                .map(|t| SourceFile::new(p, t))
        });
    match (file, e.range(), e.line()) {
        (Some(f), Some(r), _) => d = d.at(Loc::new(&f, r)),
        (Some(f), None, Some(line)) => {
            let off: usize = f
                .text
                .split_inclusive('\n')
                .take(line.saturating_sub(1))
                .map(str::len)
                .sum();
            d = d.at(Loc::new(&f, off..off));
        }
        (None, _, Some(line)) => {
            d = d.note(format!("in the built-in template `{tname}` line {line}"))
        }
        _ => {}
    }
    d.hint("fix the template; `vanban build --format typ` shows the generated source")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_everything() {
        let mut s = String::new();
        typst_string(&mut s, "a\"b\\c\nd#$*_@<[");
        assert_eq!(s, r#""a\"b\\c\nd#$*_@<[""#);
        let v = Value::from(serde_json_like());
        let mut s = String::new();
        typst_literal(&mut s, &v).unwrap();
        assert_eq!(s, r#"("a": (1, "x", ), "b": (:), )"#);
    }

    fn serde_json_like() -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        m.insert(
            "a".to_string(),
            Value::from(vec![Value::from(1), Value::from("x")]),
        );
        m.insert(
            "b".to_string(),
            Value::from(BTreeMap::<String, Value>::new()),
        );
        m
    }

    #[test]
    fn a_tab_prints_as_a_space() {
        let env = text_env();
        let mut errors = Vec::new();
        let ctx = Value::from(BTreeMap::<String, Value>::new());
        let t = Text::plain("Sở Thông tin và\tTruyền thông");
        assert_eq!(
            render_text(&env, &t, &ctx, "x", &mut errors),
            "Sở Thông tin và Truyền thông"
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn filters() {
        let env = text_env();
        let r = |s: &str| {
            env.render_str(s, minijinja::context! { year => 2024 })
                .unwrap()
        };
        assert_eq!(
            r("{{ (year ~ '-10-01') | date }} ({{ (year ~ '-10-01') | weekday }})"),
            "01/10/2024 (Thứ Ba)"
        );
        assert_eq!(r("{{ 'ủy ban' | upper }}"), "ỦY BAN");
        assert!(env.render_str("{{ nope }}", ()).is_err());
        assert!(env.render_str("{{ '2024-02-30' | date }}", ()).is_err());
        assert!(env.render_str("{% include 'x' %}", ()).is_err());
    }
}
