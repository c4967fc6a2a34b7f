//! Pagination a secretariat accepts (issue 9, items 3 and 4): every plan in `plans/` (batch
//! rows too), every layout fixture and a few long generated plans are typeset through the
//! library, and the foot of every page is measured on the typeset document.
//!
//! The foot gap of a page is the distance from the bottom margin edge (297 − 20 mm; on page
//! 1 of a plan with ô 13, the top of the contact footer less its 12 pt clearance) up to the
//! bottom of the lowest line of the text flow (its baseline + the descender, 0.216 em: the
//! line box Typst sets with `bottom-edge: "descender"`). The rules, on every page that does
//! not end the document or a part of it (the page before an appendix or an attachment):
//!
//! - the gap stays under three body lines and two paragraph gaps: what a heading and the
//!   first two lines of its paragraph take, with the gaps above them (61.7 pt, 21.8 mm). A
//!   chain of headings moving together (a heading never ends a page) may leave what the
//!   chain and two lines take;
//! - on the page before the signature page, the gap may in addition be what the signer
//!   block (with Nơi nhận, never split) and the text that went along with it take, and that
//!   text is at most three body lines (only the last lines of the text go along);
//! - the signature page carries at least two lines of body text (beside a heading);
//! - no page ends with a heading;
//! - a one-page Giấy mời and the Công văn stay one page;
//! - no line starts with a spaced hyphen that belongs to the running text (`Lao động -
//!   Thương binh` wrapped before the hyphen reads as a new dash item).
//!
//! `cargo test --release --test pagination -- --nocapture` prints the largest gap of every
//! document; `PAGINATION_OUT=dir` also writes every PDF measured there.
//!
//! These documents also guard the speed work, as `tests/golden.rs` does for `plans/`: their
//! pagination takes every path of the kept end and of the measured paragraphs, and each
//! PDF's SHA-256 is recorded in `tests/fixtures/pagination-sha256.txt` (a deliberate layout
//! change rewrites it with `VANBAN_UPDATE_HASHES=1`).

mod common;

use std::path::{Path, PathBuf};

use common::{repo, sha256_hex};
use vanban::inspect::{Layout, TextRun};
use vanban::pipeline::{self, Settings};
use vanban::typeset::Engine;

const MM: f64 = 72.0 / 25.4;
/// Body text: 14 pt, a line box of ascender 0.693 + descender 0.216 em, 0.25 em leading,
/// 6.5 pt more between paragraphs (templates/nd30.typ).
const BODY: f64 = 14.0;
const DESCENDER: f64 = 0.216;
const ASCENDER: f64 = 0.693;
const LINE_BOX: f64 = (ASCENDER + DESCENDER) * BODY;
const LEADING: f64 = 0.25 * BODY;
const PITCH: f64 = LINE_BOX + LEADING;
const PARA_GAP: f64 = LEADING + 6.5;
/// Three body lines and two paragraph gaps: a heading and the first two lines of its
/// paragraph with the paragraph gaps above them.
const MAX_GAP: f64 = PARA_GAP + LINE_BOX + PARA_GAP + 2.0 * LINE_BOX + LEADING;
/// `signature()`: 6 pt on top of the paragraph gap above the signer block.
const SIGNER_ABOVE: f64 = PARA_GAP + 6.0;
const TOP_MARGIN: f64 = 20.0 * MM;
const BOTTOM_MARGIN: f64 = 20.0 * MM;
const LEFT_MARGIN: f64 = 30.0 * MM;
const SLACK: f64 = 0.5;

/// One typeset document and what the checks need of its source.
struct Doc {
    name: String,
    layout: Layout,
    /// Height of every page (an appendix may be landscape).
    heights: Vec<f64>,
    /// The plan's texts as the generated Typst source carries them, joined: a spaced
    /// hyphen of the running text is found here with its neighbouring words.
    texts: String,
    /// SHA-256 of the PDF.
    sha256: String,
}

fn settings(root: &Path) -> Settings {
    let mut s = Settings::new(root);
    // Generated plans live in a temporary root; the layouts are always the repository's.
    s.templates = Some(repo().join("templates"));
    s
}

fn build(engine: &Engine, name: String, plan: &vanban::plan::Plan, settings: &Settings) -> Doc {
    let prepared =
        pipeline::prepare(plan, settings, "test").unwrap_or_else(|d| panic!("{name}: {d:#?}"));
    let doc = pipeline::typeset(engine, &prepared).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
    let pdf = vanban::export::pdf(&doc, "test", None).unwrap();
    // `PAGINATION_OUT=dir` keeps every PDF measured, to look at.
    if let Some(dir) = std::env::var_os("PAGINATION_OUT") {
        let file = name.replace(['/', ' '], "_").replace(".toml", "") + ".pdf";
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(file), &pdf).unwrap();
    }
    let sha256 = sha256_hex(&pdf);
    Doc {
        name,
        layout: Layout::of(&doc),
        heights: doc
            .pages()
            .iter()
            .map(|p| p.frame.height().to_pt())
            .collect(),
        texts: string_values(&prepared.source),
        sha256,
    }
}

/// Every plan job under `dir` (a batch file gives one job per row).
fn plan_docs(engine: &Engine, dir: &Path, root: &Path) -> Vec<Doc> {
    let settings = settings(root);
    let mut out = Vec::new();
    for job in vanban::batch::expand(&[dir.to_path_buf()], &settings) {
        let plan = job
            .load(&settings)
            .unwrap_or_else(|d| panic!("{}: {d:#?}", job.label));
        let name = job
            .label
            .strip_prefix(&format!("{}/", root.display()))
            .unwrap_or(&job.label)
            .to_string();
        out.push(build(engine, name, &plan, &settings));
    }
    out
}

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("templates")).unwrap() {
        let Ok(files) = std::fs::read_dir(entry.unwrap().path().join("tests")) else {
            continue;
        };
        for f in files {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The string literals of a Typst source that are values (not dictionary keys), joined:
/// adjacent runs of one paragraph join into its running text.
fn string_values(src: &str) -> String {
    let mut out = String::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(e) = chars.next() {
                        s.push(e);
                    }
                }
                '"' => break,
                _ => s.push(c),
            }
        }
        if chars.peek() != Some(&':') {
            out.push_str(&s);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Lines of a page.

#[derive(Debug, Clone)]
struct Row {
    y: f64,
    x0: f64,
    size: f64,
    text: String,
    /// Every run bold (a heading, a section title, the signer).
    bold: bool,
    /// The runs, to split the row into its columns.
    runs: Vec<TextRun>,
}

impl Row {
    fn top(&self) -> f64 {
        self.y - ASCENDER * self.size
    }
    fn bottom(&self) -> f64 {
        self.y + DESCENDER * self.size
    }
    /// The row's parts at least 1.5 em apart: table cells, the two columns of the signature.
    fn segments(&self) -> Vec<Row> {
        let mut out: Vec<Row> = Vec::new();
        let mut end = f64::NEG_INFINITY;
        for r in &self.runs {
            let t = r.text.replace('\u{a0}', " ");
            match out.last_mut() {
                Some(s) if r.x - end < 1.5 * r.size => {
                    if r.x - end > 0.5 && !s.text.ends_with(' ') && !t.starts_with(' ') {
                        s.text.push(' ');
                    }
                    s.text.push_str(&t);
                    s.size = s.size.max(r.size);
                    s.bold &= r.bold;
                    s.runs.push(r.clone());
                }
                _ => out.push(Row {
                    y: r.y,
                    x0: r.x,
                    size: r.size,
                    text: t,
                    bold: r.bold,
                    runs: vec![r.clone()],
                }),
            }
            end = end.max(r.x + r.width);
        }
        out
    }
}

struct Page {
    /// 1-based.
    number: usize,
    /// The text flow's rows, top to bottom: no page number, no ô 13 footer.
    rows: Vec<Row>,
    /// Where the text flow may end: the bottom margin edge, or the top of ô 13.
    bottom_edge: f64,
}

impl Page {
    fn of(doc: &Doc, number: usize) -> Page {
        let height = doc.heights[number - 1];
        let mut runs: Vec<&TextRun> = doc
            .layout
            .runs
            .iter()
            .filter(|r| r.page == number && r.y > TOP_MARGIN && !r.text.trim().is_empty())
            .collect();
        runs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let mut bottom_edge = height - BOTTOM_MARGIN;
        // ô 13: a rule across the text width in the lower part of the page with only small
        // text (11–12 pt) under it, floated to the foot with 12 pt clearance.
        let width = doc.layout.page_width - LEFT_MARGIN - 20.0 * MM;
        if let Some(rule) = doc.layout.rules.iter().find(|l| {
            l.page == number && l.x1 - l.x0 > 0.95 * width && l.y > 0.6 * height && {
                let below: Vec<_> = runs.iter().filter(|r| r.y > l.y).collect();
                !below.is_empty() && below.iter().all(|r| r.size < 12.5)
            }
        }) {
            bottom_edge = rule.y - 12.0;
            runs.retain(|r| r.y < rule.y);
        }
        let mut rows: Vec<Row> = Vec::new();
        for r in runs {
            match rows.last_mut() {
                Some(row) if (row.y - r.y).abs() < 0.5 => {
                    row.text.push(' ');
                    row.text.push_str(&r.text.replace('\u{a0}', " "));
                    row.size = row.size.max(r.size);
                    row.bold &= r.bold;
                    row.runs.push(r.clone());
                }
                _ => rows.push(Row {
                    y: r.y,
                    x0: r.x,
                    size: r.size,
                    text: r.text.replace('\u{a0}', " "),
                    bold: r.bold,
                    runs: vec![r.clone()],
                }),
            }
        }
        for row in &mut rows {
            row.runs.sort_by(|a, b| a.x.total_cmp(&b.x));
            row.x0 = row.runs[0].x;
        }
        Page {
            number,
            rows,
            bottom_edge,
        }
    }

    fn gap(&self) -> f64 {
        let lowest = self
            .rows
            .iter()
            .map(Row::bottom)
            .fold(f64::NEG_INFINITY, f64::max);
        self.bottom_edge - lowest
    }

    /// The signer block's first row (Nơi nhận level with the authority; THƯ KÝ of a Biên
    /// bản), if it is on this page.
    fn signer_top(&self) -> Option<usize> {
        let nn = self
            .rows
            .iter()
            .position(|r| r.text.contains("Nơi nhận:"))?;
        let bb = self.rows.iter().position(|r| r.text.contains("THƯ KÝ"));
        Some(bb.map_or(nn, |b| b.min(nn)))
    }

    /// The rows grouped into paragraphs: a paragraph's lines follow each other at the line
    /// pitch, paragraphs at least 6 pt further apart.
    fn paragraphs(&self, rows: &[Row]) -> Vec<Vec<Row>> {
        let mut out: Vec<Vec<Row>> = Vec::new();
        for r in rows {
            match out.last_mut() {
                Some(p) if r.y - p.last().unwrap().y < PITCH + 3.0 => p.push(r.clone()),
                _ => out.push(vec![r.clone()]),
            }
        }
        out
    }
}

/// A heading paragraph: bold throughout (I., 1., 1.1., Điều N. with a title, QUYẾT ĐỊNH:),
/// or one line with a heading label and no final punctuation (`a)` headings are regular).
fn is_heading(p: &[Row]) -> bool {
    if p.iter().all(|r| r.bold) {
        return true;
    }
    let t = p[0].text.trim();
    let label = t.split(' ').next().unwrap_or("");
    let labelled = label.ends_with(')') && label.chars().count() <= 3
        || label.ends_with('.')
            && label
                .trim_end_matches('.')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || "IVXLCDM".contains(c));
    p.len() == 1 && labelled && !t.ends_with(['.', ';', ':', ','])
}

fn body_lines(paras: &[Vec<Row>]) -> usize {
    paras
        .iter()
        .filter(|p| !is_heading(p))
        .map(|p| p.iter().filter(|r| r.size > 12.5).count())
        .sum()
}

/// The pages that end the document or a part of it: the last page, and every page before an
/// appendix (`Phụ lục` on top) or an attached document (its own Quốc hiệu).
fn part_ends(pages: &[Page]) -> Vec<bool> {
    let starts = |p: &Page| {
        p.number == 1
            || p.rows
                .first()
                .is_some_and(|r| r.text.starts_with("Phụ lục"))
            || p.rows
                .iter()
                .take(4)
                .any(|r| r.text.contains("CỘNG HÒA XÃ HỘI"))
    };
    (0..pages.len())
        .map(|i| i + 1 == pages.len() || starts(&pages[i + 1]))
        .collect()
}

struct Report {
    name: String,
    pages: usize,
    /// (page, gap, allowed) of every page that does not end a part.
    gaps: Vec<(usize, f64, f64)>,
    failures: Vec<String>,
}

fn check(doc: &Doc) -> Report {
    let pages: Vec<Page> = (1..=doc.layout.pages).map(|n| Page::of(doc, n)).collect();
    let ends = part_ends(&pages);
    let mut gaps = Vec::new();
    let mut failures = Vec::new();
    let mut fail = |m: String| failures.push(format!("{}: {m}", doc.name));
    for (i, page) in pages.iter().enumerate() {
        let n = page.number;
        if page.rows.is_empty() {
            fail(format!("page {n} holds no text"));
            continue;
        }
        let flow: &[Row] = match page.signer_top() {
            Some(s) => &page.rows[..s],
            None => &page.rows,
        };
        let paras = page.paragraphs(flow);
        // The signature page carries at least two lines of body text (page 1 carries the
        // header and the title anyway).
        if page.signer_top().is_some() && n > 1 && body_lines(&paras) < 2 {
            fail(format!(
                "the signature page {n} carries {} line(s) of body text",
                body_lines(&paras)
            ));
        }
        if ends[i] {
            continue;
        }
        if paras.last().is_some_and(|p| is_heading(p)) && page.signer_top().is_none() {
            fail(format!(
                "page {n} ends with the heading {:?}",
                paras.last().unwrap()[0].text
            ));
        }
        let next = &pages[i + 1];
        let gap = page.gap();
        let mut allowed = MAX_GAP;
        let next_flow: &[Row] = match next.signer_top() {
            Some(s) => &next.rows[..s],
            None => &next.rows,
        };
        let next_paras = next.paragraphs(next_flow);
        // A chain of headings on top of the next page and the first two lines after it.
        let chain = next_paras.iter().take_while(|p| is_heading(p)).count();
        if chain > 0 && chain < next_paras.len() {
            let first = &next_paras[0][0];
            let second = next_paras[chain].get(1).unwrap_or(&next_paras[chain][0]);
            allowed = allowed.max(PARA_GAP + second.bottom() - first.top());
        }
        // The signer block moved to the next page with the last lines of the text.
        if let Some(s) = next.signer_top() {
            let carried = body_lines(&next_paras);
            let block = next.rows[s..]
                .iter()
                .map(Row::bottom)
                .fold(f64::NEG_INFINITY, f64::max)
                - next.rows[s].top();
            if carried <= 3 {
                let above = match next_flow.first() {
                    Some(f) => PARA_GAP + next_flow.last().unwrap().bottom() - f.top(),
                    None => 0.0,
                };
                allowed = allowed.max(above + SIGNER_ABOVE + block);
            }
        }
        if gap > allowed + SLACK {
            fail(format!(
                "page {n} ends {:.1} mm above the bottom margin (allowed {:.1} mm); it ends {:?}, page {} starts {:?}",
                gap / MM,
                allowed / MM,
                flow.last().map(|r| &r.text),
                n + 1,
                next.rows.first().map(|r| &r.text)
            ));
        }
        gaps.push((n, gap, allowed));
    }
    failures.extend(hyphen_breaks(doc, &pages));
    Report {
        name: doc.name.clone(),
        pages: pages.len(),
        gaps,
        failures,
    }
}

/// Lines that start with a hyphen of the running text. A line that starts "- " is either a
/// dash item (a paragraph of its own, or a `- ` line of a cell, of Kính gửi or Nơi nhận) or
/// the running text broken before a spaced hyphen. It is the latter when
/// - the previous line's last word, " - " and the line's first word are the plan's text
///   (the line above in the same column; on top of a page, the last line of the page before);
/// - or it is a 14 pt line at the left margin that continues a paragraph (it follows the
///   line above at the line pitch): a dash item starts with the first-line indent.
fn hyphen_breaks(doc: &Doc, pages: &[Page]) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous_page_last: Option<Row> = None;
    for page in pages {
        let segs: Vec<Row> = page.rows.iter().flat_map(Row::segments).collect();
        for (i, s) in segs.iter().enumerate() {
            let Some(rest) = s.text.trim_start().strip_prefix("- ") else {
                continue;
            };
            let x1 = s.runs.iter().map(|r| r.x + r.width).fold(s.x0, f64::max);
            let above = segs[..i].iter().rev().find(|a| {
                a.y < s.y - 0.5 && {
                    let ax1 = a.runs.iter().map(|r| r.x + r.width).fold(a.x0, f64::max);
                    a.x0 < x1 && s.x0 < ax1
                }
            });
            let above = above.cloned().or_else(|| {
                if segs[..i].iter().all(|a| (a.y - s.y).abs() < 0.5) {
                    previous_page_last.clone()
                } else {
                    None
                }
            });
            let Some(above) = above else { continue };
            let last = above.text.split_whitespace().last().unwrap_or("");
            let first = rest.split_whitespace().next().unwrap_or("");
            let probe = format!("{last} - {first}");
            let continues = s.size > 13.5
                && (s.x0 - LEFT_MARGIN).abs() < 1.0
                && above.page_same(s)
                && s.y - above.y < PITCH + 3.0;
            if doc.texts.contains(&probe) || continues {
                out.push(format!(
                    "{}: page {} line {:?} starts with the hyphen of {:?}",
                    doc.name, page.number, s.text, probe
                ));
            }
        }
        previous_page_last = page.rows.last().cloned();
    }
    out
}

impl Row {
    fn page_same(&self, other: &Row) -> bool {
        self.runs[0].page == other.runs[0].page
    }
}

// ---------------------------------------------------------------------------------------
// Long generated plans: where real documents went wrong.

const SENTENCES: &[&str] = &[
    "Tổ chức tuyên truyền sâu rộng trong cán bộ, công chức, viên chức và Nhân dân về ý nghĩa của Tuần lễ hưởng ứng học tập suốt đời",
    "Phối hợp với Sở Lao động - Thương binh và Xã hội, Sở Văn hóa, Thể thao và Du lịch triển khai các hoạt động khuyến học, khuyến tài",
    "Các cơ sở giáo dục thường xuyên, trung tâm học tập cộng đồng bố trí thời gian, địa điểm phù hợp để người dân tham gia học tập",
    "Báo cáo kết quả thực hiện về Sở Giáo dục và Đào tạo trước ngày 20/10 để tổng hợp, báo cáo Ủy ban nhân dân tỉnh theo quy định",
    "Xây dựng kế hoạch chi tiết, phân công nhiệm vụ cụ thể cho từng đơn vị, bảo đảm tiết kiệm, hiệu quả, phù hợp với điều kiện thực tế",
    "Đẩy mạnh ứng dụng công nghệ thông tin trong tổ chức các hoạt động, giai đoạn 2021 - 2030 tập trung vào chuyển đổi số",
    "Huy động các nguồn lực xã hội hóa hợp pháp để hỗ trợ sách, tài liệu và trang thiết bị cho thư viện, tủ sách cơ sở",
];

/// A deterministic mix of sentences: paragraph `i` of a plan has `len` sentences.
fn para(i: usize, len: usize) -> String {
    (0..len)
        .map(|k| SENTENCES[(i * 3 + k * 5) % SENTENCES.len()])
        .collect::<Vec<_>>()
        .join("; ")
        + "."
}

const HEAD: &str = r#"type = "ke-hoach"
number = ""
date = "2024"
title = "Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024"
basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:"
"#;

const TAIL: &str = r#"
[issuer]
name = ["Ủy ban nhân dân", "tỉnh Đắk Lắk"]
abbrev = "UBND"
place = "Đắk Lắk"

[signer]
authority = ["KT. Chủ tịch"]
title = "Phó Chủ tịch"
name = "H’Yim Kđoh"
"#;

fn recipients(n: usize) -> String {
    let to: Vec<String> = (1..=n)
        .map(|i| format!("\"Phòng GDĐT huyện số {i}\""))
        .collect();
    format!(
        "\n[recipients]\nto = [{}]\narchive = [\"VT\", \"KGVX\"]\n",
        to.join(", ")
    )
}

fn toml_text(s: &str) -> String {
    format!("\"\"\"\n{s}\n\"\"\"")
}

/// A Kế hoạch with many short `###`/`####` headings, each over one to three lines.
fn many_headings(extra: usize) -> String {
    let mut s = format!("{HEAD}closing = \"Trên đây là Kế hoạch của UBND tỉnh./.\"\n");
    for sec in 0..4 {
        let mut text = String::new();
        for h in 0..3 {
            text += &format!("## Nhiệm vụ {h} của mục {sec}\n\n");
            for k in 0..2 {
                text += &format!("### Hoạt động {k}\n\n#### Cấp tỉnh\n\n");
                text += &format!("{}\n\n", para(sec + h + k, 1 + (sec + h + k + extra) % 3));
                text += &format!("#### Cấp huyện\n\n- {}\n\n", para(sec * h + k, 1));
            }
        }
        s += &format!(
            "\n[[sections]]\nid = \"muc-{sec}\"\ntitle = \"Mục {sec} của kế hoạch\"\ntext = {}\n",
            toml_text(&text)
        );
    }
    s + TAIL + &recipients(6)
}

/// A Kế hoạch whose closing is long: three paragraphs, the last of about eight lines.
fn long_closing(paras: usize) -> String {
    let closing = format!(
        "{}\n\n{}\n\nTrên đây là Kế hoạch tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024 trên địa bàn tỉnh; {} UBND tỉnh yêu cầu các đơn vị nghiêm túc triển khai thực hiện./.",
        para(1, 2),
        para(2, 1),
        para(3, 5)
    );
    let mut s = format!("{HEAD}closing = {}\n", toml_text(&closing));
    let mut text = String::new();
    for i in 0..paras {
        text += &format!("- {}\n\n", para(i, 1 + i % 4));
    }
    s += &format!(
        "\n[[sections]]\nid = \"noi-dung\"\ntitle = \"Nội dung\"\ntext = {}\n",
        toml_text(&text)
    );
    s + TAIL + &recipients(5)
}

/// A Kế hoạch with thirty recipients and a one-line closing after the last section.
fn many_recipients(paras: usize) -> String {
    let mut s = format!("{HEAD}closing = \"Trên đây là Kế hoạch của UBND tỉnh./.\"\n");
    for sec in 0..2 {
        let mut text = String::from("## Nhiệm vụ chung\n\n");
        for i in 0..paras {
            text += &format!("{}\n\n", para(sec + i, 1 + (i + sec) % 3));
        }
        s += &format!(
            "\n[[sections]]\nid = \"muc-{sec}\"\ntitle = \"Mục {sec}\"\ntext = {}\n",
            toml_text(&text)
        );
    }
    s + TAIL + &recipients(30)
}

/// A Công văn over two pages whose last paragraph is one line.
fn long_cong_van(paras: usize) -> String {
    let mut text = String::new();
    for i in 0..paras {
        text += &format!("{}\n\n", para(i, 1 + i % 3));
    }
    text += "Đề nghị các đơn vị quan tâm, phối hợp thực hiện./.";
    format!(
        r#"type = "cong-van"
number = ""
date = "2024"
unit = "GDTX"
title = "hướng dẫn tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024"
addressees = ["Phòng Giáo dục và Đào tạo các huyện, thị xã, thành phố"]
text = {}
"#,
        toml_text(&text)
    ) + TAIL
        + &recipients(4)
}

fn generated(engine: &Engine) -> Vec<Doc> {
    let dir = tempfile::tempdir().unwrap();
    let mut plans: Vec<(String, String)> = Vec::new();
    for extra in 0..3 {
        plans.push((format!("many-headings-{extra}"), many_headings(extra)));
    }
    // Lengths in steps of one paragraph: the page breaks fall everywhere, the signer block
    // among them.
    for n in 4..=24 {
        plans.push((format!("long-closing-{n}"), long_closing(n)));
    }
    for n in 3..=14 {
        plans.push((format!("many-recipients-{n}"), many_recipients(n)));
    }
    for n in 6..=17 {
        plans.push((format!("long-cong-van-{n}"), long_cong_van(n)));
    }
    let settings = settings(dir.path());
    let mut out = Vec::new();
    for (name, text) in plans {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, &text).unwrap();
        let plan =
            vanban::plan::load(&path, dir.path()).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
        out.push(build(engine, format!("generated/{name}"), &plan, &settings));
    }
    out
}

// ---------------------------------------------------------------------------------------

fn all_docs() -> Vec<Doc> {
    let engine = Engine::new();
    let mut docs = plan_docs(&engine, &repo().join("plans"), &repo());
    let settings = settings(&repo());
    for f in fixtures() {
        let plan = vanban::plan::load(&f, &repo()).unwrap_or_else(|d| panic!("{d:#?}"));
        let name = f.strip_prefix(repo()).unwrap().display().to_string();
        docs.push(build(&engine, name, &plan, &settings));
    }
    docs.extend(generated(&engine));
    docs
}

#[test]
fn every_page_but_the_last_is_full_and_the_signer_never_stands_alone() {
    let docs = all_docs();
    let mut failures = Vec::new();
    println!("largest foot gap of a page that does not end the document (allowed), mm:");
    for doc in &docs {
        let r = check(doc);
        let worst = r
            .gaps
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(p, g, a)| format!("{:5.1} (allowed {:5.1}) on page {p}", g / MM, a / MM))
            .unwrap_or_else(|| "    -".to_string());
        println!("  {:60} {} pages  {worst}", r.name, r.pages);
        failures.extend(r.failures);
    }
    assert!(
        docs.len() >= 50,
        "only {} documents were measured",
        docs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_measured_document_has_its_recorded_bytes() {
    let file = repo().join("tests/fixtures/pagination-sha256.txt");
    // Names repeat (a batch row is named by its file): the n-th of a name is `name#n`.
    let mut built: Vec<(String, String)> = Vec::new();
    for doc in all_docs() {
        let n = built
            .iter()
            .filter(|(k, _)| k.split('#').next() == Some(&doc.name))
            .count();
        built.push((format!("{}#{n}", doc.name), doc.sha256));
    }
    built.sort();
    let text: String = built.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    if std::env::var_os("VANBAN_UPDATE_HASHES").is_some() {
        std::fs::write(&file, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file).unwrap();
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| !want.lines().any(|w| w == *l))
        .collect();
    assert!(
        changed.is_empty() && text.lines().count() == want.lines().count(),
        "these PDFs changed bytes (or the set changed): {changed:#?} \
         (a deliberate layout change: VANBAN_UPDATE_HASHES=1)"
    );
    assert!(built.len() >= 90, "only {} documents", built.len());
}

#[test]
fn a_document_that_fits_on_one_page_is_one_page() {
    let engine = Engine::new();
    let settings = settings(&repo());
    let one_page = [
        "plans/daklak-2024/giay-moi-khai-mac.toml",
        "plans/daklak-2024/cong-van-huong-dan.toml",
        "templates/giay-moi/tests/example.toml",
        "templates/cong-van/tests/example.toml",
        "templates/cong-van/tests/one-addressee-urgent.toml",
    ];
    for p in one_page {
        let plan = vanban::plan::load(&repo().join(p), &repo()).unwrap();
        let doc = build(&engine, p.to_string(), &plan, &settings);
        assert_eq!(doc.layout.pages, 1, "{p} takes {} pages", doc.layout.pages);
    }
}

#[test]
fn the_hyphen_check_sees_a_line_broken_before_a_spaced_hyphen() {
    // The check itself, on a made-up page: "… Sở Lao động" / "- Thương binh …".
    let run = |y: f64, x: f64, text: &str| TextRun {
        page: 1,
        x,
        y,
        width: 300.0,
        size: BODY,
        bold: false,
        italic: false,
        text: text.to_string(),
    };
    let layout = Layout {
        page_width: 595.28,
        page_height: 841.89,
        pages: 1,
        runs: vec![
            run(100.0, LEFT_MARGIN + 28.35, "Phối hợp với Sở Lao động"),
            run(
                100.0 + PITCH,
                LEFT_MARGIN,
                "- Thương binh và Xã hội triển khai",
            ),
            run(
                100.0 + PITCH + 22.7,
                LEFT_MARGIN + 28.35,
                "- Báo cáo kết quả.",
            ),
        ],
        rules: vec![],
    };
    let doc = Doc {
        name: "made-up".into(),
        layout,
        heights: vec![841.89],
        texts: "Phối hợp với Sở Lao động - Thương binh và Xã hội triển khaiBáo cáo kết quả.".into(),
        sha256: String::new(),
    };
    let pages = vec![Page::of(&doc, 1)];
    let found = hyphen_breaks(&doc, &pages);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("Thương binh"));
}
