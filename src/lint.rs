//! The checks of `vanban check`: problems a plan would carry into a signed document.
//!
//! Errors (`mojibake`, `invisible`, `artefact`) stop `build`; warnings only show in
//! `check`. Every finding points at the character it is about, names the field and says what
//! to do. Rules look at the raw field values, as written: code inside `{{ … }}`, `{% … %}` and
//! `{# … #}` is masked out first (see [`mask_templates`]).
//!
//! | code | severity | what |
//! |---|---|---|
//! | `stale-year` | warning | the edition year written literally instead of `{{ year }}` (not a cited document's date) |
//! | `mojibake` | error | TCVN3 (ABC) or VNI text pasted as Unicode ([`crate::mojibake`]) |
//! | `invisible` | error | zero-width characters, soft hyphens, control characters, bidi controls |
//! | `nbsp` | warning | no-break spaces U+00A0 / U+202F |
//! | `tab` | warning | a TAB, which prints as one space |
//! | `double-space` | warning | two or more spaces inside a line |
//! | `unbalanced` | warning | unbalanced `()`, `[]`, `“ ”`, or an odd number of `"` in a field |
//! | `artefact` | error | `CỘNG HÕA` / `HÕA`, the PDF-extraction artefact for `CỘNG HÒA` |
//! | `fixed-phrase` | warning | quốc hiệu or tiêu ngữ typed into the plan (the template prints them) |
//! | `tone-mixed` | warning | old (`hòa`, `Ủy`) and new (`hoà`, `Uỷ`) tone placement in one plan |
//! | `capital` | warning | `nhân dân`, `nhà nước`, `ủy ban nhân dân` not capitalised (Phụ lục II), outside quotations and cited names |
//! | `authority` | warning | a `signer.authority` line not starting with TM., KT., Q., TL., TUQ. |
//! | `deputy` | warning | a `Phó …` signer without a `KT.` line |
//! | `recipients` | warning | a `Lưu` line among `recipients.to` |
//! | `closing` | warning | the body does not end with `./.` |
//! | `symbol` | warning | a `symbol` that is not Decree 30 shaped (`KH-UBND`, `QyĐ-UBND`, `UBND-VX`) |

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use crate::diag::{Diagnostic, Loc};
use crate::mojibake;
use crate::plan::{Plan, Text};
use crate::tone::{self, Style};

/// Every text field of a plan with its name: the core's, then the layout's own fields.
pub fn texts(plan: &Plan) -> Vec<(String, std::borrow::Cow<'_, Text>)> {
    let mut v: Vec<(String, &Text)> = vec![
        ("issuer.abbrev".into(), &plan.abbrev),
        ("title".into(), &plan.title),
        ("basis".into(), &plan.basis),
        ("closing".into(), &plan.closing),
        ("date".into(), &plan.date),
        ("issuer.place".into(), &plan.place),
        ("signer.title".into(), &plan.signer_title),
        ("signer.name".into(), &plan.signer_name),
    ];
    for t in &plan.parent {
        v.push(("issuer.parent".into(), t));
    }
    for t in &plan.name {
        v.push(("issuer.name".into(), t));
    }
    for s in &plan.sections {
        let id = s.id.clone().unwrap_or_default();
        v.push((format!("sections[{id}].title"), &s.title));
        v.push((format!("sections[{id}].text"), &s.text));
    }
    for t in &plan.authority {
        v.push(("signer.authority".into(), t));
    }
    for t in &plan.to {
        v.push(("recipients.to".into(), t));
    }
    for t in &plan.archive {
        v.push(("recipients.archive".into(), t));
    }
    if let Some(t) = &plan.drafter {
        v.push(("recipients.drafter".into(), t));
    }
    if let Some(t) = &plan.symbol {
        v.push(("symbol".into(), t));
    }
    for t in &plan.basis_list {
        v.push(("basis".into(), t));
    }
    for t in &plan.addressees {
        v.push(("addressees".into(), t));
    }
    if let Some(t) = &plan.circulation {
        v.push(("circulation".into(), t));
    }
    if let Some(t) = &plan.contact {
        v.push(("contact".into(), t));
    }
    let appendix_names: Vec<(String, String)> = plan
        .appendices
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let id = a.id.clone().unwrap_or_else(|| (i + 1).to_string());
            (
                format!("appendices[{id}].title"),
                format!("appendices[{id}].text"),
            )
        })
        .collect();
    for (a, (title, text)) in plan.appendices.iter().zip(appendix_names) {
        v.push((title, &a.title));
        v.push((text, &a.text));
    }
    let mut out: Vec<(String, std::borrow::Cow<'_, Text>)> = v
        .into_iter()
        .map(|(n, t)| (n, std::borrow::Cow::Borrowed(t)))
        .collect();
    extra_texts(&plan.extras, "", &mut out);
    out
}

/// The texts of the layout's fields (`event.place`, `articles[dieu-1].text` …).
fn extra_texts(
    node: &crate::tree::Node,
    path: &str,
    out: &mut Vec<(String, std::borrow::Cow<'_, Text>)>,
) {
    use crate::tree::Val;
    match &node.val {
        Val::Str(_) => {
            if let Some(t) = node.text() {
                out.push((path.to_string(), std::borrow::Cow::Owned(t)));
            }
        }
        Val::Table(entries) => {
            for (k, v) in entries {
                if matches!(k.name.as_str(), "id" | "after" | "before") {
                    continue;
                }
                let p = if path.is_empty() {
                    k.name.clone()
                } else {
                    format!("{path}.{}", k.name)
                };
                extra_texts(v, &p, out);
            }
        }
        Val::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let id = item
                    .get("id")
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string());
                extra_texts(item, &format!("{path}[{id}]"), out);
            }
        }
        _ => {}
    }
}

/// Only the findings that stop a build (what `build` needs): the warning rules, tone-mixed
/// above all, cost about a tenth of a document's build time and are `check`'s business.
pub fn errors(plan: &Plan) -> Vec<Diagnostic> {
    errors_except(plan, &|_| false)
}

/// [`errors`] over the texts `known` does not vouch for (texts a batch already found clean:
/// every rule here looks at one text alone).
pub fn errors_except(plan: &Plan, known: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let fields = fields_where(plan, &|t| !known(t));
    let mut out = Vec::new();
    unfilled(&fields, &mut out);
    let garbled = mojibake_rule(&fields, &mut out);
    invisible(&fields, &garbled, &mut out);
    artefact(&fields, &mut out);
    out.retain(Diagnostic::is_error);
    sort(&mut out);
    out
}

fn sort(out: &mut [Diagnostic]) {
    out.sort_by_key(|d| match &d.loc {
        Some(l) => (0, l.file.display_path(), l.span.start),
        None => (1, String::new(), 0),
    });
}

/// All findings about a plan, in file order.
pub fn lint(plan: &Plan) -> Vec<Diagnostic> {
    let fields = fields(plan);
    let mut out = Vec::new();
    unfilled(&fields, &mut out);
    stale_year(plan, &fields, &mut out);
    let garbled = mojibake_rule(&fields, &mut out);
    invisible(&fields, &garbled, &mut out);
    spaces(&fields, &mut out);
    unbalanced(&fields, &mut out);
    artefact(&fields, &mut out);
    fixed_phrase(&fields, &mut out);
    capital(&fields, &mut out);
    tone_mixed(&fields, &mut out);
    authority(plan, &fields, &mut out);
    recipients(&fields, &mut out);
    closing(plan, &mut out);
    symbol(plan, &mut out);
    sort(&mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Fields as the rules see them.

/// A field: its name, its text (list items with their own position in the file) and its value
/// with template code masked.
struct Field {
    name: String,
    text: Text,
    masked: String,
}

impl Field {
    fn at(&self, offset: usize) -> Option<Loc> {
        self.text.loc_at(offset)
    }
}

fn fields(plan: &Plan) -> Vec<Field> {
    fields_where(plan, &|_| true)
}

/// The fields whose text `wanted` picks. Every item is still located, in order, so that
/// equal items keep their own places.
fn fields_where(plan: &Plan, wanted: &dyn Fn(&str) -> bool) -> Vec<Field> {
    let mut cursors = HashMap::new();
    texts(plan)
        .into_iter()
        .filter_map(|(name, t)| {
            let text = locate_item(&t, &mut cursors);
            wanted(&text.value).then(|| {
                let masked = mask_templates(&text.value);
                Field { name, text, masked }
            })
        })
        .collect()
}

/// Items of a list (`to = ["a", "b"]`) carry the span of the whole list; find the item's own
/// string literal in it (in order, so equal items get their own places) so that positions
/// inside the item are exact.
fn locate_item(t: &Text, cursors: &mut HashMap<(usize, usize), usize>) -> Text {
    let Some(loc) = &t.loc else {
        return t.clone();
    };
    let Some(raw) = loc.file.text.get(loc.span.clone()) else {
        return t.clone();
    };
    if t.body_offset != 0 || !raw.starts_with(['[', '"', '\'']) {
        return t.clone();
    }
    let key = (Arc::as_ptr(&loc.file) as usize, loc.span.start);
    let from = cursors.get(&key).copied().unwrap_or(0);
    for delim in ["\"", "'", "\"\"\"", "'''"] {
        let lit = format!("{delim}{}{delim}", t.value);
        if let Some(p) = raw.get(from..).and_then(|r| r.find(&lit)) {
            let start = loc.span.start + from + p;
            cursors.insert(key, from + p + lit.len());
            return Text {
                value: t.value.clone(),
                loc: Some(Loc::new(&loc.file, start..start + lit.len())),
                body_offset: delim.len(),
                // The literal was found verbatim: offsets inside it are the file's.
                exact: true,
            };
        }
    }
    t.clone()
}

/// Replaces minijinja code (`{{ … }}`, `{% … %}`, `{# … #}`) by `_`, byte for byte, so that
/// offsets stay those of the raw value and no rule looks inside template code.
pub fn mask_templates(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if b[i] == b'{' && matches!(b.get(i + 1), Some(b'{' | b'%' | b'#')) {
            let close = match b[i + 1] {
                b'{' => "}}",
                b'%' => "%}",
                _ => "#}",
            };
            let end = s[i + 2..]
                .find(close)
                .map(|p| i + 2 + p + 2)
                .unwrap_or(s.len());
            out.extend(std::iter::repeat_n('_', end - i));
            i = end;
        } else {
            let c = s[i..].chars().next().expect("inside the string");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Shortens a quotation for a one-line message.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

fn more(count: usize, what: &str) -> Option<String> {
    (count > 1).then(|| format!("{} more {what} in this field", count - 1))
}

/// A lower-case view of a text, one char per char of the original, for case-insensitive
/// matching with byte offsets back into the original.
struct View {
    chars: Vec<char>,
    offs: Vec<usize>,
}

impl View {
    fn new(s: &str) -> View {
        let mut chars = Vec::new();
        let mut offs = Vec::new();
        for (i, c) in s.char_indices() {
            chars.push(c.to_lowercase().next().unwrap_or(c));
            offs.push(i);
        }
        offs.push(s.len());
        View { chars, offs }
    }

    /// Matches `pat` at char `i`: a space in the pattern matches one or more white spaces,
    /// `~` matches a dash (`-`, `–`, `—`) with optional spaces around it. Returns the end.
    fn match_at(&self, i: usize, pat: &str) -> Option<usize> {
        let ws = |c: char| c.is_whitespace();
        let mut j = i;
        for p in pat.chars() {
            match p {
                ' ' => {
                    let s = j;
                    while self.chars.get(j).is_some_and(|c| ws(*c)) {
                        j += 1;
                    }
                    if j == s {
                        return None;
                    }
                }
                '~' => {
                    while self.chars.get(j).is_some_and(|c| ws(*c)) {
                        j += 1;
                    }
                    if !matches!(self.chars.get(j), Some('-' | '–' | '—')) {
                        return None;
                    }
                    j += 1;
                    while self.chars.get(j).is_some_and(|c| ws(*c)) {
                        j += 1;
                    }
                }
                p => {
                    if self.chars.get(j) != Some(&p) {
                        return None;
                    }
                    j += 1;
                }
            }
        }
        Some(j)
    }

    /// Whole-word matches of `pat`: (start char, end char).
    fn find_words(&self, pat: &str) -> Vec<(usize, usize)> {
        let first = pat.chars().next().expect("non-empty pattern");
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.chars.len() {
            if self.chars[i] == first && (i == 0 || !self.chars[i - 1].is_alphanumeric()) {
                if let Some(end) = self.match_at(i, pat) {
                    if !self.chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
                        out.push((i, end));
                        i = end;
                        continue;
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The lower-case text before char `i` on the same line, white space collapsed.
    fn before(&self, i: usize, max: usize) -> String {
        let start = i.saturating_sub(max);
        let mut s = String::new();
        for c in &self.chars[start..i] {
            if *c == '\n' {
                s.clear();
            } else if c.is_whitespace() {
                if !s.ends_with(' ') {
                    s.push(' ');
                }
            } else {
                s.push(*c);
            }
        }
        s.trim().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// stale-year

/// A literal edition year in plan text goes stale next year: `--set year=2025` would not
/// change it. Not the edition: part of a longer number, a numeric date (`13/3/2024`), a range
/// (`2023-2030`, `2024 - 2030`), and the dates of cited documents (`Công văn số 5201/… ngày
/// 09 tháng 9 năm 2024`, `Luật Ngân sách nhà nước năm 2015`, see [`citations`]); the year in a
/// cited document's subject (`… về việc tổ chức Tuần lễ … năm 2024`) is the edition's and is
/// reported. Each place is reported once: a string with escapes has no exact positions, so
/// all its years share one place and are counted there.
fn stale_year(plan: &Plan, fields: &[Field], out: &mut Vec<Diagnostic>) {
    let Some(year) = plan.vars.get("year").and_then(|v| v.as_integer()) else {
        return;
    };
    let y = year.to_string();
    // Per place (file and offset, or the field when it has no position): the finding, the
    // number of occurrences there.
    let mut places: Vec<(PlaceKey, Diagnostic, usize)> = Vec::new();
    for f in fields {
        let v = &f.masked;
        let mut cited: Option<Vec<Citation>> = None;
        let mut from = 0;
        while let Some(i) = v[from..].find(&y) {
            let at = from + i;
            from = at + y.len();
            if !is_edition_year(v, at, y.len()) {
                continue;
            }
            let cited = cited.get_or_insert_with(|| citations(v));
            if cited
                .iter()
                .any(|c| c.dates.iter().any(|d| d.contains(&at)))
            {
                continue;
            }
            let loc = f.at(at);
            let key = place_key(loc.as_ref(), &f.name);
            if let Some(p) = places.iter_mut().find(|p| p.0 == key) {
                p.2 += 1;
                continue;
            }
            let d = Diagnostic::warning(
                "stale-year",
                format!(
                    "`{}` has the literal year {y}, which is the edition year",
                    f.name
                ),
            )
            .at_opt(loc)
            .hint("write {{ year }} so --set year=… updates it next year");
            places.push((key, d, 1));
        }
    }
    for (_, mut d, count) in places {
        if count > 1 {
            d = d.note(format!(
                "{count} occurrences of {y} at this place (the string has escapes, so they \
                 cannot be pointed at one by one)"
            ));
        }
        out.push(d);
    }
}

/// Where a finding points: the file and byte offset, or the field's name when it has no
/// position in a file.
#[derive(PartialEq)]
enum PlaceKey {
    File(usize, usize),
    Field(String),
}

fn place_key(loc: Option<&Loc>, field: &str) -> PlaceKey {
    match loc {
        Some(l) => PlaceKey::File(Arc::as_ptr(&l.file) as usize, l.span.start),
        None => PlaceKey::Field(field.to_string()),
    }
}

/// Whether the `len` bytes at `at` of `v` stand alone as a year: not part of a longer number,
/// a numeric date (`13/3/2024`, `2024-10-01`, `9.9.2024`) or a range (`2023-2030`,
/// `2024 - 2030`).
fn is_edition_year(v: &str, at: usize, len: usize) -> bool {
    let before = v[..at].chars().next_back();
    let after = v[at + len..].chars().next();
    let digitish = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '/' || c == '-');
    if digitish(before) || digitish(after) {
        return false;
    }
    // `9.9.2024`: a dot right after a digit.
    let mut rev = v[..at].chars().rev();
    if before == Some('.') && rev.nth(1).is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    // A spaced range: a four-digit year across a dash.
    let dash = |c: char| matches!(c, '-' | '–' | '—');
    let rest = v[at + len..].trim_start_matches(' ');
    if let Some(r) = rest.strip_prefix(dash) {
        let r = r.trim_start_matches(' ');
        if r.len() >= 4 && r.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    let head = v[..at].trim_end_matches(' ');
    if let Some(h) = head.strip_suffix(dash) {
        let h = h.trim_end_matches(' ');
        if h.len() >= 4 && h.as_bytes()[h.len() - 4..].iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Cited documents and quotations

/// A cited document in a text: `Luật Ngân sách nhà nước năm 2015`, `Nghị định số
/// 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư`, `Công văn số
/// 5201/BGDĐT-GDTX ngày 09/9/2024 của Bộ Giáo dục và Đào tạo về việc …`: its name, number,
/// date, issuer and subject are the document's own, written as it was signed.
#[derive(Debug)]
struct Citation {
    /// From the document type (or `số`) to the end of the citation, in bytes.
    span: Range<usize>,
    /// The years of the document's own dates (`ngày … năm 2015`, `… năm 2015` right after a
    /// law's name), in bytes; a year in its subject is not one of them.
    dates: Vec<Range<usize>>,
}

/// Types of documents cited by their name: `Luật Đất đai`, `Bộ luật Hình sự`, `Hiến pháp nước
/// Cộng hòa …`, `Nghị quyết Đại hội …` (and by their number, as every type).
const NAMED_DOCS: &[&str] = &[
    "Luật",
    "Bộ luật",
    "Pháp lệnh",
    "Hiến pháp",
    "Nghị quyết",
    "Điều lệ",
];

/// Types of documents cited by their number (`Nghị định số 30/2020/NĐ-CP`, `Quyết định
/// 1373/QĐ-TTg`), or by a name in quotes (`Đề án “Xây dựng xã hội học tập …”`).
const NUMBERED_DOCS: &[&str] = &[
    "Nghị định",
    "Quyết định",
    "Thông tư liên tịch",
    "Thông tư",
    "Chỉ thị",
    "Lệnh",
    "Công văn",
    "Công điện",
    "Văn bản",
    "Kế hoạch",
    "Tờ trình",
    "Báo cáo",
    "Thông báo",
    "Kết luận",
    "Hướng dẫn",
    "Đề án",
    "Chương trình",
    "Chiến lược",
    "Quy hoạch",
    "Quy chế",
    "Quy định",
    "Biên bản",
];

/// Words that start a cited document's subject after its number, date or issuer.
const SUBJECT_STARTS: &[&str] = &[
    "về",
    "giao",
    "quy định",
    "hướng dẫn",
    "ban hành",
    "phê duyệt",
    "sửa đổi",
    "bổ sung",
    "triển khai",
    "thực hiện",
    "tổ chức",
    "thành lập",
    "công bố",
    "kiện toàn",
    "phân công",
    "kèm theo",
];

/// Words after a comma that start the citing sentence's own clause.
const CLAUSE_STARTS: &[&str] = &[
    "theo",
    "xét",
    "căn cứ",
    "nhằm",
    "để",
    "đồng thời",
    "trong đó",
    "trên cơ sở",
    "đề nghị",
    "giao",
    "yêu cầu",
    "kính",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Word,
    Punct(char),
}

#[derive(Debug)]
struct Token<'a> {
    s: &'a str,
    start: usize,
    end: usize,
    kind: Tok,
}

/// Words (letters and digits, joined by `/`, `-`, `.` between them: `5201/BGDĐT-GDTX`,
/// `09/9/2024`; masked template code `___` is a word) and single punctuation marks; a newline
/// is a mark, other white space separates.
fn tokens(s: &str) -> Vec<Token<'_>> {
    let wordish = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '\n' && c.is_whitespace() {
            continue;
        }
        if !wordish(c) {
            let end = i + c.len_utf8();
            out.push(Token {
                s: &s[i..end],
                start: i,
                end,
                kind: Tok::Punct(c),
            });
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = it.peek() {
            let joins =
                matches!(d, '/' | '-' | '.') && s[j + 1..].chars().next().is_some_and(wordish);
            if wordish(d) || joins {
                end = j + d.len_utf8();
                it.next();
            } else {
                break;
            }
        }
        out.push(Token {
            s: &s[i..end],
            start: i,
            end,
            kind: Tok::Word,
        });
    }
    out
}

/// Whether the words of `phrase` are the tokens from `i` on; returns the number of tokens.
fn phrase_at(toks: &[Token], i: usize, phrase: &str) -> Option<usize> {
    let mut n = 0;
    for w in phrase.split(' ') {
        let t = toks.get(i + n)?;
        if t.kind != Tok::Word || t.s != w {
            return None;
        }
        n += 1;
    }
    Some(n)
}

fn any_phrase_at(toks: &[Token], i: usize, phrases: &[&str]) -> Option<usize> {
    phrases.iter().find_map(|p| phrase_at(toks, i, p))
}

/// A document's number: `30/2020/NĐ-CP`, `57-NQ/TW`, `118/TTr-UBND`.
fn is_doc_number(t: &Token) -> bool {
    t.kind == Tok::Word && t.s.starts_with(|c: char| c.is_ascii_digit()) && t.s.contains(['/', '-'])
}

fn is_year(t: &Token) -> bool {
    t.kind == Tok::Word && t.s.len() == 4 && t.s.bytes().all(|b| b.is_ascii_digit())
}

fn is_number(t: &Token) -> bool {
    t.kind == Tok::Word && t.s.bytes().all(|b| b.is_ascii_digit())
}

fn capitalised(t: &Token) -> bool {
    t.kind == Tok::Word && t.s.chars().next().is_some_and(char::is_uppercase)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Name,
    Number,
    Date,
    Issuer,
    Subject,
}

/// The documents a text cites (see [`Citation`]). A citation starts at a document type
/// followed by a name (`Luật Ngân sách …`), a number (`Nghị định số 30/2020/NĐ-CP`) or a
/// quotation, or at `số` followed by a number with `/`; not at `Kế hoạch này`. It runs to
/// the end of its clause: `;`, `:`, `.`, a line end, or a comma followed by a capitalised
/// word (`…, UBND tỉnh ban hành`) or the citing sentence's own words (`…, đề nghị …`). A
/// comma followed by lower case stays inside the subject (`về quản lý, sử dụng …`) and early
/// in a name (`Luật Phòng, chống tham nhũng`).
fn citations(s: &str) -> Vec<Citation> {
    let toks = tokens(s);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let Some((mut j, mut part)) = citation_start(&toks, i) else {
            continue;
        };
        let mut dates = Vec::new();
        let mut depth = 0usize;
        let mut name_words = 0usize;
        let mut last = j.saturating_sub(1);
        while let Some(t) = toks.get(j) {
            match t.kind {
                Tok::Punct(';' | ':' | '.' | '!' | '?' | '\n') => break,
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Tok::Punct(',') if depth == 0 => {
                    let Some(next) = toks.get(j + 1) else { break };
                    let lower_goes_on =
                        part == Part::Subject || (part == Part::Name && name_words <= 3);
                    if capitalised(next)
                        || any_phrase_at(&toks, j + 1, CLAUSE_STARTS).is_some()
                        || !lower_goes_on
                    {
                        break;
                    }
                }
                Tok::Punct(_) => {}
                Tok::Word => {
                    let dated = part != Part::Subject;
                    // ngày 19 tháng 6 năm 2015, ngày 09/9/2024
                    if t.s == "ngày" && toks.get(j + 1).is_some_and(|n| n.kind == Tok::Word) {
                        let long = toks.get(j + 1).is_some_and(is_number)
                            && phrase_at(&toks, j + 2, "tháng").is_some()
                            && toks.get(j + 3).is_some_and(is_number)
                            && phrase_at(&toks, j + 4, "năm").is_some()
                            && toks.get(j + 5).is_some_and(is_year);
                        if long {
                            if dated {
                                dates.push(toks[j + 5].start..toks[j + 5].end);
                                part = Part::Date;
                            }
                            last = j + 5;
                            j += 6;
                            continue;
                        }
                        if is_doc_number(&toks[j + 1]) {
                            if dated {
                                part = Part::Date;
                            }
                            last = j + 1;
                            j += 2;
                            continue;
                        }
                    }
                    // … năm 2015 right after the name, number or date (or in brackets
                    // after them: `(sửa đổi, bổ sung năm 2019)`)
                    if t.s == "năm" && toks.get(j + 1).is_some_and(is_year) {
                        if matches!(part, Part::Name | Part::Number | Part::Date) {
                            dates.push(toks[j + 1].start..toks[j + 1].end);
                            if depth == 0 {
                                part = Part::Date;
                            }
                        }
                        last = j + 1;
                        j += 2;
                        continue;
                    }
                    if t.s == "số" && toks.get(j + 1).is_some_and(is_doc_number) {
                        if part != Part::Subject {
                            part = Part::Number;
                        }
                        last = j + 1;
                        j += 2;
                        continue;
                    }
                    if depth == 0 {
                        part = match part {
                            Part::Name if t.s == "về" => Part::Subject,
                            Part::Name => {
                                name_words += 1;
                                Part::Name
                            }
                            Part::Number | Part::Date | Part::Issuer if t.s == "của" => {
                                Part::Issuer
                            }
                            Part::Number | Part::Date => Part::Subject,
                            Part::Issuer if any_phrase_at(&toks, j, SUBJECT_STARTS).is_some() => {
                                Part::Subject
                            }
                            p => p,
                        };
                    }
                }
            }
            last = j;
            j += 1;
        }
        let span = toks[i].start..toks[last.max(i)].end;
        out.push(Citation { span, dates });
    }
    out
}

/// Whether a citation starts at token `i`: the token after its opening and the part it is
/// in there.
fn citation_start(toks: &[Token], i: usize) -> Option<(usize, Part)> {
    let t = &toks[i];
    if t.kind != Tok::Word {
        return None;
    }
    if t.s == "số" {
        let n = toks.get(i + 1)?;
        return (is_doc_number(n) && n.s.contains('/')).then_some((i + 2, Part::Number));
    }
    let named = NAMED_DOCS.iter().find_map(|p| phrase_at(toks, i, p));
    let (n, named) = match named {
        Some(n) => (n, true),
        None => (any_phrase_at(toks, i, NUMBERED_DOCS)?, false),
    };
    let next = toks.get(i + n)?;
    match next.kind {
        Tok::Punct('“' | '"') => Some((i + n, Part::Name)),
        Tok::Word if next.s == "này" => None,
        Tok::Word if next.s == "số" && toks.get(i + n + 1).is_some_and(is_doc_number) => {
            Some((i + n + 2, Part::Number))
        }
        Tok::Word if is_doc_number(next) => Some((i + n + 1, Part::Number)),
        Tok::Word if named && (capitalised(next) || matches!(next.s, "sửa" | "nước")) => {
            Some((i + n, Part::Name))
        }
        _ => None,
    }
}

/// Byte ranges between “ and ” and between pairs of straight quotes `"`.
fn quotations(s: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in s.char_indices() {
        match c {
            '“' => open = Some(i),
            '”' => {
                if let Some(o) = open.take() {
                    out.push(o..i + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    let straight: Vec<usize> = s.match_indices('"').map(|(i, _)| i).collect();
    for pair in straight.chunks_exact(2) {
        out.push(pair[0]..pair[1] + 1);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// mojibake, invisible, nbsp, double-space, unbalanced

/// Legacy-encoded text; returns, per field, the byte ranges found (for `invisible`).
fn mojibake_rule(fields: &[Field], out: &mut Vec<Diagnostic>) -> Vec<Vec<Range<usize>>> {
    fields
        .iter()
        .map(|f| {
            let runs = mojibake::detect_all(&f.masked);
            if let Some((r, kind, decoded)) = runs.first() {
                let mut d = Diagnostic::error(
                    "mojibake",
                    format!(
                        "`{}` has garbled text “{}” typed in a legacy Vietnamese encoding",
                        f.name,
                        clip(&f.text.value[r.clone()], 40)
                    ),
                )
                .at_opt(f.at(r.start))
                .hint(format!(
                    "this looks like {} text pasted as Unicode; it reads \"{}\" (convert it to \
                     Unicode, e.g. with Unikey's converter, or retype it)",
                    kind.name(),
                    clip(decoded, 80)
                ));
                if let Some(n) = more(runs.len(), "garbled passage(s)") {
                    d = d.note(n);
                }
                out.push(d);
            }
            runs.into_iter().map(|(r, _, _)| r).collect()
        })
        .collect()
}

fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200B}' => "zero-width space",
        '\u{200C}' => "zero-width non-joiner",
        '\u{200D}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "zero-width no-break space (BOM)",
        '\u{AD}' => "soft hyphen",
        c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => "control character",
        c => return bidi_name(c),
    })
}

/// The bidi controls: invisible, they reorder the text around them (U+202E prints the rest of
/// a title reversed).
fn bidi_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200E}' => "bidi control, left-to-right mark",
        '\u{200F}' => "bidi control, right-to-left mark",
        '\u{061C}' => "bidi control, Arabic letter mark",
        '\u{202A}' => "bidi control, left-to-right embedding",
        '\u{202B}' => "bidi control, right-to-left embedding",
        '\u{202C}' => "bidi control, pop directional formatting",
        '\u{202D}' => "bidi control, left-to-right override",
        '\u{202E}' => "bidi control, right-to-left override",
        '\u{2066}' => "bidi control, left-to-right isolate",
        '\u{2067}' => "bidi control, right-to-left isolate",
        '\u{2068}' => "bidi control, first strong isolate",
        '\u{2069}' => "bidi control, pop directional isolate",
        _ => return None,
    })
}

/// Whether `check` reports `c` as an `invisible` error (zero-width characters, soft hyphens,
/// control characters but the newline, TAB and CR, bidi controls): the font check need not
/// report it again as a missing glyph.
pub fn is_invisible(c: char) -> bool {
    invisible_name(c).is_some()
}

/// Characters that print nothing (or something unexpected) but break search and copy.
fn invisible(fields: &[Field], garbled: &[Vec<Range<usize>>], out: &mut Vec<Diagnostic>) {
    for (f, runs) in fields.iter().zip(garbled) {
        let mut found: BTreeMap<char, (usize, usize)> = BTreeMap::new();
        for (i, c) in f.masked.char_indices() {
            if invisible_name(c).is_none() {
                continue;
            }
            // In TCVN3 the soft hyphen is the letter ư: `mojibake` already reports it.
            if c == '\u{AD}' && runs.iter().any(|r| r.contains(&i)) {
                continue;
            }
            found.entry(c).or_insert((i, 0)).1 += 1;
        }
        let mut found: Vec<_> = found.into_iter().collect();
        found.sort_by_key(|(_, (at, _))| *at);
        for (c, (at, count)) in found {
            let name = invisible_name(c).unwrap_or("invisible character");
            let mut d = Diagnostic::error(
                "invisible",
                format!("`{}` has an invisible {name} (U+{:04X})", f.name, c as u32),
            )
            .at_opt(f.at(at))
            .hint(if c == '\u{AD}' {
                "delete it: soft hyphens come from copying out of Word and break search in the PDF"
            } else if bidi_name(c).is_some() {
                "delete it: a bidi control reorders the text around it (the PDF would print it \
                 reversed or shuffled) and cannot be seen in most editors"
            } else {
                "delete it: it is invisible in most editors but breaks search and copy in the PDF"
            });
            if let Some(n) = more(count, "such character(s)") {
                d = d.note(n);
            }
            out.push(d);
        }
    }
}

/// No-break spaces, TABs and runs of spaces inside a line.
fn spaces(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        let tabs: Vec<usize> = f.masked.match_indices('\t').map(|(i, _)| i).collect();
        if let Some(&at) = tabs.first() {
            let mut d = Diagnostic::warning(
                "tab",
                format!("`{}` has a TAB (U+0009), which prints as one space", f.name),
            )
            .at_opt(f.at(at))
            .hint(
                "replace it with a space; columns are a table (| … |), and paragraphs are \
                 indented by the template",
            );
            if let Some(n) = more(tabs.len(), "TAB(s)") {
                d = d.note(n);
            }
            out.push(d);
        }
        let mut nbsp: BTreeMap<char, (usize, usize)> = BTreeMap::new();
        for (i, c) in f.masked.char_indices() {
            if matches!(c, '\u{A0}' | '\u{202F}') {
                nbsp.entry(c).or_insert((i, 0)).1 += 1;
            }
        }
        for (c, (at, count)) in nbsp {
            let name = if c == '\u{A0}' {
                "no-break space (U+00A0)"
            } else {
                "narrow no-break space (U+202F)"
            };
            let mut d = Diagnostic::warning("nbsp", format!("`{}` has a {name}", f.name))
                .at_opt(f.at(at))
                .hint("replace it with an ordinary space: line breaking and spacing come from the template");
            if let Some(n) = more(count, "no-break space(s)") {
                d = d.note(n);
            }
            out.push(d);
        }

        let mut runs = Vec::new();
        let mut line_start = 0;
        for line in f.masked.split('\n') {
            let b = line.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b' ' {
                    let s = i;
                    while i < b.len() && b[i] == b' ' {
                        i += 1;
                    }
                    let inside = line[..s].chars().any(|c| !c.is_whitespace())
                        && line[i..].chars().any(|c| !c.is_whitespace());
                    if i - s >= 2 && inside {
                        runs.push(line_start + s);
                    }
                } else {
                    i += 1;
                }
            }
            line_start += line.len() + 1;
        }
        if let Some(&at) = runs.first() {
            let mut d = Diagnostic::warning(
                "double-space",
                format!("`{}` has two or more spaces in a row", f.name),
            )
            .at_opt(f.at(at))
            .hint("use a single space: alignment and justification come from the template");
            if let Some(n) = more(runs.len(), "place(s)") {
                d = d.note(n);
            }
            out.push(d);
        }
    }
}

/// Brackets and quotes that do not pair up within one field.
fn unbalanced(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        let s = &f.masked;
        let pairs = [('(', ')'), ('[', ']'), ('“', '”')];
        let mut bad: Vec<(usize, String)> = Vec::new();
        for (open, close) in pairs {
            let mut stack: Vec<usize> = Vec::new();
            let mut stray = None;
            for (i, c) in s.char_indices() {
                if c == open {
                    stack.push(i);
                } else if c == close && stack.pop().is_none() {
                    // `a)`, `1)` at the start of a line are list labels, not brackets.
                    let line = &s[s[..i].rfind('\n').map(|p| p + 1).unwrap_or(0)..i];
                    let label = line
                        .trim_start()
                        .trim_start_matches(['-', '+', ' '])
                        .trim_start();
                    let is_label = close == ')'
                        && (1..=3).contains(&label.chars().count())
                        && label.chars().all(char::is_alphanumeric);
                    if !is_label && stray.is_none() {
                        stray = Some(i);
                    }
                }
            }
            if let Some(i) = stray {
                bad.push((i, format!("a closing `{close}` without its `{open}`")));
            } else if let Some(&i) = stack.first() {
                bad.push((i, format!("an opening `{open}` that is never closed")));
            }
        }
        let quotes: Vec<usize> = s.match_indices('"').map(|(i, _)| i).collect();
        if quotes.len() % 2 == 1 {
            let i = *quotes.last().expect("odd count is not zero");
            bad.push((i, "an odd number of straight quotes `\"`".to_string()));
        }
        for (i, what) in bad {
            out.push(
                Diagnostic::warning("unbalanced", format!("`{}` has {what}", f.name))
                    .at_opt(f.at(i))
                    .hint("check the text around it: a bracket or quote is missing or left over"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// artefact, fixed-phrase, capital

/// `CỘNG HÕA`: copied from a PDF whose font mapping turned `Ò` into `Õ`.
/// The «điền: …» markers `vanban new` leaves in fields a deriving office must fill: an error,
/// so such a plan is neither checked clean nor built. Looked for in the values (not the file),
/// so a marker in one batch row fails that row only, and a TOML comment never counts.
fn unfilled(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        for (i, _) in f.text.value.match_indices(crate::plan::MARKER) {
            let end = f.text.value[i..]
                .find('»')
                .map(|j| i + j + '»'.len_utf8())
                .unwrap_or(f.text.value.len());
            out.push(
                Diagnostic::error(
                    "unfilled",
                    format!(
                        "`{}` is not filled in yet: {}",
                        f.name,
                        &f.text.value[i..end]
                    ),
                )
                .at_opt(f.at(i))
                .hint("replace the «điền: …» marker with the real text"),
            );
        }
    }
}

fn artefact(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        let v = View::new(&f.masked);
        for (i, end) in v.find_words("hõa") {
            let orig = &f.text.value[v.offs[i]..v.offs[end]];
            let after_cong = v.before(i, 12).ends_with("cộng");
            let upper = orig.chars().all(|c| !c.is_lowercase());
            if !(upper || after_cong) {
                continue;
            }
            let word = orig.replace('õ', "ò").replace('Õ', "Ò");
            let fix = if after_cong {
                // The "cộng" as written, before the spaces.
                let mut j = i;
                while j > 0 && v.chars[j - 1].is_whitespace() {
                    j -= 1;
                }
                let cong = &f.text.value[v.offs[j - 4]..v.offs[j]];
                format!("{cong} {word}")
            } else {
                word
            };
            out.push(
                Diagnostic::error(
                    "artefact",
                    format!(
                        "`{}` has “{orig}”, a text-extraction artefact, not a Vietnamese word",
                        f.name
                    ),
                )
                // Point at the Õ.
                .at_opt(f.at(v.offs[i + 1]))
                .hint(format!("write \"{fix}\"")),
            );
        }
    }
}

/// The quốc hiệu and tiêu ngữ are printed by the template; typed into the plan they would be
/// printed twice.
fn fixed_phrase(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        let v = View::new(&f.masked);
        let mut hits: Vec<(usize, &str)> = Vec::new();
        for pat in [
            "cộng hòa xã hội chủ nghĩa việt nam",
            "cộng hoà xã hội chủ nghĩa việt nam",
            "cộng hõa xã hội chủ nghĩa việt nam",
        ] {
            for (i, end) in v.find_words(pat) {
                let (s, e) = (v.offs[i], v.offs[end]);
                let orig = &f.text.value[s..e];
                // The country's name inside a sentence ("Hiến pháp nước Cộng hòa xã hội chủ
                // nghĩa Việt Nam") is fine; the header line is not: all capitals, or a line of
                // its own.
                let upper = orig.chars().all(|c| !c.is_lowercase());
                let ls = f.masked[..s].rfind('\n').map(|p| p + 1).unwrap_or(0);
                let le = f.masked[e..]
                    .find('\n')
                    .map(|p| e + p)
                    .unwrap_or(f.masked.len());
                let rest = |t: &str| {
                    t.trim_matches(|c: char| {
                        c.is_whitespace()
                            || matches!(c, '#' | '*' | '-' | '+' | '.' | ':' | ',' | ';')
                    })
                    .is_empty()
                };
                if upper || (rest(&f.masked[ls..s]) && rest(&f.masked[e..le])) {
                    hits.push((s, "the quốc hiệu “CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM”"));
                }
            }
        }
        for (i, _) in v.find_words("độc lập~tự do~hạnh phúc") {
            hits.push((v.offs[i], "the tiêu ngữ “Độc lập - Tự do - Hạnh phúc”"));
        }
        hits.sort();
        for (at, what) in hits {
            out.push(
                Diagnostic::warning("fixed-phrase", format!("`{}` repeats {what}", f.name))
                    .at_opt(f.at(at))
                    .hint(
                        "remove it: the template prints the quốc hiệu and tiêu ngữ in the header",
                    ),
            );
        }
    }
}

/// Names of bodies that contain "nhân dân" in lower case (Phụ lục II).
const NHAN_DAN_BODIES: &[&str] = &[
    "ủy ban",
    "uỷ ban",
    "hội đồng",
    "tòa án",
    "toà án",
    "viện kiểm sát",
    "công an",
    "quân đội",
    "lực lượng vũ trang",
    "an ninh",
    "chiến tranh",
    "cảnh sát",
    "thanh tra",
    "hội thẩm",
];

/// Official names with a lower-case "nhà nước".
const NHA_NUOC_NAMES: &[&str] = &["lưu trữ", "kiểm toán"];

/// Capitalisation of Phụ lục II that a plan gets wrong most often.
fn capital(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields {
        let v = View::new(&f.masked);
        // Quotations and cited documents are written as their authors wrote them: the name of
        // a law or a body keeps its own capitalisation (`Luật Ngân sách nhà nước`).
        let mut kept: Vec<Range<usize>> = quotations(&f.masked);
        kept.extend(citations(&f.masked).into_iter().map(|c| c.span));
        let kept_at = |i: usize| kept.iter().any(|r| r.contains(&v.offs[i]));
        let orig = |i: usize, end: usize| &f.text.value[v.offs[i]..v.offs[end]];
        // (offset, rule, message, hint); one finding per rule and field, with a count.
        let mut hits: Vec<(usize, &str, String, String)> = Vec::new();

        for (i, end) in v.find_words("nhân dân") {
            if !orig(i, end).starts_with('n') || kept_at(i) {
                continue;
            }
            let before = v.before(i, 30);
            if NHAN_DAN_BODIES.iter().any(|b| before.ends_with(b)) {
                continue;
            }
            // Renminbi.
            if v.match_at(end, " tệ").is_some() {
                continue;
            }
            hits.push((
                v.offs[i],
                "nhân dân",
                "“nhân dân” in lower case".into(),
                "write \"Nhân dân\" (Phụ lục II: always capitalised; lower case only inside names \
                 such as \"Ủy ban nhân dân\", \"Hội đồng nhân dân\")"
                    .into(),
            ));
        }
        for (i, end) in v.find_words("nhà nước") {
            if !orig(i, end).starts_with('n') || kept_at(i) {
                continue;
            }
            let before = v.before(i, 30);
            if NHA_NUOC_NAMES.iter().any(|b| before.ends_with(b)) {
                continue;
            }
            hits.push((
                v.offs[i],
                "nhà nước",
                "“nhà nước” in lower case".into(),
                "write \"Nhà nước\" (Phụ lục II: always capitalised, also in \"ngân sách Nhà nước\")"
                    .into(),
            ));
        }
        for pat in ["ủy ban nhân dân", "uỷ ban nhân dân"] {
            for (i, end) in v.find_words(pat) {
                let o = orig(i, end);
                let words: Vec<&str> = o.split_whitespace().collect();
                let first_up = o.chars().next().is_some_and(char::is_uppercase);
                let rest_low = words[1..]
                    .iter()
                    .all(|w| w.chars().all(|c| !c.is_uppercase()));
                let all_up = o.chars().all(|c| !c.is_lowercase());
                if (first_up && rest_low) || all_up || kept_at(i) {
                    continue;
                }
                let fix = if pat.starts_with("uỷ") {
                    "Uỷ ban nhân dân"
                } else {
                    "Ủy ban nhân dân"
                };
                hits.push((
                    v.offs[i],
                    "ủy ban",
                    format!("“{o}” is not capitalised as a body's name"),
                    format!("write \"{fix}\" (Phụ lục II: capital on the first word only)"),
                ));
            }
        }
        hits.sort_by_key(|h| h.0);
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for h in &hits {
            *seen.entry(h.1).or_default() += 1;
        }
        let mut done = std::collections::BTreeSet::new();
        for (at, rule, what, hint) in hits {
            if !done.insert(rule) {
                continue;
            }
            let mut d = Diagnostic::warning("capital", format!("`{}` has {what}", f.name))
                .at_opt(f.at(at))
                .hint(hint);
            if let Some(n) = more(seen[rule], "place(s)") {
                d = d.note(n);
            }
            out.push(d);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tone-mixed

struct Spelling {
    shown: String,
    style: Style,
    count: usize,
}

/// Old and new tone placement in the same plan: one warning, listing both.
fn tone_mixed(fields: &[Field], out: &mut Vec<Diagnostic>) {
    let mut spellings: Vec<(String, Spelling)> = Vec::new();
    // Per style: every occurrence, with its field.
    let mut places: [Vec<(Option<Loc>, &str)>; 2] = [Vec::new(), Vec::new()];
    for f in fields {
        let s = &f.masked;
        let mut start = None;
        for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
            match (c.is_alphabetic(), start) {
                (true, None) => start = Some(i),
                (false, Some(st)) => {
                    start = None;
                    let w = &s[st..i];
                    let Some(style) = tone::classify_word(w) else {
                        continue;
                    };
                    let key = w.to_lowercase();
                    if key == "hõa" {
                        continue; // the artefact, reported on its own
                    }
                    let k = style as usize;
                    places[k].push((f.at(st), &f.name));
                    match spellings.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, sp)) => sp.count += 1,
                        None => spellings.push((
                            key,
                            Spelling {
                                shown: w.to_string(),
                                style,
                                count: 1,
                            },
                        )),
                    }
                }
                _ => {}
            }
        }
    }
    let total = |style: Style| -> usize {
        spellings
            .iter()
            .filter(|(_, s)| s.style == style)
            .map(|(_, s)| s.count)
            .sum()
    };
    let (old, new) = (total(Style::Old), total(Style::New));
    if old == 0 || new == 0 {
        return;
    }
    let (major, minor) = if new > old {
        (Style::New, Style::Old)
    } else {
        (Style::Old, Style::New)
    };
    let list = |style: Style| -> String {
        let mut v: Vec<&Spelling> = spellings
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.style == style)
            .collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.count));
        v.iter()
            .map(|s| format!("“{}” ×{}", s.shown, s.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for ps in places.iter_mut() {
        ps.sort_by_key(|(l, _)| l.as_ref().map(|l| (l.file.display_path(), l.span.start)));
    }
    let where_ = |style: Style| -> String {
        let ps = &places[style as usize];
        let mut shown: Vec<String> = ps
            .iter()
            .filter_map(|(l, _)| l.as_ref())
            .take(3)
            .map(|l| {
                let (line, col) = l.file.line_col(l.span.start);
                format!("{}:{line}:{col}", l.file.display_path())
            })
            .collect();
        let example = if style == Style::Old {
            "hòa, thủy"
        } else {
            "hoà, thuỷ"
        };
        if shown.is_empty() {
            return format!("{} style ({example}): {} place(s)", style.label(), ps.len());
        }
        if ps.len() > shown.len() {
            shown.push(format!("and {} more", ps.len() - shown.len()));
        }
        format!(
            "{} style ({example}) at {}",
            style.label(),
            shown.join(", ")
        )
    };
    let examples: Vec<String> = spellings
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.style == minor)
        .take(3)
        .map(|s| format!("\"{}\" for \"{}\"", tone::rewrite(&s.shown, major), s.shown))
        .collect();
    let (loc, field) = places[minor as usize][0].clone();
    out.push(
        Diagnostic::warning(
            "tone-mixed",
            format!(
                "tone marks are placed in two styles: old {} and new {} (first {} one in `{field}`)",
                list(Style::Old),
                list(Style::New),
                minor.label()
            ),
        )
        .at_opt(loc)
        .note(where_(Style::Old))
        .note(where_(Style::New))
        .hint(format!(
            "use one placement throughout the document, e.g. the {} style of most of the plan: \
             write {}, or build with --tone {}",
            major.label(),
            examples.join(", "),
            major.label()
        )),
    );
}

// ---------------------------------------------------------------------------------------------
// signer, recipients, closing, symbol

const AUTHORITY_PREFIXES: &[&str] = &["TM.", "KT.", "Q.", "TL.", "TUQ."];

/// `TM.`, `KT.`, `Q.`, `TL.`, `TUQ.` (nd30.md §3.7), and `KT.` for a deputy.
fn authority(plan: &Plan, fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields.iter().filter(|f| f.name == "signer.authority") {
        let v = &f.text.value;
        let t = v.trim_start();
        let lead = v.len() - t.len();
        if t.is_empty() {
            continue;
        }
        let ok = AUTHORITY_PREFIXES
            .iter()
            .any(|p| t.starts_with(p) && t[p.len()..].starts_with(' '));
        if ok {
            continue;
        }
        let upper = crate::vietnamese::upper(t);
        let prefix = AUTHORITY_PREFIXES.iter().find(|p| upper.starts_with(**p));
        let hint = match prefix {
            Some(p) if !t.starts_with(p) => {
                format!(
                    "write the prefix in capitals: \"{p} {}\"",
                    t[p.len()..].trim_start()
                )
            }
            Some(p) => format!(
                "put a space after the prefix: \"{p} {}\"",
                t[p.len()..].trim_start()
            ),
            None => "start with TM. (on behalf of a body: \"TM. Ủy ban nhân dân\"), KT. (a deputy \
                     signing for the head: \"KT. Chủ tịch\"), Q. (acting), TL. (by order) or TUQ. \
                     (by authorisation); a head signing in person needs no authority line"
                .to_string(),
        };
        out.push(
            Diagnostic::warning(
                "authority",
                format!(
                    "`signer.authority` line “{}” does not start with TM., KT., Q., TL. or TUQ.",
                    clip(t, 40)
                ),
            )
            .at_opt(f.at(lead))
            .hint(hint),
        );
    }

    let title = plan.signer_title.value.trim_start();
    let lead = plan.signer_title.value.len() - title.len();
    let lower = title.to_lowercase();
    let deputy = lower
        .strip_prefix("phó")
        .is_some_and(|r| r.is_empty() || r.starts_with(' '));
    let kt = plan
        .authority
        .iter()
        .any(|a| crate::vietnamese::upper(a.value.trim_start()).starts_with("KT."));
    if deputy && !kt {
        let head = title["Phó".len()..].trim_start();
        let head = if head.is_empty() { "…" } else { head };
        out.push(
            Diagnostic::warning(
                "deputy",
                format!(
                    "`signer.title` is “{}”, a deputy, but no `signer.authority` line starts with KT.",
                    clip(title, 40)
                ),
            )
            .at_opt(plan.signer_title.loc_at(lead))
            .hint(format!(
                "a deputy signs for the head (ký thay): add \"KT. {head}\" to signer.authority"
            )),
        );
    }
}

/// The `- Lưu: VT, …` line is built from `archive`, `drafter` and `copies`.
fn recipients(fields: &[Field], out: &mut Vec<Diagnostic>) {
    for f in fields.iter().filter(|f| f.name == "recipients.to") {
        let v = &f.text.value;
        let t = v.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '+'));
        let lead = v.len() - t.len();
        let lower = t.to_lowercase();
        // "Lưu: VT, …", "Lưu VT", "Lưu" — but not a recipient such as "Lưu trữ lịch sử tỉnh".
        let is_luu = lower.strip_prefix("lưu").is_some_and(|r| {
            let r = r.trim_start();
            r.is_empty() || r.starts_with(':') || r.starts_with("vt")
        });
        if is_luu {
            out.push(
                Diagnostic::warning(
                    "recipients",
                    format!("`recipients.to` has the archive line “{}”", clip(t, 40)),
                )
                .at_opt(f.at(lead))
                .hint(
                    "remove it: the \"- Lưu: VT, …\" line is printed from recipients.archive \
                     (and drafter, copies), e.g. archive = [\"VT\", \"KGVX\"]",
                ),
            );
        }
    }
}

/// Every body ends with `./.` (nd30.md §3.6).
fn closing(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let last = if !plan.closing.value.trim().is_empty() {
        Some(("closing".to_string(), &plan.closing))
    } else {
        plan.sections
            .iter()
            .rev()
            .find(|s| !s.text.value.trim().is_empty())
            .map(|s| {
                (
                    format!("sections[{}].text", s.id.clone().unwrap_or_default()),
                    &s.text,
                )
            })
    };
    let Some((name, t)) = last else {
        return;
    };
    let body = t.value.trim_end();
    if body.ends_with("./.") {
        return;
    }
    let at = body.char_indices().last().map(|(i, _)| i).unwrap_or(0);
    out.push(
        Diagnostic::warning(
            "closing",
            format!("`{name}`, the end of the body, does not end with “./.”"),
        )
        .at_opt(t.loc_at(at))
        .hint("end the last paragraph with \"./.\", e.g. \"…để được xem xét, giải quyết./.\""),
    );
}

/// Groups of `[A-ZĐ][A-Za-zĐđ]*` joined by `-`, at least two (nd30.md §3.3).
fn symbol(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(t) = &plan.symbol else {
        return;
    };
    let v = &t.value;
    if v.trim().is_empty() {
        return;
    }
    let problem = symbol_problem(v);
    if let Some((at, why)) = problem {
        out.push(
            // A warning: some bodies use digits in their abbreviations (BCĐ389), which the
            // decree's shape does not foresee but which are real.
            Diagnostic::warning(
                "symbol",
                format!("`symbol = \"{v}\"` is not a Decree 30 ký hiệu: {why}"),
            )
            .at_opt(t.loc_at(at))
            .hint(
                "write letter groups joined by \"-\" without spaces, each starting with a capital, \
                 e.g. \"KH-UBND\", \"QyĐ-UBND\", \"UBND-VX\"",
            ),
        );
    }
}

/// The first offending byte offset and why, or `None` for a valid symbol.
fn symbol_problem(v: &str) -> Option<(usize, String)> {
    let masked = mask_templates(v);
    let templated = masked != v;
    let mut group_start = true;
    let mut groups = 0;
    for (i, c) in masked.char_indices() {
        if templated && c == '_' {
            // Template code: the group is whatever it renders to.
            group_start = false;
            continue;
        }
        if group_start {
            if c.is_ascii_uppercase() || c == 'Đ' {
                group_start = false;
                groups += 1;
            } else if c == '-' {
                return Some((i, "two \"-\" in a row".into()));
            } else if c.is_lowercase() {
                return Some((i, format!("a group starts with the lower-case `{c}`")));
            } else {
                return Some((i, format!("unexpected `{}`", c.escape_debug())));
            }
        } else if c == '-' {
            group_start = true;
        } else if !(c.is_ascii_alphabetic() || c == 'Đ' || c == 'đ') {
            return Some((i, format!("unexpected `{}`", c.escape_debug())));
        }
    }
    if group_start {
        let at = masked.len().saturating_sub(1);
        return Some((at, "it ends with \"-\"".into()));
    }
    if groups < 2 && !templated {
        return Some((0, "it needs at least two groups, e.g. \"KH-UBND\"".into()));
    }
    None
}

#[cfg(test)]
mod error_subset_tests {
    use super::*;

    /// `errors()` must find exactly the errors `lint()` finds, or `build` and `check` disagree.
    #[test]
    fn errors_are_the_error_subset_of_lint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.toml");
        let text = include_str!("../plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml").replace(
            "Căn cứ Công văn",
            "Căn cứ C«ng v¨n sè\u{200b} «điền: x» CỘNG HÕA Công văn",
        );
        std::fs::write(&p, text).unwrap();
        let plan = crate::plan::load(&p, dir.path()).unwrap();
        let all: Vec<String> = lint(&plan)
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        let errs: Vec<String> = errors(&plan).iter().map(|d| d.to_string()).collect();
        assert!(all.len() >= 4, "{all:?}");
        assert_eq!(all, errs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

    /// A valid plan with `over` replacing keys: `("title", "\"…\"")`, `("signer.title", …)`;
    /// `extra` is appended (e.g. `[[sections]]`).
    fn plan_with(over: &[(&str, &str)], extra: &str) -> Plan {
        let defaults: &[(&str, &str)] = &[
            ("type", "\"ke-hoach\""),
            (
                "title",
                "\"Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}\"",
            ),
            ("closing", "\"Đề nghị các đơn vị nghiêm túc thực hiện./.\""),
            ("vars.year", "2024"),
            ("issuer.name", "[\"Ủy ban nhân dân\", \"tỉnh Đắk Lắk\"]"),
            ("issuer.abbrev", "\"UBND\""),
            ("issuer.place", "\"Đắk Lắk\""),
            ("signer.authority", "[\"KT. Chủ tịch\"]"),
            ("signer.title", "\"Phó Chủ tịch\""),
            ("signer.name", "\"Nguyễn Văn A\""),
            ("recipients.to", "[\"Như trên\", \"Sở Nội vụ\"]"),
            ("recipients.archive", "[\"VT\", \"KGVX\"]"),
        ];
        let mut keys: Vec<(String, String)> = defaults
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in over {
            match keys.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1 = v.to_string(),
                None => keys.push((k.to_string(), v.to_string())),
            }
        }
        let mut toml = String::new();
        for (k, v) in keys.iter().filter(|(k, _)| !k.contains('.')) {
            toml.push_str(&format!("{k} = {v}\n"));
        }
        for table in ["vars", "issuer", "signer", "recipients"] {
            toml.push_str(&format!("\n[{table}]\n"));
            for (k, v) in &keys {
                if let Some(key) = k.strip_prefix(&format!("{table}.")) {
                    toml.push_str(&format!("{key} = {v}\n"));
                }
            }
        }
        toml.push('\n');
        toml.push_str(extra);
        load_text(&toml)
    }

    fn load_text(toml: &str) -> Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.toml");
        std::fs::write(&path, toml).unwrap();
        crate::plan::load(&path, dir.path())
            .unwrap_or_else(|e| panic!("plan does not load: {e:?}\n{toml}"))
    }

    fn with_code<'a>(d: &'a [Diagnostic], code: &str) -> Vec<&'a Diagnostic> {
        d.iter().filter(|d| d.code == code).collect()
    }

    /// The text at a diagnostic's position, to the end of its line.
    fn quoted(d: &Diagnostic) -> String {
        let l = d.loc.as_ref().expect("a position");
        let rest = &l.file.text[l.span.start..];
        rest.split('\n').next().unwrap_or("").to_string()
    }

    fn line_of(d: &Diagnostic) -> usize {
        let l = d.loc.as_ref().expect("a position");
        l.file.line_col(l.span.start).0
    }

    fn section(text: &str) -> String {
        format!("[[sections]]\nid = \"s\"\ntitle = \"Nội dung\"\ntext = \"\"\"\n{text}\n\"\"\"\n")
    }

    #[test]
    fn a_clean_plan_has_no_findings() {
        let p = plan_with(&[], &section("Tổ chức các hoạt động phù hợp."));
        let d = lint(&p);
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn stale_year() {
        let p = plan_with(
            &[(
                "title",
                "\"Kế hoạch năm 2024, giai đoạn 2023-2030, ngày 13/3/2024\"",
            )],
            "",
        );
        let all = lint(&p);
        let d = with_code(&all, "stale-year");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(quoted(d[0]).starts_with("2024, giai đoạn"));
    }

    #[test]
    fn mojibake_tcvn3_and_vni() {
        let p = plan_with(
            &[
                ("title", "\"Căn cứ C«ng v¨n sè 12 của Bộ\""),
                ("signer.name", "\"Nguyeãn Vaên A\""),
            ],
            &section("Thực hiện tốt.\nCéng hoµ x· héi chñ nghÜa ViÖt Nam"),
        );
        let all = lint(&p);
        let d = with_code(&all, "mojibake");
        assert_eq!(d.len(), 3, "{all:#?}");
        assert!(d.iter().all(|d| d.is_error()));
        let title = d.iter().find(|d| d.message.contains("`title`")).unwrap();
        assert!(quoted(title).starts_with("C«ng v¨n sè 12"));
        assert!(
            title.hint.as_deref().unwrap().starts_with(
                "this looks like TCVN3 (ABC) text pasted as Unicode; it reads \"Công văn số\""
            ),
            "{title:#?}"
        );
        let name = d
            .iter()
            .find(|d| d.message.contains("`signer.name`"))
            .unwrap();
        assert!(name
            .hint
            .as_deref()
            .unwrap()
            .contains("VNI text pasted as Unicode; it reads \"Nguyễn Văn A\""));
        assert!(quoted(name).starts_with("Nguyeãn"));
        let body = d
            .iter()
            .find(|d| d.message.contains("sections[s].text"))
            .unwrap();
        assert!(quoted(body).starts_with("Céng hoµ"));
        assert!(body
            .hint
            .as_deref()
            .unwrap()
            .contains("\"Cộng hoà xã hội chủ nghĩa Việt Nam\""));
        // The legacy text is not also counted as a quốc hiệu, invisible characters, or tones.
        assert!(with_code(&all, "fixed-phrase").is_empty());
        assert!(with_code(&all, "tone-mixed").is_empty());
    }

    #[test]
    fn mojibake_in_a_list_item_points_at_the_item() {
        let p = plan_with(&[("recipients.to", "[\"Như trên\", \"Së Néi vô\"]")], "");
        let d = lint(&p);
        let m = with_code(&d, "mojibake");
        assert_eq!(m.len(), 1, "{d:#?}");
        assert!(quoted(m[0]).starts_with("Së Néi vô\""), "{}", quoted(m[0]));
        assert!(m[0].hint.as_deref().unwrap().contains("\"Sở Nội vụ\""));
    }

    #[test]
    fn template_code_is_not_linted() {
        let p = plan_with(
            &[(
                "title",
                "\"Kế hoạch năm {{ (year ~ \\\"-10-01\\\") | date }}\"",
            )],
            &section("Từ ngày {{ (year ~ \"-10-01\") | date }} đến ngày {{  year  }}./."),
        );
        let d = lint(&p);
        assert!(with_code(&d, "unbalanced").is_empty(), "{d:#?}");
        assert!(with_code(&d, "double-space").is_empty(), "{d:#?}");
        assert_eq!(mask_templates("a {{ b }} c"), "a _______ c");
        assert_eq!(
            mask_templates("{% if x %}đ{% endif %}"),
            "__________đ___________"
        );
    }

    #[test]
    fn invisible_characters() {
        let p = plan_with(
            &[
                ("title", "\"Tổ chức\u{200B} Tuần lễ\u{200B}\""),
                ("basis", "\"Căn cứ\u{00AD}Luật\""),
                ("closing", "\"Thực hiện\\u0007 nghiêm túc./.\""),
                ("signer.name", "\"Trần Thị n\u{AD}íc tr\u{AD}êng\""),
            ],
            "",
        );
        let all = lint(&p);
        let d = with_code(&all, "invisible");
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d.iter().all(|d| d.is_error()));
        let zw = d.iter().find(|d| d.message.contains("U+200B")).unwrap();
        assert!(quoted(zw).starts_with('\u{200B}'));
        assert_eq!(
            zw.notes,
            vec!["1 more such character(s) in this field".to_string()]
        );
        assert!(d
            .iter()
            .any(|d| d.message.contains("soft hyphen") && d.message.contains("`basis`")));
        assert!(d
            .iter()
            .any(|d| d.message.contains("control") && d.message.contains("`closing`")));
        // The soft hyphens of the TCVN3 name are the letter ư: reported as mojibake only.
        assert_eq!(with_code(&all, "mojibake").len(), 1, "{all:#?}");
    }

    #[test]
    fn nbsp_and_double_spaces() {
        let p = plan_with(
            &[("title", "\"Tổ chức\u{A0}Tuần lễ  học tập\"")],
            &section("  Thụt đầu dòng được bỏ qua.\nHai  dấu cách,  rồi   ba.  \nCuối dòng  "),
        );
        let d = lint(&p);
        let nb = with_code(&d, "nbsp");
        assert_eq!(nb.len(), 1);
        assert!(quoted(nb[0]).starts_with('\u{A0}'));
        let ds = with_code(&d, "double-space");
        assert_eq!(ds.len(), 2, "{ds:#?}");
        let title = ds.iter().find(|d| d.message.contains("`title`")).unwrap();
        assert!(quoted(title).starts_with("  học tập"));
        let body = ds.iter().find(|d| d.message.contains("sections")).unwrap();
        assert!(quoted(body).starts_with("  dấu cách"));
        assert_eq!(
            body.notes,
            vec!["2 more place(s) in this field".to_string()]
        );
    }

    #[test]
    fn unbalanced_brackets_and_quotes() {
        let p = plan_with(
            &[
                ("title", "\"Kế hoạch (sửa đổi\""),
                (
                    "basis",
                    "'Căn cứ “Luật Tổ chức chính quyền địa phương và \"Luật\" khác \"'",
                ),
            ],
            &section("a) Mục một;\n- b) Mục hai;\nXem mục 2) dưới đây [kèm theo]."),
        );
        let all = lint(&p);
        let d = with_code(&all, "unbalanced");
        assert_eq!(d.len(), 4, "{d:#?}");
        let t = d.iter().find(|d| d.message.contains("`title`")).unwrap();
        assert!(quoted(t).starts_with("(sửa"));
        assert!(d
            .iter()
            .any(|d| d.message.contains("`basis`") && d.message.contains("“")));
        assert!(d
            .iter()
            .any(|d| d.message.contains("`basis`") && d.message.contains("odd number")));
        let s = d.iter().find(|d| d.message.contains("sections")).unwrap();
        assert!(quoted(s).starts_with(") dưới đây"), "{}", quoted(s));
    }

    #[test]
    fn hoa_artefact() {
        let p = plan_with(
            &[(
                "title",
                "\"Kỷ niệm Quốc khánh nước Cộng hõa xã hội chủ nghĩa Việt Nam\"",
            )],
            &section("ĐỘC LẬP, HÕA BÌNH"),
        );
        let all = lint(&p);
        let d = with_code(&all, "artefact");
        assert_eq!(d.len(), 2, "{all:#?}");
        assert!(d.iter().all(|d| d.is_error()));
        let t = d.iter().find(|d| d.message.contains("`title`")).unwrap();
        assert!(quoted(t).starts_with("õa xã"));
        assert_eq!(t.hint.as_deref(), Some("write \"Cộng hòa\""));
        let s = d.iter().find(|d| d.message.contains("sections")).unwrap();
        assert_eq!(s.hint.as_deref(), Some("write \"HÒA\""));
        let p = plan_with(&[("title", "\"CỘNG HÕA XÃ HỘI CHỦ NGHĨA VIỆT NAM\"")], "");
        let d = lint(&p);
        assert_eq!(
            with_code(&d, "artefact")[0].hint.as_deref(),
            Some("write \"CỘNG HÒA\"")
        );
        assert_eq!(with_code(&d, "fixed-phrase").len(), 1);
    }

    #[test]
    fn quoc_hieu_and_tieu_ngu() {
        let p = plan_with(
            &[
                ("title", "\"CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\""),
                ("basis", "\"Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;\""),
            ],
            &section("Cộng hòa xã hội chủ nghĩa Việt Nam\n**Độc lập – Tự do – Hạnh phúc**\nđộc lập, tự do, hạnh phúc"),
        );
        let all = lint(&p);
        let d = with_code(&all, "fixed-phrase");
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d
            .iter()
            .any(|d| d.message.contains("`title`") && d.message.contains("quốc hiệu")));
        let tn = d.iter().find(|d| d.message.contains("tiêu ngữ")).unwrap();
        assert!(quoted(tn).starts_with("Độc lập –"));
        assert!(!d.iter().any(|d| d.message.contains("`basis`")));
    }

    #[test]
    fn tone_mixed_once_per_plan() {
        let p = plan_with(
            &[("basis", "\"Căn cứ Luật Thủy sản; văn hóa, hóa học\"")],
            &section("Đề nghị Uỷ ban Mặt trận Tổ quốc; thuỷ lợi; quý, hoàn thành."),
        );
        let all = lint(&p);
        let d = with_code(&all, "tone-mixed");
        assert_eq!(d.len(), 1, "{all:#?}");
        let d = d[0];
        assert!(!d.is_error());
        // Old: Ủy (issuer.name), Thủy, hóa ×2 = 4; new: Uỷ, thuỷ = 2.
        assert!(d.message.contains("“hóa” ×2"), "{}", d.message);
        assert!(
            d.message.contains("“Uỷ” ×1") && d.message.contains("“thuỷ” ×1"),
            "{}",
            d.message
        );
        assert!(
            d.message.contains("“Ủy” ×1") && d.message.contains("“Thủy” ×1"),
            "{}",
            d.message
        );
        assert!(quoted(d).starts_with("Uỷ ban Mặt trận"), "{}", quoted(d));
        assert_eq!(d.notes.len(), 2);
        assert!(
            d.notes[0].starts_with("old style (hòa, thủy) at "),
            "{:?}",
            d.notes
        );
        assert!(d.notes[0].contains("plan.toml:"), "{:?}", d.notes);
        assert!(d.notes[0].contains("and 1 more"), "{:?}", d.notes);
        assert!(d.notes[1].starts_with("new style (hoà, thuỷ) at "));
        let hint = d.hint.as_deref().unwrap();
        assert!(
            hint.contains("\"Ủy\" for \"Uỷ\"") && hint.contains("\"thủy\" for \"thuỷ\""),
            "{hint}"
        );

        let one = plan_with(&[("basis", "\"Căn cứ Luật Thủy sản; văn hóa\"")], "");
        assert!(with_code(&lint(&one), "tone-mixed").is_empty());
    }

    #[test]
    fn capitals() {
        let p = plan_with(
            &[
                ("basis", "\"Căn cứ ý kiến của nhân dân và của Ủy ban nhân dân, Hội đồng nhân dân, Tòa án nhân dân, Công an nhân dân, Quân đội nhân dân, Viện kiểm sát nhân dân; Nhân dân\""),
                ("closing", "\"Kinh phí từ ngân sách nhà nước và Nhà nước; Cục Văn thư và Lưu trữ nhà nước./.\""),
            ],
            &section("Giao ủy ban nhân dân các xã; Uỷ Ban Nhân Dân phường; UỶ BAN NHÂN DÂN; uỷ ban nhân dân thị trấn; 100 nhân dân tệ."),
        );
        let all = lint(&p);
        let d = with_code(&all, "capital");
        assert_eq!(d.len(), 3, "{d:#?}");
        let nd = d.iter().find(|d| d.message.contains("“nhân dân”")).unwrap();
        assert!(quoted(nd).starts_with("nhân dân và"));
        assert!(nd.notes.is_empty());
        let nn = d.iter().find(|d| d.message.contains("“nhà nước”")).unwrap();
        assert!(quoted(nn).starts_with("nhà nước và Nhà"));
        assert!(nn.notes.is_empty(), "{nn:#?}");
        let ub: Vec<_> = d
            .iter()
            .filter(|d| d.message.contains("body's name"))
            .collect();
        assert_eq!(ub.len(), 1, "{ub:#?}");
        assert!(quoted(ub[0]).starts_with("ủy ban nhân dân các xã"));
        assert!(ub[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("\"Ủy ban nhân dân\""));
        assert_eq!(
            ub[0].notes,
            vec!["2 more place(s) in this field".to_string()]
        );
        let p = plan_with(&[("basis", "\"Giao Uỷ Ban Nhân Dân phường\"")], "");
        let all = lint(&p);
        let d = with_code(&all, "capital");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains("“Uỷ Ban Nhân Dân”"));
        assert!(d[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("\"Uỷ ban nhân dân\""));
    }

    /// Official names of laws and bodies, quotations and cited documents keep their own
    /// capitalisation; the plan's own sentences are still checked.
    #[test]
    fn capitals_of_cited_names_and_quotations_are_kept() {
        let p = plan_with(
            &[
                ("basis", "\"Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015; Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Nghị định số 163/2016/NĐ-CP ngày 21 tháng 12 năm 2016 của Chính phủ quy định chi tiết thi hành một số điều của Luật Ngân sách nhà nước; Công văn số 12/LĐTBXH-KHTC ngày 09/9/2024 của Bộ Lao động - Thương binh và Xã hội về quản lý, sử dụng ngân sách nhà nước; Thông tư 40/2017/TT-BTC hướng dẫn chế độ chi từ ngân sách nhà nước; ý kiến của nhân dân, UBND tỉnh ban hành Kế hoạch như sau:\""),
                ("closing", "\"Kinh phí thực hiện theo Luật Ngân sách nhà nước, UBND tỉnh bố trí từ ngân sách nhà nước./.\""),
            ],
            &section("Phát động phong trào “Cả nước chung tay vì người nghèo, vì ngân sách nhà nước”.\nThực hiện Kế hoạch này bằng ngân sách nhà nước và Luật Bảo vệ sức khỏe nhân dân; các Ban Thanh tra nhân dân và Hội thẩm nhân dân; giao Uỷ ban nhân dân xã theo văn bản số 5/UBND-VX của ủy ban nhân dân huyện./."),
        );
        let all = lint(&p);
        let d = with_code(&all, "capital");
        assert_eq!(d.len(), 3, "{d:#?}");
        let of = |field: &str| {
            let d = d.iter().find(|d| d.message.contains(field)).unwrap();
            assert!(d.notes.is_empty(), "one place only: {d:#?}");
            quoted(d)
        };
        // basis: only the plan's own "ý kiến của nhân dân".
        assert!(of("`basis`").starts_with("nhân dân, UBND"), "{d:#?}");
        // closing: the law's name ends at ", UBND tỉnh"; the plan's own "nhà nước" follows.
        assert!(of("`closing`").starts_with("nhà nước./."), "{d:#?}");
        // body: "Kế hoạch này" is no citation; the quotation is kept.
        assert!(
            of("sections[s]").starts_with("nhà nước và Luật Bảo vệ"),
            "{d:#?}"
        );
    }

    #[test]
    fn citations_of_real_bases() {
        let cite = |s: &str| -> Vec<(String, Vec<String>)> {
            citations(s)
                .into_iter()
                .map(|c| {
                    let dates = c.dates.iter().map(|d| s[d.clone()].to_string()).collect();
                    (s[c.span].to_string(), dates)
                })
                .collect()
        };
        let s = "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019";
        let c = cite(s);
        assert_eq!(c.len(), 3, "{c:#?}");
        assert_eq!(c[0].0, &s["Căn cứ ".len()..]);
        assert_eq!(
            c[2].0,
            "Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019"
        );
        assert!(c.iter().all(|c| c.1 == ["2019"]), "{c:#?}");

        let s = "Căn cứ Công văn số 5201/BGDĐT-GDTX ngày 09/9/2024 của Bộ Giáo dục và Đào tạo về việc tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024, UBND tỉnh ban hành Kế hoạch tổ chức Tuần lễ năm 2024 trên địa bàn tỉnh như sau:";
        let c = cite(s);
        assert_eq!(c.len(), 2, "{c:#?}");
        assert!(c[0].0.starts_with("Công văn số 5201"));
        assert!(c[0].0.ends_with("suốt đời năm 2024"), "{c:#?}");
        // The subject's year is the edition's, not the document's date.
        assert!(c[0].1.is_empty(), "{c:#?}");

        let s = "Căn cứ Quyết định số 1373/QĐ-TTg ngày 30 tháng 7 năm 2021 của Thủ tướng Chính phủ phê duyệt Đề án “Xây dựng xã hội học tập giai đoạn 2021 - 2030”; Luật Ngân sách nhà nước năm 2015 (sửa đổi, bổ sung năm 2020) và Pháp lệnh Dân số; Nghị quyết này được thông qua ngày 10 tháng 12 năm 2024.";
        let c = cite(s);
        let names: Vec<&str> = c.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "Quyết định số 1373/QĐ-TTg ngày 30 tháng 7 năm 2021 của Thủ tướng Chính phủ phê duyệt Đề án “Xây dựng xã hội học tập giai đoạn 2021 - 2030”",
                "số 1373/QĐ-TTg ngày 30 tháng 7 năm 2021 của Thủ tướng Chính phủ phê duyệt Đề án “Xây dựng xã hội học tập giai đoạn 2021 - 2030”",
                "Đề án “Xây dựng xã hội học tập giai đoạn 2021 - 2030”",
                "Luật Ngân sách nhà nước năm 2015 (sửa đổi, bổ sung năm 2020) và Pháp lệnh Dân số",
                "Pháp lệnh Dân số",
            ]
        );
        assert_eq!(c[0].1, ["2021"]);
        assert_eq!(c[3].1, ["2015", "2020"]);
    }

    #[test]
    fn stale_year_ignores_the_dates_of_cited_documents() {
        let p = plan_with(
            &[(
                "basis",
                "\"Căn cứ Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị; Luật Đầu tư công năm 2024; Công văn số 5201/BGDĐT-GDTX ngày 09/9/2024 của Bộ Giáo dục và Đào tạo về việc tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024, UBND tỉnh ban hành Kế hoạch năm 2024 như sau:\"",
            )],
            &section("Giai đoạn 2024 - 2030 và 2021 – 2024; ngày 9.9.2024.\nNghị quyết này được thông qua ngày 10 tháng 12 năm 2024./."),
        );
        let all = lint(&p);
        let d = with_code(&all, "stale-year");
        let shown: Vec<String> = d.iter().map(|d| quoted(d)).collect();
        assert_eq!(d.len(), 3, "{shown:#?}");
        // The cited Công văn's subject and the plan's own sentence are the edition's.
        assert!(shown[0].starts_with("2024, UBND tỉnh"), "{shown:?}");
        assert!(shown[1].starts_with("2024 như sau"), "{shown:?}");
        // The Nghị quyết's own date (not cited: "Nghị quyết này").
        assert!(shown[2].starts_with("2024./."), "{shown:?}");
        assert!(d.iter().all(|d| d.notes.is_empty()), "{d:#?}");
    }

    /// A string with escapes has no exact positions: its years are one finding, counted.
    #[test]
    fn stale_year_reports_each_place_once() {
        let p = plan_with(
            &[(
                "title",
                "\"Tuần lễ \\\"học tập\\\" năm 2024, khai mạc năm 2024, tổng kết năm 2024\"",
            )],
            &section("Năm 2024 và năm 2024."),
        );
        let all = lint(&p);
        let d = with_code(&all, "stale-year");
        assert_eq!(d.len(), 3, "{d:#?}");
        let title = d.iter().find(|d| d.message.contains("`title`")).unwrap();
        assert_eq!(
            title.notes,
            [
                "3 occurrences of 2024 at this place (the string has escapes, so they cannot be \
              pointed at one by one)"
            ]
        );
        let body: Vec<_> = d
            .iter()
            .filter(|d| d.message.contains("sections"))
            .collect();
        assert_eq!(body.len(), 2, "exact places are each reported: {d:#?}");
        assert!(quoted(body[0]).starts_with("2024 và"));
        assert!(quoted(body[1]).starts_with("2024."));
    }

    #[test]
    fn bidi_controls_are_invisible_errors() {
        let p = plan_with(
            &[
                ("title", "\"Tổ chức \u{202E}Tuần lễ\u{202C}\""),
                ("closing", "\"Thực hiện\u{200F} nghiêm túc./.\""),
                ("signer.name", "\"\u{2066}Nguyễn Văn A\u{2069}\""),
            ],
            &section("Tuần lễ \u{061C}học tập \u{202A}suốt đời\u{202C}."),
        );
        let all = lint(&p);
        let d = with_code(&all, "invisible");
        assert!(d.iter().all(|d| d.is_error()));
        let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        for want in [
            "`title` has an invisible bidi control, right-to-left override (U+202E)",
            "`title` has an invisible bidi control, pop directional formatting (U+202C)",
            "`closing` has an invisible bidi control, right-to-left mark (U+200F)",
            "`signer.name` has an invisible bidi control, left-to-right isolate (U+2066)",
            "`signer.name` has an invisible bidi control, pop directional isolate (U+2069)",
            "`sections[s].text` has an invisible bidi control, Arabic letter mark (U+061C)",
            "`sections[s].text` has an invisible bidi control, left-to-right embedding (U+202A)",
        ] {
            assert!(msgs.contains(&want), "{want}: {msgs:#?}");
        }
        assert_eq!(d.len(), 8, "{msgs:#?}");
        let rlo = d.iter().find(|d| d.message.contains("U+202E")).unwrap();
        assert!(quoted(rlo).starts_with('\u{202E}'));
        assert!(rlo.hint.as_deref().unwrap().contains("reversed"));
        // They stop a build.
        let e = errors(&p);
        assert_eq!(e.len(), 8, "{e:#?}");
        for c in ['\u{202B}', '\u{202D}', '\u{2067}', '\u{2068}', '\u{200E}'] {
            assert!(is_invisible(c), "{c:?}");
        }
        assert!(!is_invisible('\t') && !is_invisible('\u{A0}'));
    }

    #[test]
    fn tabs_print_as_spaces() {
        let p = plan_with(
            &[("title", "\"Tổ chức\tTuần lễ\"")],
            &section("STT\tNội dung\tThời gian\n\tThụt đầu dòng."),
        );
        let all = lint(&p);
        let d = with_code(&all, "tab");
        assert_eq!(d.len(), 2, "{all:#?}");
        assert!(d.iter().all(|d| !d.is_error()));
        assert_eq!(
            d[0].message,
            "`title` has a TAB (U+0009), which prints as one space"
        );
        assert!(quoted(d[0]).starts_with("\tTuần lễ"));
        assert!(quoted(d[1]).starts_with("\tNội dung"));
        assert_eq!(d[1].notes, ["2 more TAB(s) in this field".to_string()]);
        assert!(d[1]
            .hint
            .as_deref()
            .unwrap()
            .contains("replace it with a space"));
        // Not an invisible character, and no error for build.
        assert!(with_code(&all, "invisible").is_empty());
        assert!(errors(&p).is_empty());
    }

    /// The shipped plans with the edition year typed literally (as a clerk would): the
    /// dates of cited documents are not reported, the edition's own places are, once each.
    #[test]
    fn real_plans_with_literal_years() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        // Per finding: the whole line it is on, and the text from its place on.
        let found = |name: &str| -> Vec<(String, String)> {
            let text = std::fs::read_to_string(root.join("plans/daklak-2024").join(name))
                .unwrap()
                .replace("{{ year }}", "2024");
            let path = dir.path().join(name);
            std::fs::write(&path, &text).unwrap();
            let p = crate::plan::load(&path, dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
            let d = lint(&p);
            assert!(with_code(&d, "capital").is_empty(), "{name}: {d:#?}");
            let years = with_code(&d, "stale-year");
            let mut places: Vec<_> = years
                .iter()
                .map(|d| d.loc.as_ref().unwrap().span.start)
                .collect();
            places.dedup();
            assert_eq!(places.len(), years.len(), "{name}: a place reported twice");
            years
                .iter()
                .map(|d| {
                    let line = text.lines().nth(line_of(d) - 1).unwrap().to_string();
                    (line, quoted(d))
                })
                .collect()
        };
        let on = |f: &[(String, String)], line: &str| {
            f.iter().filter(|(l, _)| l.starts_with(line)).count()
        };

        let nq = found("nghi-quyet-hdnd.toml");
        assert_eq!(on(&nq, "date = "), 1, "{nq:#?}");
        // The Nghị quyết's own adoption date ("Nghị quyết này … thông qua ngày …").
        assert_eq!(on(&nq, "Nghị quyết này"), 1, "{nq:#?}");
        // The Tờ trình's date (ngày 05 tháng 11 năm …) and "giai đoạn 2024 - 2030".
        assert_eq!(nq.len(), 2, "{nq:#?}");

        let qd = found("quyet-dinh-ban-hanh-ke-hoach.toml");
        assert_eq!(on(&qd, "date = "), 1, "{qd:#?}");
        // The Công văn's date is not reported, the year of its subject is.
        assert_eq!(on(&qd, "    \"Căn cứ Công văn"), 1, "{qd:#?}");
        assert!(qd.iter().any(|(_, q)| q.starts_with("2024\",")), "{qd:#?}");
        assert_eq!(on(&qd, "Ban hành kèm theo"), 1, "{qd:#?}");
        assert_eq!(on(&qd, "title = \"Kế hoạch"), 1, "{qd:#?}");
        assert_eq!(on(&qd, "proposal"), 0, "{qd:#?}");
        assert_eq!(qd.len(), 4, "{qd:#?}");

        let kh = found("tuan-le-hoc-tap-suot-doi.toml");
        assert_eq!(on(&kh, "title = "), 1, "{kh:#?}");
        let basis: Vec<&String> = kh
            .iter()
            .filter(|(l, _)| l.starts_with("Căn cứ Công văn"))
            .map(|(_, q)| q)
            .collect();
        assert_eq!(basis.len(), 2, "{kh:#?}");
        assert!(
            basis[0].starts_with("2024, UBND tỉnh ban hành"),
            "{basis:?}"
        );
        assert!(basis[1].starts_with("2024 trên địa bàn"), "{basis:?}");
    }

    #[test]
    fn authority_and_deputy() {
        let p = plan_with(
            &[(
                "signer.authority",
                "[\"TM. Ủy ban nhân dân\", \"Chủ tịch\", \"Kt. Chủ tịch\", \"TUQ.Chủ tịch\"]",
            )],
            "",
        );
        let all = lint(&p);
        let d = with_code(&all, "authority");
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(quoted(d[0]).starts_with("Chủ tịch\", \"Kt."));
        assert!(d[1].hint.as_deref().unwrap().contains("\"KT. Chủ tịch\""));
        assert!(d[2].hint.as_deref().unwrap().contains("space"));
        // "Kt." counts as KT. for the deputy rule: only the case is wrong.
        assert!(with_code(&all, "deputy").is_empty());

        let p = plan_with(&[("signer.authority", "[\"TM. Ủy ban nhân dân\"]")], "");
        let d = lint(&p);
        let dep = with_code(&d, "deputy");
        assert_eq!(dep.len(), 1, "{d:#?}");
        assert!(quoted(dep[0]).starts_with("Phó Chủ tịch"));
        assert!(dep[0].hint.as_deref().unwrap().contains("\"KT. Chủ tịch\""));
        assert!(with_code(&d, "authority").is_empty());

        let p = plan_with(
            &[("signer.authority", "[]"), ("signer.title", "\"Chủ tịch\"")],
            "",
        );
        assert!(lint(&p).is_empty());
        let p = plan_with(
            &[
                ("signer.authority", "[]"),
                ("signer.title", "\"Phóng viên\""),
            ],
            "",
        );
        assert!(lint(&p).is_empty());
    }

    #[test]
    fn luu_among_recipients() {
        let p = plan_with(
            &[(
                "recipients.to",
                "[\"Như trên\", \"Lưu trữ lịch sử tỉnh\", \"- Lưu: VT, KGVX.\"]",
            )],
            "",
        );
        let all = lint(&p);
        let d = with_code(&all, "recipients");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(quoted(d[0]).starts_with("Lưu: VT"));
        assert!(d[0].hint.as_deref().unwrap().contains("archive"));
    }

    #[test]
    fn closing_mark() {
        let p = plan_with(&[("closing", "\"Đề nghị các đơn vị thực hiện.\"")], "");
        let all = lint(&p);
        let d = with_code(&all, "closing");
        assert_eq!(d.len(), 1);
        assert!(quoted(d[0]).starts_with(".\""));
        // Without a closing paragraph, the last section's text is the end of the body.
        let p = plan_with(
            &[("closing", "\"\"")],
            &section("Thực hiện nghiêm túc./.\n"),
        );
        assert!(with_code(&lint(&p), "closing").is_empty());
        let p = plan_with(&[("closing", "\"\"")], &section("Thực hiện nghiêm túc"));
        let all = lint(&p);
        let d = with_code(&all, "closing");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("sections[s].text"));
    }

    #[test]
    fn symbols() {
        for good in [
            "KH-UBND",
            "QyĐ-UBND",
            "UBND-VX",
            "QĐ-BNV",
            "TTr-UBND",
            "KH-{{ issuer.abbrev }}",
        ] {
            assert_eq!(symbol_problem(good), None, "{good}");
        }
        for (bad, at) in [
            ("KH UBND", 2),
            ("kh-ubnd", 0),
            ("KH--UBND", 3),
            ("KH-", 2),
            ("UBND", 0),
            ("KH-UBND ", 7),
            ("-KH", 0),
        ] {
            assert_eq!(symbol_problem(bad).map(|p| p.0), Some(at), "{bad}");
        }
        let p = plan_with(&[("symbol", "\"KH UBND\"")], "");
        let all = lint(&p);
        let d = with_code(&all, "symbol");
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
        assert!(quoted(d[0]).starts_with(" UBND"));
        let p = plan_with(&[("symbol", "\"KH-UBND\"")], "");
        assert!(lint(&p).is_empty());
    }

    #[test]
    fn diagnostics_are_in_file_order() {
        let p = plan_with(
            &[("title", "\"Kế hoạch  năm 2024\""), ("closing", "\"Hết.\"")],
            "",
        );
        let d = lint(&p);
        let lines: Vec<usize> = d.iter().map(line_of).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
        assert!(d.len() >= 3);
    }

    /// The shipped plans: no errors, no false capital or year findings; the provincial plan
    /// mixes "Ủy" (header) and "Uỷ" (body) exactly as the signed original does.
    #[test]
    fn real_plans() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("plans/daklak-2024");
        let mut plans = Vec::new();
        for name in ["tuan-le-hoc-tap-suot-doi.toml", "huyen-mau.toml"] {
            let p = crate::plan::load(&dir.join(name), root)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            plans.push((name.to_string(), p));
        }
        let settings = crate::pipeline::Settings::new(root);
        for job in crate::batch::expand(&[dir.join("huyen.toml")], &settings) {
            let p = job
                .load(&settings)
                .unwrap_or_else(|e| panic!("{}: {e:?}", job.label));
            plans.push((job.label.clone(), p));
        }
        assert_eq!(plans.len(), 17);
        for (name, p) in &plans {
            let d = lint(p);
            let errors: Vec<_> = d.iter().filter(|d| d.severity == Severity::Error).collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}");
            for code in [
                "stale-year",
                "capital",
                "mojibake",
                "fixed-phrase",
                "unbalanced",
                "closing",
            ] {
                assert!(with_code(&d, code).is_empty(), "{name}: {d:#?}");
            }
            let unexpected: Vec<_> = d.iter().filter(|d| d.code != "tone-mixed").collect();
            assert!(unexpected.is_empty(), "{name}: {unexpected:#?}");
        }
        let d = lint(&plans[0].1);
        let mixed = with_code(&d, "tone-mixed");
        assert_eq!(mixed.len(), 1, "{d:#?}");
        assert!(mixed[0].message.contains("“Uỷ” ×1"), "{}", mixed[0].message);
        assert!(mixed[0].message.contains("“Ủy” ×1"), "{}", mixed[0].message);
        assert!(quoted(mixed[0]).starts_with("Uỷ ban Mặt trận"));
    }
}
