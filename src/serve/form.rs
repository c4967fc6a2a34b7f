//! The editor's form: every key of the plan model of a layout (the core, then the layout's own
//! keys from its `layout.toml`), read from and written back into the plan file's TOML with
//! `toml_edit`, so a key the user did not touch keeps its comments, quoting and place.

use std::fmt::Write as _;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::layout::{FieldSpec, Kind, Layout, Policy};

/// How a form field edits its key.
#[derive(Debug, Clone, PartialEq)]
pub enum FKind {
    /// One line of text.
    Line,
    /// A text or a list of texts (one line each in a textarea).
    Lines,
    /// Body markup, several lines (tables as pipe text).
    Body,
    /// `basis`: a running paragraph or one line per basis.
    Basis,
    Int,
    Bool,
    /// `number`: "" or a whole number.
    Number,
    Select(Vec<(String, String)>),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub path: String,
    pub label: String,
    pub kind: FKind,
    pub doc: String,
    /// A key the plan must have: cleared, it stays as `key = ""` so the error about it shows
    /// beside it. An optional key the user clears is removed on save ([`strip_cleared`]).
    pub required: bool,
}

/// Entries (`[[sections]]`, `[[articles]]`, `[[appendices]]` …) edited as a list.
#[derive(Debug, Clone)]
pub struct Entries {
    pub path: String,
    pub label: String,
    pub landscape: bool,
}

pub fn segments(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// The item at a dotted path (`sections.2.text`), if the file has it (a copy).
pub fn get(doc: &DocumentMut, path: &str) -> Option<Item> {
    fn walk(item: &Item, segs: &[&str]) -> Option<Item> {
        let Some((first, rest)) = segs.split_first() else {
            return Some(item.clone());
        };
        match first.parse::<usize>() {
            Ok(i) => match item {
                Item::ArrayOfTables(a) => walk_table(a.get(i)?, rest),
                Item::Value(Value::Array(a)) => walk_value(a.get(i)?, rest),
                _ => None,
            },
            Err(_) => walk(item.as_table_like()?.get(first)?, rest),
        }
    }
    fn walk_table(t: &Table, segs: &[&str]) -> Option<Item> {
        match segs.split_first() {
            None => Some(Item::Table(t.clone())),
            Some((k, rest)) => walk(t.get(k)?, rest),
        }
    }
    fn walk_value(v: &Value, segs: &[&str]) -> Option<Item> {
        match segs.split_first() {
            None => Some(Item::Value(v.clone())),
            Some((k, rest)) => match v {
                Value::InlineTable(t) => walk_value(t.get(k)?, rest),
                _ => None,
            },
        }
    }
    walk(doc.as_item(), &segments(path))
}

/// The form's text for an item.
pub fn display(item: Option<&Item>, kind: &FKind) -> String {
    let Some(v) = item.and_then(Item::as_value) else {
        return String::new();
    };
    match v {
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Boolean(b) => b.value().to_string(),
        Value::Array(a) if matches!(kind, FKind::Lines | FKind::Basis) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string().trim().to_string(),
    }
}

/// The value a field's text becomes, given what the file had.
fn to_value(text: &str, kind: &FKind, old: Option<&Item>, basis_list: bool) -> Value {
    let was_array = old.and_then(Item::as_value).is_some_and(|v| v.is_array());
    let lines = |t: &str| {
        let mut a = toml_edit::Array::new();
        for l in t.lines().map(str::trim).filter(|l| !l.is_empty()) {
            a.push(l);
        }
        Value::Array(a)
    };
    match kind {
        FKind::Line | FKind::Body | FKind::Select(_) => Value::from(text),
        FKind::Lines if was_array || text.trim().contains('\n') => lines(text),
        FKind::Lines => Value::from(text.trim()),
        FKind::Basis if was_array || (old.is_none() && basis_list) => lines(text),
        FKind::Basis => Value::from(text),
        FKind::Int => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text)),
        FKind::Number => match text.trim().parse::<i64>() {
            Ok(n) if n > 0 => Value::from(n),
            _ => Value::from(text.trim()),
        },
        FKind::Bool => Value::from(text.trim() == "true"),
    }
}

/// Sets `path` to `value`, keeping the old value's comments and spacing around it and
/// creating the tables on the way if the file did not have them.
pub fn set(doc: &mut DocumentMut, path: &str, value: Value) -> bool {
    set_item(doc.as_item_mut(), &segments(path), value)
}

fn set_item(item: &mut Item, segs: &[&str], value: Value) -> bool {
    match segs.first().and_then(|s| s.parse::<usize>().ok()) {
        Some(i) => {
            let rest = &segs[1..];
            match item {
                Item::ArrayOfTables(a) => a.get_mut(i).is_some_and(|t| set_tl(t, rest, value)),
                Item::Value(Value::Array(a)) => match a.get_mut(i) {
                    Some(Value::InlineTable(t)) => set_tl(t, rest, value),
                    _ => false,
                },
                _ => false,
            }
        }
        None => match item.as_table_like_mut() {
            Some(t) => set_tl(t, segs, value),
            None => false,
        },
    }
}

fn set_tl(t: &mut dyn toml_edit::TableLike, segs: &[&str], value: Value) -> bool {
    match segs {
        [last] => {
            put(t, last, value);
            true
        }
        [first, rest @ ..] => {
            if !t.contains_key(first) {
                t.insert(first, Item::Table(Table::new()));
            }
            match t.get_mut(first) {
                Some(child) => set_item(child, rest, value),
                None => false,
            }
        }
        [] => false,
    }
}

fn put(t: &mut dyn toml_edit::TableLike, key: &str, mut value: Value) {
    if let Some(old) = t.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    t.insert(key, Item::Value(value));
}

/// The fields of the form for a layout, in the order of the printed document.
pub fn fields(layout: &Layout, types: &[String], doc: &DocumentMut) -> (Vec<Field>, Vec<Entries>) {
    let spec = &layout.spec;
    let mut f = Vec::new();
    let mut e = Vec::new();
    let line = |p: &str, l: &str, k: FKind, d: &str| Field {
        path: p.into(),
        label: l.into(),
        kind: k,
        doc: d.into(),
        // What `vanban check` reports missing when left out (the signer's keys on a layout
        // that has a signer at all: the form shows them only then).
        required: matches!(
            p,
            "type"
                | "issuer.name"
                | "issuer.abbrev"
                | "issuer.place"
                | "date"
                | "signer.title"
                | "signer.name"
        ) || (p == "title" && spec.title == Policy::Required)
            || (p == "addressees" && spec.addressees == Policy::Required),
    };
    let opts = |v: &[&str]| {
        FKind::Select(
            v.iter()
                .map(|s| {
                    (
                        s.to_string(),
                        if s.is_empty() {
                            "—".to_string()
                        } else {
                            s.to_string()
                        },
                    )
                })
                .collect(),
        )
    };
    f.push(line(
        "type",
        "Loại văn bản (type)",
        FKind::Select(types.iter().map(|t| (t.clone(), t.clone())).collect()),
        "one of the 29 types of Decree 30",
    ));
    f.push(line(
        "issuer.parent",
        "Cơ quan chủ quản (issuer.parent)",
        FKind::Lines,
        "superior body, one line each",
    ));
    f.push(line(
        "issuer.name",
        "Cơ quan ban hành (issuer.name)",
        FKind::Lines,
        "printed uppercase, bold, one line each",
    ));
    f.push(line(
        "issuer.abbrev",
        "Viết tắt (issuer.abbrev)",
        FKind::Line,
        "UBND → KH-UBND",
    ));
    f.push(line(
        "issuer.place",
        "Địa danh (issuer.place)",
        FKind::Line,
        "",
    ));
    f.push(line(
        "number",
        "Số (number)",
        FKind::Number,
        "\"\" = blank until the clerk stamps it",
    ));
    f.push(line(
        "date",
        "Ngày (date)",
        FKind::Line,
        "YYYY-MM-DD, or YYYY for a draft",
    ));
    if spec.title != Policy::None {
        f.push(line(
            "title",
            "Trích yếu (title)",
            FKind::Line,
            "the document's title",
        ));
    }
    f.push(line(
        "urgency",
        "Độ khẩn (urgency)",
        opts(&["", "khan", "thuong-khan", "hoa-toc"]),
        "",
    ));
    f.push(line(
        "secrecy",
        "Độ mật (secrecy)",
        opts(&["", "mat", "toi-mat", "tuyet-mat"]),
        "",
    ));
    if spec.addressees != Policy::None {
        f.push(line(
            "addressees",
            "Kính gửi (addressees)",
            FKind::Lines,
            "one addressee a line",
        ));
    }
    if spec.basis != crate::layout::BasisPolicy::None {
        f.push(line(
            "basis",
            "Căn cứ (basis)",
            FKind::Basis,
            "a paragraph, or one line per basis",
        ));
    }
    if spec.sections {
        e.push(Entries {
            path: "sections".into(),
            label: "Các mục (sections)".into(),
            landscape: false,
        });
    }
    layout_fields("", &spec.fields, &mut f, &mut e);
    if spec.closing {
        f.push(line(
            "closing",
            "Kết (closing)",
            FKind::Body,
            "last paragraph, ends ./.",
        ));
    }
    e.push(Entries {
        path: "appendices".into(),
        label: "Phụ lục (appendices)".into(),
        landscape: true,
    });
    if spec.signer != Policy::None {
        f.push(line(
            "signer.authority",
            "Thẩm quyền ký (signer.authority)",
            FKind::Lines,
            "TM. / KT. …",
        ));
        f.push(line(
            "signer.title",
            "Chức vụ (signer.title)",
            FKind::Line,
            "",
        ));
        f.push(line(
            "signer.name",
            "Người ký (signer.name)",
            FKind::Line,
            "",
        ));
        f.push(line(
            "signer.seal_mm",
            "Dấu, mm (signer.seal_mm)",
            FKind::Int,
            "10–60",
        ));
    }
    f.push(line(
        "recipients.to",
        "Nơi nhận (recipients.to)",
        FKind::Lines,
        "one a line",
    ));
    f.push(line(
        "recipients.archive",
        "Lưu (recipients.archive)",
        FKind::Lines,
        "VT, …",
    ));
    f.push(line(
        "recipients.drafter",
        "Người soạn (recipients.drafter)",
        FKind::Line,
        "",
    ));
    f.push(line(
        "recipients.copies",
        "Số bản (recipients.copies)",
        FKind::Int,
        "",
    ));
    f.push(line(
        "circulation",
        "Phạm vi lưu hành (circulation)",
        FKind::Line,
        "ô 11",
    ));
    f.push(line("contact", "Liên hệ (contact)", FKind::Line, "ô 13"));
    if let Some(vars) = doc.get("vars").and_then(Item::as_table_like) {
        for (k, v) in vars.iter() {
            let kind = if v.as_integer().is_some() {
                FKind::Int
            } else {
                FKind::Line
            };
            f.push(line(
                &format!("vars.{k}"),
                &format!("Biến {k} (vars.{k})"),
                kind,
                "{{ name }} in every text",
            ));
        }
    }
    (f, e)
}

fn layout_fields(
    prefix: &str,
    specs: &std::collections::BTreeMap<String, FieldSpec>,
    f: &mut Vec<Field>,
    e: &mut Vec<Entries>,
) {
    for (name, s) in specs {
        let path = format!("{prefix}{name}");
        let kind = match s.kind {
            Kind::Line | Kind::Date if !s.values.is_empty() => {
                let mut v: Vec<(String, String)> = vec![(String::new(), "—".into())];
                v.extend(s.values.iter().map(|x| (x.clone(), x.clone())));
                FKind::Select(v)
            }
            Kind::Line | Kind::Date => FKind::Line,
            Kind::Lines => FKind::Lines,
            Kind::Body => FKind::Body,
            Kind::Int => FKind::Int,
            Kind::Bool => FKind::Bool,
            Kind::Table => {
                // A nested fieldset: its keys under `path.`.
                f.push(Field {
                    path: path.clone(),
                    label: format!("§ {name}"),
                    kind: FKind::Line,
                    doc: format!("\u{0}{}", s.doc),
                    required: false,
                });
                layout_fields(&format!("{path}."), &s.fields, f, e);
                f.push(Field {
                    path: path.clone(),
                    label: String::new(),
                    kind: FKind::Line,
                    doc: "\u{1}".into(),
                    required: false,
                });
                continue;
            }
            Kind::Articles | Kind::Sections => {
                e.push(Entries {
                    path,
                    label: format!("{name} ({})", s.doc.chars().take(60).collect::<String>()),
                    landscape: false,
                });
                continue;
            }
        };
        f.push(Field {
            path,
            label: name.clone(),
            kind,
            doc: s.doc.clone(),
            required: s.required,
        });
    }
}

/// Whether a field is a fieldset marker rather than an input.
pub fn is_marker(f: &Field) -> bool {
    f.doc.starts_with('\u{0}') || f.doc.starts_with('\u{1}')
}

/// The entries' own fields: `id`, `title`, `text` (and `landscape` for an appendix).
pub fn entry_fields(e: &Entries, n: usize) -> Vec<Field> {
    let mut out = Vec::new();
    for i in 0..n {
        for (k, kind) in [
            ("id", FKind::Line),
            ("title", FKind::Line),
            ("text", FKind::Body),
        ] {
            out.push(Field {
                path: format!("{}.{i}.{k}", e.path),
                label: k.into(),
                kind,
                doc: String::new(),
                // Entries are merged by id and an entry without text prints nothing: the
                // error stays beside them. A title is optional (an article may have none).
                required: k != "title",
            });
        }
        if e.landscape {
            out.push(Field {
                path: format!("{}.{i}.landscape", e.path),
                label: "landscape".into(),
                kind: FKind::Bool,
                doc: String::new(),
                required: false,
            });
        }
    }
    out
}

/// How many entries the file has at `path`.
pub fn count(doc: &DocumentMut, path: &str) -> usize {
    match get(doc, path).as_ref() {
        Some(Item::ArrayOfTables(a)) => a.len(),
        Some(Item::Value(Value::Array(a))) => a.len(),
        _ => 0,
    }
}

/// Applies the posted form: only fields whose text differs from the file's are written.
/// A field emptied by the user is written as empty (so retyping it keeps its place and
/// comments) and its path added to `cleared`; [`strip_cleared`] removes those keys for the
/// compile and on save. Returns whether anything changed.
pub fn apply(
    doc: &mut DocumentMut,
    fields: &[Field],
    posted: &[(String, String)],
    basis_list: bool,
    cleared: &mut std::collections::BTreeSet<String>,
) -> bool {
    let mut changed = false;
    for f in fields.iter().filter(|f| !is_marker(f)) {
        let new = posted
            .iter()
            .rev()
            .find(|(k, _)| *k == f.path)
            .map(|(_, v)| v);
        let Some(new) = new else { continue };
        let new = crate::vietnamese::nfc(&new.replace("\r\n", "\n"));
        let old = get(doc, &f.path);
        if display(old.as_ref(), &f.kind) == new {
            continue;
        }
        if new.trim().is_empty() && !matches!(f.kind, FKind::Bool | FKind::Number) {
            cleared.insert(f.path.clone());
        } else {
            cleared.remove(&f.path);
        }
        if old.is_none() && (new.is_empty() || (f.kind == FKind::Bool && new == "false")) {
            continue;
        }
        let value = to_value(&new, &f.kind, old.as_ref(), basis_list);
        changed |= set(doc, &f.path, value);
    }
    changed
}

/// Adds, removes or moves an entry of the list at `path`.
pub fn entry_op(doc: &mut DocumentMut, path: &str, op: &str, index: usize) -> bool {
    let n = count(doc, path);
    if n == 0 && op == "add" {
        // The first entry of a list, nested ones included (`attachment.articles`): the tables
        // on the way are made (`[attachment]`) when the file does not have them.
        let mut aot = ArrayOfTables::new();
        aot.push(new_entry(path, 0));
        let segs = segments(path);
        let Some((last, parents)) = segs.split_last() else {
            return false;
        };
        let mut item = doc.as_item_mut();
        for seg in parents {
            item = match seg.parse::<usize>() {
                Ok(i) => match item.get_mut(i) {
                    Some(i) => i,
                    None => return false,
                },
                Err(_) => {
                    let Some(t) = item.as_table_like_mut() else {
                        return false;
                    };
                    if !t.contains_key(seg) {
                        let mut nt = Table::new();
                        nt.set_implicit(true);
                        t.insert(seg, Item::Table(nt));
                    }
                    match t.get_mut(seg) {
                        Some(i) => i,
                        None => return false,
                    }
                }
            };
        }
        return match item.as_table_like_mut() {
            Some(t) => insert_list(t, last, aot),
            None => false,
        };
    }
    let Some(item) = get_mut(doc, path) else {
        return false;
    };
    match item {
        Item::ArrayOfTables(a) => {
            let mut v: Vec<Table> = a.iter().cloned().collect();
            let ok = reorder(&mut v, op, index, || new_entry(path, n));
            if ok {
                // Tables print in the order of their positions: hand the positions out anew.
                let mut positions: Vec<Option<usize>> = a.iter().map(Table::position).collect();
                positions.sort();
                let mut out = ArrayOfTables::new();
                for (i, mut t) in v.into_iter().enumerate() {
                    if let Some(p) = positions.get(i).copied().flatten() {
                        t.set_position(p);
                    }
                    out.push(t);
                }
                *a = out;
            }
            ok
        }
        Item::Value(Value::Array(a)) => {
            let mut v: Vec<Value> = a.iter().cloned().collect();
            let ok = reorder(&mut v, op, index, || {
                Value::InlineTable(new_entry(path, n).into_inline_table())
            });
            if ok {
                *a = v.into_iter().collect();
            }
            ok
        }
        _ => false,
    }
}

/// Puts a new list under `key` of a table (only where it has none: a key of another kind
/// is the user's and stays).
fn insert_list(t: &mut dyn toml_edit::TableLike, key: &str, aot: ArrayOfTables) -> bool {
    if t.contains_key(key) {
        return false;
    }
    t.insert(key, Item::ArrayOfTables(aot));
    true
}

fn reorder<T>(v: &mut Vec<T>, op: &str, i: usize, new: impl FnOnce() -> T) -> bool {
    match op {
        "add" => {
            let at = (i + 1).min(v.len());
            v.insert(at, new());
        }
        "remove" if i < v.len() => {
            v.remove(i);
        }
        "up" if i > 0 && i < v.len() => v.swap(i, i - 1),
        "down" if i + 1 < v.len() => v.swap(i, i + 1),
        _ => return false,
    }
    true
}

fn new_entry(path: &str, n: usize) -> Table {
    let mut t = Table::new();
    let stem = path.rsplit('.').next().unwrap_or(path);
    t.insert("id", toml_edit::value(format!("{stem}-moi-{}", n + 1)));
    t.insert("title", toml_edit::value("Mục mới"));
    t.insert("text", toml_edit::value("Nội dung."));
    t
}

fn get_mut<'a>(doc: &'a mut DocumentMut, path: &str) -> Option<&'a mut Item> {
    let mut item = doc.as_item_mut();
    for seg in segments(path) {
        // A number is an entry of a list (`sections.2`), anything else a key.
        item = match seg.parse::<usize>() {
            Ok(i) => item.get_mut(i)?,
            Err(_) => item.get_mut(seg)?,
        };
    }
    Some(item)
}

/// Removes the key at `path` (`recipients.drafter`, `sections.2.title`); false when absent.
pub fn remove(doc: &mut DocumentMut, path: &str) -> bool {
    let Some((parent, key)) = path.rsplit_once('.') else {
        return doc.remove(path).is_some();
    };
    get_mut(doc, parent)
        .and_then(Item::as_table_like_mut)
        .is_some_and(|t| t.remove(key).is_some())
}

/// The plan without the optional keys the user emptied (`cleared`, filled by [`apply`]): what
/// is compiled, exported and saved. A derived plan's emptied override is removed even when the
/// key is required, so the value is inherited again; `number = ""` (blank until stamped) and
/// the required keys of a plan that has no parent to inherit from stay, empty.
pub fn strip_cleared(
    doc: &DocumentMut,
    fields: &[Field],
    cleared: &std::collections::BTreeSet<String>,
    inherited: &dyn Fn(&str) -> bool,
) -> DocumentMut {
    let mut out = doc.clone();
    for path in cleared {
        let Some(f) = fields.iter().find(|f| &f.path == path) else {
            continue;
        };
        let empty = get(&out, path).is_some_and(|i| display(Some(&i), &f.kind).trim().is_empty());
        if empty && (!f.required || inherited(path)) {
            remove(&mut out, path);
        }
    }
    out
}

/// HTML-escapes text for content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML id of a field path (and of its diagnostics box, with `d-`).
pub fn html_id(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Where a field's inherited value comes from in a derived plan: (file name, value).
pub type Inherit<'a> = &'a dyn Fn(&str, &FKind) -> Option<(String, String)>;

/// One field as HTML: label, input, inherited/overridden badge, diagnostics box.
pub fn render_field(out: &mut String, f: &Field, doc: &DocumentMut, inherit: Inherit) {
    if f.doc.starts_with('\u{0}') {
        let _ = write!(
            out,
            "<fieldset class=\"table\"><legend>{}</legend><p class=\"doc\">{}</p>",
            esc(&f.label),
            esc(&f.doc[1..])
        );
        return;
    }
    if f.doc.starts_with('\u{1}') {
        out.push_str("</fieldset>");
        return;
    }
    let id = html_id(&f.path);
    let item = get(doc, &f.path);
    let value = display(item.as_ref(), &f.kind);
    let inherited = inherit(&f.path, &f.kind);
    let badge = match (&inherited, item.is_some()) {
        (Some((from, _)), true) => format!(
            " <span class=\"badge over\" title=\"ghi đè {}\">ghi đè</span>",
            esc(from)
        ),
        (Some((from, _)), false) => format!(
            " <span class=\"badge inh\" title=\"kế thừa từ {}\">kế thừa · {}</span>",
            esc(from),
            esc(from)
        ),
        _ => String::new(),
    };
    let placeholder = inherited
        .as_ref()
        .filter(|_| item.is_none())
        .map(|(_, v)| format!(" placeholder=\"{}\"", esc(v)))
        .unwrap_or_default();
    let name = esc(&f.path);
    let _ = write!(
        out,
        "<div class=\"field\" id=\"w-{id}\"><label for=\"f-{id}\">{}{badge}</label>",
        esc(&f.label)
    );
    match &f.kind {
        FKind::Line | FKind::Int | FKind::Number => {
            let _ = write!(
                out,
                "<input type=\"text\" id=\"f-{id}\" name=\"{name}\" value=\"{}\"{placeholder}>",
                esc(&value)
            );
        }
        FKind::Lines | FKind::Basis | FKind::Body => {
            let rows =
                (value.lines().count() + 1).clamp(2, if f.kind == FKind::Body { 14 } else { 6 });
            let _ = write!(
                out,
                "<textarea id=\"f-{id}\" name=\"{name}\" rows=\"{rows}\"{placeholder}>{}</textarea>",
                esc(&value)
            );
        }
        FKind::Bool => {
            let checked = if value == "true" { " checked" } else { "" };
            let _ = write!(
                out,
                "<input type=\"hidden\" name=\"{name}\" value=\"false\"><input type=\"checkbox\" id=\"f-{id}\" name=\"{name}\" value=\"true\"{checked}>"
            );
        }
        FKind::Select(options) => {
            let extra = if f.path == "type" {
                " hx-post=\"/action\" hx-vals='{\"op\":\"retype\"}' hx-target=\"#editor\" hx-swap=\"innerHTML\" hx-trigger=\"change\""
            } else {
                ""
            };
            let _ = write!(out, "<select id=\"f-{id}\" name=\"{name}\"{extra}>");
            let mut found = false;
            for (v, l) in options {
                let sel = if *v == value {
                    found = true;
                    " selected"
                } else {
                    ""
                };
                let _ = write!(out, "<option value=\"{}\"{sel}>{}</option>", esc(v), esc(l));
            }
            if !found {
                let _ = write!(
                    out,
                    "<option value=\"{}\" selected>{}</option>",
                    esc(&value),
                    esc(&value)
                );
            }
            out.push_str("</select>");
        }
    }
    if !f.doc.is_empty() {
        let _ = write!(out, "<small class=\"doc\">{}</small>", esc(&f.doc));
    }
    let _ = write!(out, "<div class=\"diag\" id=\"d-{id}\"></div></div>");
}
