//! The body markup of plans (`##`, `###`, `####`, `+`, `-`, `**bold**`, `*italic*`, pipe
//! tables) parsed into numbered blocks. Numbering is computed here, after merging, so removing
//! a section or an item in a derived plan renumbers the rest.
//!
//! A malformed table is an error, not text: a clerk who typed a table must not find its pipes
//! printed as a paragraph in a signed document. Errors carry byte offsets into the text they
//! were found in, which the caller maps back to the plan file.

use serde::Serialize;

use crate::vietnamese::{letter, roman};

/// A run of text with its emphasis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

/// How one numbering level is labelled (PLAN-FORMAT `levels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// `I.`, `II.` …
    Roman,
    /// `1.`, `2.` …
    Arabic,
    /// `1.1.`, `1.2.` …: the parent's number, then this one.
    Compound,
    /// `a)`, `b)` … (Vietnamese letters: đ after d, no f, j, w, z).
    Letter,
}

impl Style {
    /// The labels a plan writes in `levels`, each standing for its style.
    pub const NAMES: [(&'static str, Style); 4] = [
        ("I.", Style::Roman),
        ("1.", Style::Arabic),
        ("1.1.", Style::Compound),
        ("a)", Style::Letter),
    ];

    pub fn parse(s: &str) -> Option<Style> {
        Style::NAMES
            .iter()
            .find(|(n, _)| *n == s.trim())
            .map(|(_, st)| *st)
    }

    pub fn name(self) -> &'static str {
        Style::NAMES
            .iter()
            .find(|(_, st)| *st == self)
            .map(|(n, _)| *n)
            .unwrap_or("1.")
    }
}

/// The numbering of a plan: level 1 is the section, level 2 is `##` (and `+` directly under a
/// section), and so on. Levels deeper than the list repeat its last style, so the default's
/// `a)` also numbers what lies under a `####` heading, as it always has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels(Vec<Style>);

impl Default for Levels {
    /// The seed's numbering: `I.` / `1.` / `1.1.` / `a)` (Phụ lục I, II.6.đ).
    fn default() -> Levels {
        Levels(vec![
            Style::Roman,
            Style::Arabic,
            Style::Compound,
            Style::Letter,
        ])
    }
}

impl Levels {
    /// At most this many levels may be given.
    pub const MAX: usize = 4;

    /// Checks the shape of a `levels` list; the error names the offending entry's index.
    pub fn new(styles: Vec<Style>) -> Result<Levels, (usize, String)> {
        if styles.is_empty() || styles.len() > Levels::MAX {
            return Err((
                0,
                format!(
                    "`levels` has {} entries; give 1 to {} (the sections first)",
                    styles.len(),
                    Levels::MAX
                ),
            ));
        }
        for (i, s) in styles.iter().enumerate() {
            // `1.1.` continues an Arabic number above it; under `I.` or `a)` it would read as
            // a number that was never printed.
            if *s == Style::Compound
                && !matches!(
                    i.checked_sub(1).map(|p| styles[p]),
                    Some(Style::Arabic | Style::Compound)
                )
            {
                return Err((
                    i,
                    "`1.1.` continues the number of the level above it, which must be `1.` or `1.1.`"
                        .to_string(),
                ));
            }
        }
        Ok(Levels(styles))
    }

    /// The style of a level (1 = section).
    pub fn style(&self, level: usize) -> Style {
        let i = level.saturating_sub(1).min(self.0.len() - 1);
        self.0[i]
    }

    /// Whether section titles print in capitals: the decree's `I.` sections do (Phụ lục I,
    /// II.6.đ); with `1.` or `a)` sections a Thông báo prints them as typed.
    pub fn upper_sections(&self) -> bool {
        self.style(1) == Style::Roman
    }

    /// The label of section `n` (1-based).
    pub fn section_label(&self, n: usize) -> String {
        simple_label(self.style(1), n)
    }
}

fn simple_label(style: Style, n: usize) -> String {
    match style {
        Style::Roman => format!("{}.", roman(n)),
        Style::Arabic | Style::Compound => format!("{n}."),
        Style::Letter => format!("{})", letter(n)),
    }
}

/// A column's alignment, from the separator row (`:-:` centre, `--:` right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A table cell: its lines, each a paragraph or a dash item (`- `).
pub type Cell = Vec<Block>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// `##` (level 2), `###` (3), `####` (4): a numbered heading on its own line.
    Heading {
        level: u8,
        label: String,
        /// The level's label style, which sets its weight: a `1.` heading is bold, `1.1.`
        /// bold italic, `a)` regular, whatever its depth.
        style: Style,
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
    /// A pipe table: the first row is the header.
    Table {
        align: Vec<Align>,
        /// Relative column widths: the length of each separator cell, colons included (as
        /// pandoc counts them).
        widths: Vec<usize>,
        header: Vec<Cell>,
        rows: Vec<Vec<Cell>>,
    },
}

impl Block {
    /// The runs of a text block; a table has none of its own.
    pub fn runs(&self) -> &[Run] {
        match self {
            Block::Heading { runs, .. }
            | Block::Item { runs, .. }
            | Block::Dash { runs }
            | Block::Para { runs } => runs,
            Block::Table { .. } => &[],
        }
    }

    /// The text as printed (label included), for tests and lints: a table is one line per
    /// row, its cells between ` | `, the lines of a cell joined by spaces.
    pub fn plain(&self) -> String {
        let body: String = self.runs().iter().map(|r| r.text.as_str()).collect();
        match self {
            Block::Heading { label, .. } | Block::Item { label, .. } => format!("{label} {body}"),
            Block::Dash { .. } => format!("- {body}"),
            Block::Para { .. } => body,
            Block::Table { header, rows, .. } => std::iter::once(header)
                .chain(rows)
                .map(|row| {
                    row.iter()
                        .map(|cell| cell.iter().map(Block::plain).collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A problem in a body text, at a byte offset of that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkupError {
    pub offset: usize,
    pub message: String,
    pub hint: String,
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

/// A paragraph with its kind, or a parsed table.
enum Piece {
    Text(Kind, String),
    Table(Block),
}

/// The lines of a text, each with the byte offset it starts at.
fn lines_at(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        out.push((at, l.trim_end_matches(['\n', '\r'])));
        at += l.len();
    }
    out
}

/// A line trimmed, with the offset of its first non-blank character.
fn trimmed(at: usize, line: &str) -> (usize, &str) {
    let t = line.trim_start();
    (at + line.len() - t.len(), t.trim_end())
}

/// Splits text into paragraphs with their kind. A blank line ends a paragraph; a line starting
/// with a marker starts a new one; other lines continue the paragraph with a space. A run of
/// lines starting with `|` is a table.
fn paragraphs(text: &str, nested: bool, errors: &mut Vec<MarkupError>) -> Vec<Piece> {
    let lines = lines_at(text);
    let mut out: Vec<Piece> = Vec::new();
    let mut open = false;
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        i += 1;
        let t = line.trim();
        if nested && line.starts_with([' ', '\t']) {
            if let Some(r) = t.strip_prefix("+ ") {
                out.push(Piece::Text(Kind::SubItem, r.trim().to_string()));
                open = true;
                continue;
            }
        }
        if t.is_empty() {
            open = false;
            continue;
        }
        if t.starts_with('|') {
            let mut rows = vec![trimmed(at, line)];
            while i < lines.len() && lines[i].1.trim_start().starts_with('|') {
                rows.push(trimmed(lines[i].0, lines[i].1));
                i += 1;
            }
            match table(&rows) {
                Ok(b) => out.push(Piece::Table(b)),
                Err(e) => errors.push(e),
            }
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
            if let Some(Piece::Text(_, last)) = out.last_mut() {
                last.push(' ');
                last.push_str(t);
                continue;
            }
            (Kind::Para, t)
        } else {
            (Kind::Para, t)
        };
        out.push(Piece::Text(kind, rest.trim().to_string()));
        // A heading is one line: what follows starts a new paragraph.
        open = !matches!(kind, Kind::Heading(_));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tables.

const RAGGED_HINT: &str =
    "give every row one cell per column: an empty cell is `| |`, and a `|` inside a cell is written `\\|` (`\\\\|` between \"\"\" quotes)";

/// The cells of a table line (which starts with `|`), each with the offset it starts at. A
/// final `|` closes the last cell; `\|` is a literal pipe.
fn split_row(at: usize, line: &str) -> Vec<(usize, String)> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut start = at + 1;
    let mut closed = true;
    let mut chars = line.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some((_, '|'))) => {
                cur.push('|');
                chars.next();
                closed = false;
            }
            '|' => {
                cells.push((start, std::mem::take(&mut cur)));
                start = at + i + 1;
                closed = true;
            }
            c => {
                cur.push(c);
                closed = closed && c.is_whitespace();
            }
        }
    }
    if !(closed && cur.trim().is_empty()) {
        cells.push((start, cur));
    }
    // Point at the cell's text, not at the space after the pipe.
    cells
        .into_iter()
        .map(|(s, c)| (s + c.len() - c.trim_start().len(), c))
        .collect()
}

/// A separator cell (`---`, `:--`, `--:`, `:-:`): its alignment and its length.
fn separator_cell(cell: &str) -> Option<(Align, usize)> {
    let c = cell.trim();
    let (left, rest) = match c.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, c),
    };
    let (right, dashes) = match rest.strip_suffix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
        return None;
    }
    let align = match (left, right) {
        (true, true) => Align::Center,
        (false, true) => Align::Right,
        _ => Align::Left,
    };
    Some((align, c.chars().count()))
}

/// Whether a row was meant as the separator: one of its cells is one, or it is made of
/// nothing but dashes, colons and pipes.
fn looks_like_separator(line: &str, cells: &[(usize, String)]) -> bool {
    cells.iter().any(|(_, c)| separator_cell(c).is_some())
        || (line.contains('-') && line.chars().all(|c| "|-: \t".contains(c)))
}

/// The lines of a cell (`<br>` between them), each a paragraph or a `- ` item.
fn cell(text: &str) -> Cell {
    let lower = text.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut from = 0;
    let mut search = 0;
    while let Some(i) = lower[search..].find("<br") {
        let i = search + i;
        let rest = &lower[i + 3..];
        let tail = rest.trim_start();
        let tail = tail.strip_prefix('/').unwrap_or(tail).trim_start();
        if tail.starts_with('>') {
            let end = i + 3 + (rest.len() - tail.len()) + 1;
            parts.push(&text[from..i]);
            from = end;
            search = end;
        } else {
            search = i + 3;
        }
    }
    parts.push(&text[from..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix("- ") {
            Some(r) => Block::Dash {
                runs: inline(r.trim()),
            },
            None => Block::Para { runs: inline(l) },
        })
        .collect()
}

/// Parses the lines of one pipe table (each trimmed, with its offset): the header row, the
/// separator row, then the body rows.
fn table(lines: &[(usize, &str)]) -> Result<Block, MarkupError> {
    let rows: Vec<Vec<(usize, String)>> = lines.iter().map(|(at, l)| split_row(*at, l)).collect();
    let header = &rows[0];
    if header.is_empty() {
        return Err(MarkupError {
            offset: lines[0].0,
            message: "a table row without cells".into(),
            hint: "write the header row as `| STT | Nội dung | … |`".into(),
        });
    }
    let sep_is_second = rows.len() > 1 && looks_like_separator(lines[1].1, &rows[1]);
    if !sep_is_second {
        let later = (2..rows.len()).find(|&k| looks_like_separator(lines[k].1, &rows[k]));
        return Err(match later {
            Some(k) => MarkupError {
                offset: lines[k].0,
                message: "the separator row of a table must come right under its header row"
                    .into(),
                hint: "move this line up to the second line of the table: the first row is the header".into(),
            },
            None => MarkupError {
                offset: lines[0].0,
                message: "this table has no separator row under its header row".into(),
                hint: "add a line like `|:--:|-----------|------|` under the header row: `:-:` centres a column, `--:` sets it right, and the dash counts give the relative column widths".into(),
            },
        });
    }
    let mut align = Vec::new();
    let mut widths = Vec::new();
    for (at, c) in &rows[1] {
        match separator_cell(c) {
            Some((a, w)) => {
                align.push(a);
                widths.push(w);
            }
            None => {
                return Err(MarkupError {
                    offset: *at,
                    message: format!("`{}` is not a separator cell", c.trim()),
                    hint: "a separator cell is dashes, with a colon for the alignment: `---` left, `:-:` centre, `--:` right".into(),
                })
            }
        }
    }
    for (k, row) in rows.iter().enumerate().skip(1) {
        if row.len() != header.len() {
            let what = if k == 1 {
                "the separator row"
            } else {
                "this row"
            };
            return Err(MarkupError {
                offset: lines[k].0,
                message: format!(
                    "{what} has {} cells; the header row has {}",
                    row.len(),
                    header.len()
                ),
                hint: RAGGED_HINT.into(),
            });
        }
    }
    let cells = |row: &Vec<(usize, String)>| row.iter().map(|(_, c)| cell(c)).collect();
    Ok(Block::Table {
        align,
        widths,
        header: cells(header),
        rows: rows[2..].iter().map(cells).collect(),
    })
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

/// Parses a body text into numbered blocks with the default levels (`I.` / `1.` / `1.1.` /
/// `a)`): level 1 is the section, 2 is `##`. Headings and `+` items of one level share a
/// counter that restarts under each new parent.
pub fn parse(text: &str) -> Result<Vec<Block>, Vec<MarkupError>> {
    parse_levels(text, &Levels::default(), None)
}

/// [`parse`] with a plan's `levels`; `section` is the number of the section the text belongs
/// to, which a `1.1.` level right under the sections continues (`2.1.` in section 2).
pub fn parse_levels(
    text: &str,
    levels: &Levels,
    section: Option<usize>,
) -> Result<Vec<Block>, Vec<MarkupError>> {
    parse_with(text, false, levels, section)
}

/// The body of an article (`Điều N.`): `+ ` items are khoản `1.`, `2.` …; indented `  + `
/// items under a khoản are its điểm `a)`, `b)` … (Phụ lục I, II.6.đ).
pub fn parse_articles(text: &str) -> Result<Vec<Block>, Vec<MarkupError>> {
    parse_with(text, true, &Levels::default(), None)
}

/// The counters of every level and the label each printed last (a `1.1.` label is built on
/// its parent's).
struct Numbering<'a> {
    levels: &'a Levels,
    counters: [usize; 8],
    labels: [String; 8],
}

impl Numbering<'_> {
    fn next(&mut self, level: usize) -> String {
        self.counters[level] += 1;
        for l in level + 1..self.counters.len() {
            self.counters[l] = 0;
            self.labels[l].clear();
        }
        let n = self.counters[level];
        let parent = level - 1;
        let label = match self.levels.style(level) {
            Style::Compound
                if self.counters[parent] > 0
                    && matches!(self.levels.style(parent), Style::Arabic | Style::Compound) =>
            {
                format!("{}{n}.", self.labels[parent])
            }
            s => simple_label(s, n),
        };
        self.labels[level] = label.clone();
        label
    }
}

fn parse_with(
    text: &str,
    nested: bool,
    levels: &Levels,
    section: Option<usize>,
) -> Result<Vec<Block>, Vec<MarkupError>> {
    let mut errors = Vec::new();
    let pieces = paragraphs(text, nested, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut num = Numbering {
        levels,
        counters: [0; 8],
        labels: Default::default(),
    };
    if let Some(n) = section {
        num.counters[1] = n;
        num.labels[1] = levels.section_label(n);
    }
    let max = num.counters.len() - 1;
    let mut current: usize = 1;
    let mut blocks = Vec::new();
    for piece in pieces {
        let (kind, body) = match piece {
            Piece::Table(t) => {
                blocks.push(t);
                continue;
            }
            Piece::Text(kind, body) => (kind, body),
        };
        let runs = inline(&body);
        match kind {
            Kind::Heading(level) => {
                let l = level as usize;
                current = l;
                blocks.push(Block::Heading {
                    level,
                    label: num.next(l),
                    style: levels.style(l),
                    runs,
                });
            }
            Kind::Item | Kind::SubItem => {
                let l = if kind == Kind::SubItem {
                    4
                } else {
                    (current + 1).min(max)
                };
                blocks.push(Block::Item {
                    level: l as u8,
                    label: num.next(l),
                    runs,
                });
            }
            Kind::Dash => blocks.push(Block::Dash { runs }),
            Kind::Para => blocks.push(Block::Para { runs }),
        }
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Vec<String> {
        parse(text).unwrap().iter().map(|b| b.plain()).collect()
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
            .unwrap()
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

    fn levels(names: &[&str]) -> Levels {
        Levels::new(names.iter().map(|n| Style::parse(n).unwrap()).collect()).unwrap()
    }

    #[test]
    fn levels_choose_the_labels() {
        let l = levels(&["1.", "a)"]);
        let b: Vec<String> =
            parse_levels("## Về tổ chức\n+ Một\n+ Hai\n## Về kinh phí", &l, Some(2))
                .unwrap()
                .iter()
                .map(|b| b.plain())
                .collect();
        assert_eq!(
            b,
            vec!["a) Về tổ chức", "a) Một", "b) Hai", "b) Về kinh phí"]
        );
        assert_eq!(l.section_label(3), "3.");
        assert!(!l.upper_sections());
        assert!(Levels::default().upper_sections());
        // `1.1.` under the sections continues the section's number.
        let l = levels(&["1.", "1.1.", "a)"]);
        let b: Vec<String> = parse_levels("## Một\n+ x\n## Hai", &l, Some(2))
            .unwrap()
            .iter()
            .map(|b| b.plain())
            .collect();
        assert_eq!(b, vec!["2.1. Một", "a) x", "2.2. Hai"]);
        assert!(matches!(
            parse_levels("## Một", &levels(&["1.", "a)"]), None).unwrap()[0],
            Block::Heading {
                style: Style::Letter,
                ..
            }
        ));
        assert!(Levels::new(vec![]).is_err());
        assert_eq!(
            Levels::new(vec![Style::Roman, Style::Compound])
                .unwrap_err()
                .0,
            1
        );
        assert!(Levels::new(vec![Style::Arabic; 5]).is_err());
    }

    fn table_of(text: &str) -> (Vec<Align>, Vec<usize>, Vec<String>) {
        let blocks = parse(text).unwrap();
        let t = blocks
            .iter()
            .find(|b| matches!(b, Block::Table { .. }))
            .unwrap();
        match t {
            Block::Table { align, widths, .. } => (
                align.clone(),
                widths.clone(),
                t.plain().lines().map(str::to_string).collect(),
            ),
            _ => unreachable!(),
        }
    }

    #[test]
    fn pipe_tables() {
        let text = "Phân công:\n| STT | Nội dung | Đơn vị chủ trì | Thời gian |\n|:--:|------------------|----------|:-----:|\n| 1 | Lễ khai mạc **Tuần lễ** | Sở GD&ĐT<br>- Hội Khuyến học | 01/10 |\n|2|Hội sách \\| báo||--:|\nSau bảng.";
        let (align, widths, rows) = table_of(text);
        assert_eq!(
            align,
            vec![Align::Center, Align::Left, Align::Left, Align::Center]
        );
        assert_eq!(widths, vec![4, 18, 10, 7]);
        assert_eq!(
            rows,
            vec![
                "STT | Nội dung | Đơn vị chủ trì | Thời gian",
                "1 | Lễ khai mạc Tuần lễ | Sở GD&ĐT - Hội Khuyến học | 01/10",
                "2 | Hội sách | báo |  | --:",
            ]
        );
        let blocks = parse(text).unwrap();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[2].plain(), "Sau bảng.");
        let Block::Table { rows, .. } = &blocks[1] else {
            panic!()
        };
        assert!(matches!(rows[0][2][1], Block::Dash { .. }));
        assert!(rows[1][2].is_empty());
        // Without the final pipe, and right-aligned.
        let (align, _, rows) = table_of("| a | b\n|---|--:\n| 1 | 2");
        assert_eq!(align, vec![Align::Left, Align::Right]);
        assert_eq!(rows[1], "1 | 2");
    }

    #[test]
    fn malformed_tables_are_errors_at_their_line() {
        let err = |t: &str| {
            let e = parse(t).unwrap_err();
            assert_eq!(e.len(), 1, "{e:?}");
            e[0].clone()
        };
        let ragged = "Mở đầu\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n";
        let e = err(ragged);
        assert_eq!(e.offset, ragged.find("| 1").unwrap());
        assert!(e.message.contains("3 cells"), "{}", e.message);
        let e = err("| a | b |\n| 1 | 2 |\n");
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("no separator"));
        let e = err("| a | b |\n| 1 | 2 |\n|---|---|");
        assert!(e.message.contains("right under"), "{}", e.message);
        let bad = "| a | b |\n|---|-x-|\n";
        let e = err(bad);
        assert_eq!(e.offset, bad.find("-x-").unwrap());
        let e = err("| a | b |\n|---|:|\n");
        assert!(e.message.contains("`:`"), "{}", e.message);
        let e = err("| a | b |\n|---|---|---|\n");
        assert!(e.message.contains("separator row has 3"), "{}", e.message);
        // A table inside an article's text is checked too.
        assert!(parse_articles("+ Một\n| a |\n").is_err());
    }
}
