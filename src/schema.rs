//! Checks a plan layer against what its layout accepts: every unknown key and every value of
//! the wrong type in the file, reported together (serde stops at the first), with a hint when
//! a top-level key was written after a `[table]` header and so landed inside that table.

use std::collections::BTreeMap;

use crate::diag::{did_you_mean, Diagnostic};
use crate::layout::{FieldSpec, Kind, Layout, Layouts};
use crate::tree::{Node, Val};

/// The shape a key's value must have.
#[derive(Debug, Clone)]
enum Shape {
    Str,
    Bool,
    Int,
    /// Checked later, with its own message (numbers, seal sizes …).
    Any,
    /// A text or a list of texts.
    Texts,
    /// Free keys (`[vars]`).
    AnyTable,
    Table(Vec<(String, Shape)>),
    /// `[[…]]` entries with these keys.
    Entries(Vec<(String, Shape)>),
}

fn keys(list: &[(&str, Shape)]) -> Vec<(String, Shape)> {
    list.iter()
        .map(|(k, s)| (k.to_string(), s.clone()))
        .collect()
}

fn entry_keys() -> Vec<(String, Shape)> {
    keys(&[
        ("id", Shape::Str),
        ("title", Shape::Str),
        ("text", Shape::Str),
        ("remove", Shape::Bool),
        ("after", Shape::Str),
        ("before", Shape::Str),
    ])
}

/// A `[[appendices]]` entry: a section's keys, and whether its pages are landscape.
fn appendix_keys() -> Vec<(String, Shape)> {
    let mut k = entry_keys();
    k.push(("landscape".to_string(), Shape::Bool));
    k
}

/// The Decree-30 core every plan shares, in the order `known keys` hints list them.
fn core() -> Vec<(String, Shape)> {
    keys(&[
        ("type", Shape::Str),
        ("extends", Shape::Str),
        ("template", Shape::Str),
        ("vars", Shape::AnyTable),
        (
            "issuer",
            Shape::Table(keys(&[
                ("parent", Shape::Any),
                ("name", Shape::Any),
                ("abbrev", Shape::Str),
                ("place", Shape::Str),
            ])),
        ),
        ("number", Shape::Any),
        ("symbol", Shape::Str),
        ("date", Shape::Str),
        ("title", Shape::Str),
        ("basis", Shape::Texts),
        ("sections", Shape::Entries(entry_keys())),
        ("closing", Shape::Str),
        (
            "signer",
            Shape::Table(keys(&[
                ("authority", Shape::Any),
                ("title", Shape::Str),
                ("name", Shape::Str),
                ("seal_mm", Shape::Any),
            ])),
        ),
        (
            "recipients",
            Shape::Table(keys(&[
                ("to", Shape::Any),
                ("archive", Shape::Any),
                ("drafter", Shape::Str),
                ("copies", Shape::Any),
            ])),
        ),
        ("urgency", Shape::Str),
        ("secrecy", Shape::Str),
        ("circulation", Shape::Str),
        ("contact", Shape::Str),
        ("addressees", Shape::Texts),
        // Checked in `plan` against the four label styles, with its own messages.
        ("levels", Shape::Any),
        ("appendices", Shape::Entries(appendix_keys())),
    ])
}

/// Whether a top-level key belongs to the core (everything else is the layout's).
pub fn is_core(key: &str) -> bool {
    // Asked for every key of every layer: the list is built once, not per question.
    static CORE_KEYS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| core().into_iter().map(|(k, _)| k).collect());
    CORE_KEYS.iter().any(|k| k == key)
}

fn shape_of(f: &FieldSpec) -> Shape {
    match f.kind {
        Kind::Line | Kind::Body | Kind::Date => Shape::Str,
        Kind::Lines => Shape::Texts,
        Kind::Int => Shape::Int,
        Kind::Bool => Shape::Bool,
        Kind::Table => Shape::Table(fields_shape(&f.fields)),
        Kind::Articles | Kind::Sections => Shape::Entries(entry_keys()),
    }
}

fn fields_shape(fields: &BTreeMap<String, FieldSpec>) -> Vec<(String, Shape)> {
    fields
        .iter()
        .map(|(k, f)| (k.clone(), shape_of(f)))
        .collect()
}

/// The top level a layer is checked against: the core, then the layout's keys (or, while the
/// type is unknown, every layout's keys, so a parent plan without `type` is not misjudged).
fn top(layout: Option<&Layout>, layouts: &Layouts) -> Vec<(String, Shape)> {
    let mut all = core();
    let extra = match layout {
        Some(l) => fields_shape(&l.spec.fields),
        None => fields_shape(&layouts.all_fields()),
    };
    for (k, s) in extra {
        if !all.iter().any(|(c, _)| *c == k) {
            all.push((k, s));
        }
    }
    all
}

/// Every problem of one layer's keys and value types.
pub fn check(tree: &Node, layout: Option<&Layout>, layouts: &Layouts) -> Vec<Diagnostic> {
    let top = top(layout, layouts);
    let mut out = Vec::new();
    table(tree, &top, &top, None, &mut out);
    out.sort_by_key(|d| d.loc.as_ref().map(|l| l.span.start).unwrap_or(0));
    out
}

fn table(
    node: &Node,
    known: &[(String, Shape)],
    top: &[(String, Shape)],
    header: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    for (k, v) in node.entries() {
        match known.iter().find(|(n, _)| *n == k.name) {
            Some((_, shape)) => value(v, shape, &k.name, top, out),
            None => {
                let mut d = Diagnostic::error("unknown-key", format!("unknown key `{}`", k.name))
                    .at(crate::diag::Loc::new(&v.file, k.span.clone()));
                let misplaced = header.is_some() && top.iter().any(|(n, _)| *n == k.name);
                d = match (misplaced, header) {
                    (true, Some(t)) => d.hint(format!(
                        "`{}` is a top-level key: in TOML every key after a `{t}` header belongs to that table; move it above `{t}`",
                        k.name
                    )),
                    _ => match did_you_mean(&k.name, known.iter().map(|(n, _)| n.as_str())) {
                        Some(s) => d.hint(format!("did you mean `{s}`?")),
                        None => d.hint(format!(
                            "known keys here: {}",
                            known.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                    },
                };
                out.push(d);
            }
        }
    }
}

fn wrong(v: &Node, expected: &str) -> Diagnostic {
    Diagnostic::error(
        "wrong-type",
        format!("invalid type: {}, expected {expected}", v.unexpected()),
    )
    .at(v.loc())
    .hint("check the value's type: text in quotes, numbers without, lists in [ ], tables in { }")
}

fn value(v: &Node, shape: &Shape, key: &str, top: &[(String, Shape)], out: &mut Vec<Diagnostic>) {
    match (shape, &v.val) {
        (Shape::Any, _) | (Shape::Str, Val::Str(_)) | (Shape::Bool, Val::Bool(_)) => {}
        (Shape::Int, Val::Int(_)) => {}
        (Shape::AnyTable, Val::Table(_)) => {}
        (Shape::Str, Val::Datetime(d)) => out.push(
            Diagnostic::error(
                "wrong-type",
                format!("the date {d} must be written in quotes"),
            )
            .at(v.loc())
            .hint(format!("write {key} = \"{d}\"")),
        ),
        (Shape::Str, _) => out.push(wrong(v, "a string")),
        (Shape::Bool, _) => out.push(wrong(v, "a boolean")),
        (Shape::Int, _) => out.push(wrong(v, "a whole number")),
        (Shape::Texts, Val::Str(_)) => {}
        (Shape::Texts, Val::Array(items)) => {
            for i in items {
                if !matches!(i.val, Val::Str(_)) {
                    out.push(
                        Diagnostic::error(
                            "wrong-type",
                            format!("`{key}` must be a list of texts, found {}", i.type_name()),
                        )
                        .at(i.loc()),
                    );
                }
            }
        }
        (Shape::Texts, _) => out.push(
            Diagnostic::error(
                "wrong-type",
                format!(
                    "`{key}` must be a text or a list of texts, found {}",
                    v.type_name()
                ),
            )
            .at(v.loc()),
        ),
        (Shape::AnyTable, _) => out.push(wrong(v, &format!("a [{key}] table"))),
        (Shape::Table(known), Val::Table(_)) => {
            table(v, known, top, Some(&format!("[{key}]")), out)
        }
        (Shape::Table(_), _) => out.push(wrong(v, &format!("a [{key}] table"))),
        (Shape::Entries(known), Val::Array(items)) => {
            for i in items {
                match i.val {
                    Val::Table(_) => table(i, known, top, Some(&format!("[[{key}]]")), out),
                    _ => out.push(wrong(i, &format!("a [[{key}]] table"))),
                }
            }
        }
        (Shape::Entries(_), _) => out.push(wrong(v, "a list")),
    }
}
