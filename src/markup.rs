//! The body markup of plans (`##`, `###`, `####`, `+`, `-`, `**bold**`, `*italic*`) parsed
//! into numbered blocks. Numbering is computed here, after merging, so removing a section or
//! an item in a derived plan renumbers the rest.

use serde::Serialize;

use crate::vietnamese::letter;

/// A run of text with its emphasis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// `##` (level 2), `###` (3), `####` (4): a numbered heading on its own line.
    Heading {
        level: u8,
        label: String,
        runs: Vec<Run>,
    },
    /// `+ text`: a run-in numbered paragraph one level below the current heading.
    Item {
        level: u8,
        label: String,
        runs: Vec<Run>,
    },
    /// `- text`: a dash paragraph.
    Dash { runs: Vec<Run> },
    /// A plain paragraph.
    Para { runs: Vec<Run> },
}

impl Block {
    pub fn runs(&self) -> &[Run] {
        match self {
            Block::Heading { runs, .. }
            | Block::Item { runs, .. }
            | Block::Dash { runs }
            | Block::Para { runs } => runs,
        }
    }

    /// The text as printed (label included), for tests and lints.
    pub fn plain(&self) -> String {
        let body: String = self.runs().iter().map(|r| r.text.as_str()).collect();
        match self {
            Block::Heading { label, .. } | Block::Item { label, .. } => format!("{label} {body}"),
            Block::Dash { .. } => format!("- {body}"),
            Block::Para { .. } => body,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Heading(u8),
    Item,
    /// An indented `  + ` inside an article: a điểm under the khoản above it.
    SubItem,
    Dash,
    Para,
}

/// Splits text into paragraphs with their kind. A blank line ends a paragraph; a line starting
/// with a marker starts a new one; other lines continue the paragraph with a space.
fn paragraphs(text: &str, nested: bool) -> Vec<(Kind, String)> {
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let t = line.trim();
        if nested && line.starts_with([' ', '\t']) {
            if let Some(r) = t.strip_prefix("+ ") {
                out.push((Kind::SubItem, r.trim().to_string()));
                open = true;
                continue;
            }
        }
        if t.is_empty() {
            open = false;
            continue;
        }
        let (kind, rest) = if let Some(r) = t.strip_prefix("#### ") {
            (Kind::Heading(4), r)
        } else if let Some(r) = t.strip_prefix("### ") {
            (Kind::Heading(3), r)
        } else if let Some(r) = t.strip_prefix("## ") {
            (Kind::Heading(2), r)
        } else if let Some(r) = t.strip_prefix("+ ") {
            (Kind::Item, r)
        } else if let Some(r) = t.strip_prefix("- ") {
            (Kind::Dash, r)
        } else if t.starts_with('#') {
            (Kind::Para, t)
        } else if open {
            let last = out.last_mut().expect("open implies a paragraph");
            last.1.push(' ');
            last.1.push_str(t);
            continue;
        } else {
            (Kind::Para, t)
        };
        out.push((kind, rest.trim().to_string()));
        // A heading is one line: what follows starts a new paragraph.
        open = !matches!(kind, Kind::Heading(_));
    }
    out
}

/// Parses `**bold**` and `*italic*`; a marker without its partner prints as typed, and
/// `\\*` is a literal star.
pub fn inline(text: &str) -> Vec<Run> {
    // `\*` is a literal star: hidden from the delimiter search, restored in the runs.
    let hidden = text.replace("\\*", "\u{E000}");
    let mut runs = Vec::new();
    parse_inline(&hidden, false, &mut runs);
    for r in &mut runs {
        if r.text.contains('\u{E000}') {
            r.text = r.text.replace('\u{E000}', "*");
        }
    }
    // Merge neighbours of the same style.
    let mut merged: Vec<Run> = Vec::new();
    for r in runs {
        if r.text.is_empty() {
            continue;
        }
        match merged.last_mut() {
            Some(l) if l.bold == r.bold && l.italic == r.italic => l.text.push_str(&r.text),
            _ => merged.push(r),
        }
    }
    merged
}

fn parse_inline(text: &str, bold: bool, out: &mut Vec<Run>) {
    let mut rest = text;
    loop {
        // Bold first: `**…**` with non-space inside both ends.
        if !bold {
            if let Some(i) = rest.find("**") {
                let after = &rest[i + 2..];
                if let Some(j) = find_closing(after, "**") {
                    italic_runs(&rest[..i], false, out);
                    parse_inline(&after[..j], true, out);
                    rest = &after[j + 2..];
                    continue;
                }
            }
        }
        italic_runs(rest, bold, out);
        return;
    }
}

/// Finds a closing delimiter: the content must not start or end with a space.
fn find_closing(after: &str, delim: &str) -> Option<usize> {
    if after.starts_with(char::is_whitespace) || after.starts_with(delim) || after.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(j) = after[from..].find(delim) {
        let j = from + j;
        let before = &after[..j];
        if !before.is_empty() && !before.ends_with(char::is_whitespace) {
            return Some(j);
        }
        from = j + delim.len();
    }
    None
}

fn italic_runs(text: &str, bold: bool, out: &mut Vec<Run>) {
    let mut rest = text;
    let mut plain = String::new();
    while let Some(i) = rest.find('*') {
        let after = &rest[i + 1..];
        if let Some(j) = find_closing(after, "*") {
            plain.push_str(&rest[..i]);
            out.push(Run {
                text: std::mem::take(&mut plain),
                bold,
                italic: false,
            });
            out.push(Run {
                text: after[..j].to_string(),
                bold,
                italic: true,
            });
            rest = &after[j + 1..];
        } else {
            plain.push_str(&rest[..=i]);
            rest = after;
        }
    }
    plain.push_str(rest);
    out.push(Run {
        text: plain,
        bold,
        italic: false,
    });
}

/// Parses a body text into numbered blocks. Levels: 1 is the section (I., II.), 2 is `1.`,
/// 3 is `1.1.`, 4 and deeper are `a)`. Headings and `+` items of one level share a counter
/// that restarts under each new parent.
pub fn parse(text: &str) -> Vec<Block> {
    parse_with(text, false)
}

/// The body of an article (`Điều N.`): `+ ` items are khoản `1.`, `2.` …; indented `  + `
/// items under a khoản are its điểm `a)`, `b)` … (Phụ lục I, II.6.đ).
pub fn parse_articles(text: &str) -> Vec<Block> {
    parse_with(text, true)
}

fn parse_with(text: &str, nested: bool) -> Vec<Block> {
    let mut counters = [0usize; 8];
    let mut current: usize = 1;
    let mut blocks = Vec::new();
    for (kind, body) in paragraphs(text, nested) {
        let runs = inline(&body);
        match kind {
            Kind::Heading(level) => {
                let l = level as usize;
                counters[l] += 1;
                for c in counters.iter_mut().skip(l + 1) {
                    *c = 0;
                }
                current = l;
                blocks.push(Block::Heading {
                    level,
                    label: label(&counters, l),
                    runs,
                });
            }
            Kind::Item => {
                let l = (current + 1).min(counters.len() - 1);
                counters[l] += 1;
                for c in counters.iter_mut().skip(l + 1) {
                    *c = 0;
                }
                blocks.push(Block::Item {
                    level: l as u8,
                    label: label(&counters, l),
                    runs,
                });
            }
            Kind::SubItem => {
                let l = 4;
                counters[l] += 1;
                for c in counters.iter_mut().skip(l + 1) {
                    *c = 0;
                }
                blocks.push(Block::Item {
                    level: l as u8,
                    label: label(&counters, l),
                    runs,
                });
            }
            Kind::Dash => blocks.push(Block::Dash { runs }),
            Kind::Para => blocks.push(Block::Para { runs }),
        }
    }
    blocks
}

fn label(counters: &[usize], level: usize) -> String {
    match level {
        2 => format!("{}.", counters[2]),
        3 if counters[2] == 0 => format!("{}.", counters[3]),
        3 => format!("{}.{}.", counters[2], counters[3]),
        _ => format!("{})", letter(counters[level])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Vec<String> {
        parse(text).iter().map(|b| b.plain()).collect()
    }

    #[test]
    fn numbering_follows_levels() {
        let t = "## Tổ chức Lễ khai mạc\n### Cấp tỉnh\n- Tổ chức\nLễ phát động.\n### Cấp huyện\nCăn cứ\n\n## Các hoạt động\nMở đầu:\n+ Một\n+ Hai\n### Tiểu mục\n+ Ba\n+ Bốn";
        assert_eq!(
            plain(t),
            vec![
                "1. Tổ chức Lễ khai mạc",
                "1.1. Cấp tỉnh",
                "- Tổ chức Lễ phát động.",
                "1.2. Cấp huyện",
                "Căn cứ",
                "2. Các hoạt động",
                "Mở đầu:",
                "2.1. Một",
                "2.2. Hai",
                "2.3. Tiểu mục",
                "a) Ba",
                "b) Bốn",
            ]
        );
    }

    #[test]
    fn items_directly_under_a_section_are_khoan() {
        assert_eq!(
            plain("+ Chủ đề\n+ Thời gian"),
            vec!["1. Chủ đề", "2. Thời gian"]
        );
        assert_eq!(plain("#### Một\n#### Hai"), vec!["a) Một", "b) Hai"]);
    }

    #[test]
    fn inline_emphasis_and_literals() {
        assert_eq!(
            inline("a **b** *c* d"),
            vec![
                Run {
                    text: "a ".into(),
                    bold: false,
                    italic: false
                },
                Run {
                    text: "b".into(),
                    bold: true,
                    italic: false
                },
                Run {
                    text: " ".into(),
                    bold: false,
                    italic: false
                },
                Run {
                    text: "c".into(),
                    bold: false,
                    italic: true
                },
                Run {
                    text: " d".into(),
                    bold: false,
                    italic: false
                },
            ]
        );
        let lit = "2 * 3 = 6, a** b, *_ $x$ #set";
        assert_eq!(
            inline(lit),
            vec![Run {
                text: lit.into(),
                bold: false,
                italic: false
            }]
        );
        assert_eq!(inline("**đậm *nghiêng* đậm**").len(), 3);
        assert_eq!(
            inline(r"/\* x \*/ \"),
            vec![Run {
                text: r"/* x */ \".into(),
                bold: false,
                italic: false
            }]
        );
    }

    #[test]
    fn articles_have_khoan_and_diem() {
        let b: Vec<String> = parse_articles("Mở đầu:\n+ Một:\n  + x\n  + y\n+ Hai\n  + z")
            .iter()
            .map(|b| b.plain())
            .collect();
        assert_eq!(
            b,
            vec!["Mở đầu:", "1. Một:", "a) x", "b) y", "2. Hai", "a) z"]
        );
    }

    #[test]
    fn hash_lines_that_are_not_headings_print() {
        assert_eq!(plain("#hashtag\nnext"), vec!["#hashtag next"]);
    }
}
