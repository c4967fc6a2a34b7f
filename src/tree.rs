//! A plan file as a tree of values that remember where they were written. The typed core of a
//! plan is read with serde; this tree serves what serde cannot: checking every key of a file
//! against the layout's schema at once, and the layout's own fields, merged across `extends`
//! by the same rules as the core.

use std::ops::Range;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use crate::diag::{Loc, SourceFile};
use crate::plan::Text;
use crate::vietnamese::nfc;

#[derive(Debug, Clone)]
pub enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A TOML date or time, as written (plans keep dates in strings; this is for messages).
    Datetime(String),
    Array(Vec<Node>),
    /// Keys in file order as TOML's parser gives them (sorted), each with its own span.
    Table(Vec<(Key, Node)>),
}

#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub val: Val,
    pub span: Range<usize>,
    pub file: Arc<SourceFile>,
}

impl Node {
    pub fn empty_table(file: &Arc<SourceFile>) -> Node {
        Node {
            val: Val::Table(Vec::new()),
            span: 0..0,
            file: file.clone(),
        }
    }

    /// Parses a whole file. Syntax errors are left to serde's pass, which reports them with
    /// the same messages as before; a file that fails here is reported there.
    pub fn parse(file: &Arc<SourceFile>) -> Option<Node> {
        Node::parse_text(&file.text, file)
    }

    /// Parses `text`, whose byte offsets are those of `file` (a batch file with rejected rows
    /// blanked out byte for byte).
    pub fn parse_text(text: &str, file: &Arc<SourceFile>) -> Option<Node> {
        let table = DeTable::parse(text).ok()?;
        let span = table.span();
        Some(Node {
            val: Val::Table(convert_table(table.get_ref(), file)),
            span,
            file: file.clone(),
        })
    }

    pub fn loc(&self) -> Loc {
        Loc::new(&self.file, self.span.clone())
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.val {
            Val::Table(t) => t.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.val {
            Val::Table(t) => t,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.val {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a plan text, with its origin for diagnostics inside it.
    pub fn text(&self) -> Option<Text> {
        self.as_str()
            .map(|s| Text::from_span(s, self.span.clone(), &self.file))
    }

    /// A text or a list of texts, each with its own position.
    pub fn texts(&self) -> Option<Vec<Text>> {
        match &self.val {
            Val::Str(s) if s.trim().is_empty() => Some(Vec::new()),
            Val::Str(_) => Some(vec![self.text()?]),
            Val::Array(items) => items.iter().map(|i| i.text()).collect(),
            _ => None,
        }
    }

    /// Rewrites every text of the tree (`--tone`).
    pub fn rewrite_strings(&mut self, f: &dyn Fn(&str) -> String) {
        match &mut self.val {
            Val::Str(s) => *s = f(s),
            Val::Array(items) => items.iter_mut().for_each(|i| i.rewrite_strings(f)),
            Val::Table(t) => t.iter_mut().for_each(|(_, v)| v.rewrite_strings(f)),
            _ => {}
        }
    }

    /// How serde would name this value in "invalid type: …, expected …".
    pub fn unexpected(&self) -> String {
        match &self.val {
            Val::Str(s) => format!("string {s:?}"),
            Val::Int(i) => format!("integer `{i}`"),
            Val::Float(f) => format!("floating point `{f}`"),
            Val::Bool(b) => format!("boolean `{b}`"),
            Val::Datetime(d) => format!("date {d}"),
            Val::Array(_) => "list".to_string(),
            Val::Table(_) => "table".to_string(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match &self.val {
            Val::Str(_) => "text",
            Val::Int(_) => "integer",
            Val::Float(_) => "float",
            Val::Bool(_) => "boolean",
            Val::Datetime(_) => "date",
            Val::Array(_) => "list",
            Val::Table(_) => "table",
        }
    }

    /// Folds `over` onto `self` by the contract's rules: tables key by key, arrays of tables
    /// whose entries carry `id` by id (`remove`, `before`, `after`), everything else replaced.
    /// Returns the ids that `remove`/`before`/`after` named but no entry had.
    pub fn merge(&mut self, over: &Node) -> Vec<(String, Loc)> {
        let mut missing = Vec::new();
        match (&mut self.val, &over.val) {
            (Val::Table(mine), Val::Table(theirs)) => {
                for (k, v) in theirs {
                    match mine.iter_mut().find(|(mk, _)| mk.name == k.name) {
                        Some((_, cur)) => missing.extend(cur.merge(v)),
                        None => mine.push((k.clone(), v.clone())),
                    }
                }
            }
            (Val::Array(mine), Val::Array(theirs)) if by_id(theirs) => {
                for entry in theirs {
                    missing.extend(merge_entry(mine, entry));
                }
            }
            _ => *self = over.clone(),
        }
        missing
    }
}

/// Whether an array is one of id-keyed tables (articles, appendices …).
fn by_id(items: &[Node]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| matches!(i.val, Val::Table(_)) && i.get("id").is_some())
}

fn id_of(n: &Node) -> Option<&str> {
    n.get("id").and_then(Node::as_str)
}

fn merge_entry(list: &mut Vec<Node>, entry: &Node) -> Vec<(String, Loc)> {
    let mut missing = Vec::new();
    let id = id_of(entry).unwrap_or_default().to_string();
    let pos = list.iter().position(|n| id_of(n) == Some(id.as_str()));
    if matches!(entry.get("remove").map(|r| &r.val), Some(Val::Bool(true))) {
        match pos {
            Some(p) => {
                list.remove(p);
            }
            None => missing.push((id, entry.get("id").map(Node::loc).unwrap_or(entry.loc()))),
        }
        return missing;
    }
    let mut item = match pos {
        Some(p) => {
            let mut cur = list.remove(p);
            cur.merge(&strip_placement(entry));
            if entry.get("after").is_none() && entry.get("before").is_none() {
                list.insert(p, cur);
                return missing;
            }
            cur
        }
        None => strip_placement(entry),
    };
    let anchor = entry
        .get("after")
        .map(|a| (a, 1))
        .or(entry.get("before").map(|b| (b, 0)));
    match anchor {
        None => list.push(item),
        Some((a, shift)) => {
            let name = a.as_str().unwrap_or_default();
            match list.iter().position(|n| id_of(n) == Some(name)) {
                Some(p) => list.insert(p + shift, item),
                None => {
                    missing.push((name.to_string(), a.loc()));
                    item.span = entry.span.clone();
                    list.push(item);
                }
            }
        }
    }
    missing
}

/// An entry without the keys that only say where it goes.
fn strip_placement(n: &Node) -> Node {
    let mut n = n.clone();
    if let Val::Table(t) = &mut n.val {
        t.retain(|(k, _)| !matches!(k.name.as_str(), "after" | "before" | "remove"));
    }
    n
}

fn convert_table(t: &DeTable<'_>, file: &Arc<SourceFile>) -> Vec<(Key, Node)> {
    t.iter()
        .map(|(k, v)| {
            (
                Key {
                    name: nfc(k.get_ref()),
                    span: k.span(),
                },
                convert(v.get_ref(), v.span(), file),
            )
        })
        .collect()
}

fn convert(v: &DeValue<'_>, span: Range<usize>, file: &Arc<SourceFile>) -> Node {
    let val = match v {
        DeValue::String(s) => Val::Str(nfc(s)),
        DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
            let (neg, body) = match digits.strip_prefix('-') {
                Some(b) => (true, b.to_string()),
                None => (false, digits.trim_start_matches('+').to_string()),
            };
            let body = body
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b")
                .to_string();
            match i64::from_str_radix(&body, i.radix()) {
                Ok(n) if neg => Val::Int(-n),
                Ok(n) => Val::Int(n),
                Err(_) => Val::Float(f64::NAN),
            }
        }
        DeValue::Float(f) => Val::Float(
            f.as_str()
                .replace('_', "")
                .parse::<f64>()
                .unwrap_or(f64::NAN),
        ),
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(d) => Val::Datetime(d.to_string()),
        DeValue::Array(a) => Val::Array(
            a.iter()
                .map(|x| convert(x.get_ref(), x.span(), file))
                .collect(),
        ),
        DeValue::Table(t) => Val::Table(convert_table(t, file)),
    };
    Node {
        val,
        span,
        file: file.clone(),
    }
}
