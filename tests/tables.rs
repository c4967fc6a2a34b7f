//! Tables in the body markup, Phụ lục and numbering levels, on the example plans: what a
//! reader copies out of the PDF (`pdftotext -layout`, the way a table reads on screen) and
//! where the typeset document puts things.

mod common;

use std::process::Command;

use common::*;
use vanban::inspect::Layout;

const MM: f64 = 72.0 / 25.4;
const PLAN: &str = "plans/daklak-2024/ke-hoach-phan-cong.toml";

fn plan() -> (Layout, Vec<u8>) {
    typeset(&repo().join(PLAN), &repo(), &[])
}

/// `pdftotext -layout`, one string per page.
fn layout_pages(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext is needed for the tests: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// The rows `| n | … |` of the plan's appendix table, as cells.
fn appendix_rows() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join(PLAN)).unwrap();
    let from = text.find("[[appendices]]").unwrap();
    text[from..]
        .lines()
        .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `words` occur in `line` in this order.
fn in_order(line: &str, words: &[&str]) -> bool {
    let mut rest = line;
    for w in words {
        match rest.find(w) {
            Some(i) => rest = &rest[i + w.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn table_cells_come_back_in_order() {
    let (_, pdf) = plan();
    let pages = layout_pages(&pdf);
    let all: Vec<&str> = pages.iter().flat_map(|p| p.lines()).collect();
    // The task table of section II: its header, then its first row, cell by cell.
    let head = all
        .iter()
        .position(|l| in_order(l, &["STT", "Nội dung", "Đơn vị chủ trì", "Thời gian"]))
        .expect("the section table's header row");
    assert!(
        in_order(
            all[head + 1],
            &["1", "Lễ phát động phong trào", "Sở Giáo dục", "01/10/2024"]
        ),
        "{}",
        all[head + 1]
    );
    // The appendix table: every row starts a line with its number and its cells' first
    // words, left to right, in the plan's order.
    let rows = appendix_rows();
    assert_eq!(rows.len(), 30);
    let mut at = all
        .iter()
        .position(|l| in_order(l, &["STT", "Hoạt động", "Đơn vị chủ trì", "Thời gian"]))
        .expect("the appendix table's header row");
    for row in &rows {
        let first = |c: &str| c.split_whitespace().next().unwrap().to_string();
        let words: Vec<String> = row.iter().map(|c| first(c)).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let found = all[at..]
            .iter()
            .position(|l| {
                l.trim_start().starts_with(&format!("{} ", row[0])) && in_order(l, &words)
            })
            .unwrap_or_else(|| panic!("row {} not found after line {at}: {words:?}", row[0]));
        at += found + 1;
    }
    // Nothing of the markup is printed.
    let text = pages.join("\n");
    assert!(!text.contains('|') && !text.contains("---") && !text.contains("<br>"));
}

#[test]
fn header_row_repeats_on_both_pages_of_the_long_table() {
    let (l, pdf) = plan();
    let pages = layout_pages(&pdf);
    let rows = appendix_rows();
    // The appendix's pages: the section table has rows numbered 1 … too.
    let start = pages
        .iter()
        .position(|p| p.lines().any(|x| x.trim() == "Phụ lục"))
        .unwrap();
    let page_of = |n: &str, first: &str| {
        pages[start..]
            .iter()
            .position(|p| {
                p.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{n} ")) && l.contains(first))
            })
            .map(|i| start + i + 1)
    };
    let first = page_of("1", "Lễ phát động phong trào và").unwrap();
    let last = page_of("30", "Báo cáo UBND tỉnh").unwrap();
    assert_eq!(last, first + 1, "the 30 rows span two pages");
    assert_eq!(rows.len(), 30);
    for p in [first, last] {
        let header = l
            .lines(p)
            .into_iter()
            .find(|x| x.text.contains("STT") && x.text.contains("Hoạt động"))
            .unwrap_or_else(|| panic!("no header row on page {p}"));
        assert!(header.text.contains("Đơn vị chủ trì") && header.text.contains("Thời gian"));
        assert!(header.runs.iter().all(|r| r.bold), "{:?}", header.text);
        assert!(header.runs.iter().all(|r| (r.size - 13.0).abs() < 0.01));
        // The header is the table's first line on the page; body rows are regular 13 pt.
        let rows_below: Vec<_> = l.lines(p).into_iter().filter(|x| x.y > header.y).collect();
        let row = rows_below
            .iter()
            .find(|x| x.text.starts_with(char::is_numeric))
            .unwrap();
        assert!(row
            .runs
            .iter()
            .all(|r| !r.bold && (r.size - 13.0).abs() < 0.01));
    }
    // A row is never split across pages: every cell of it, whole, on the page of its number
    // (the text in drawing order, where a cell's lines follow each other).
    let raw: Vec<String> = pdf_text(&pdf).split('\u{c}').map(collapse).collect();
    for row in &rows {
        let p = page_of(&row[0], row[1].split_whitespace().next().unwrap()).unwrap();
        for cell in &row[1..] {
            assert!(
                raw[p - 1].contains(&collapse(cell)),
                "row {}: {cell}",
                row[0]
            );
        }
    }
}

#[test]
fn appendix_pages_number_on_their_own() {
    let (l, pdf) = plan();
    let pages = layout_pages(&pdf);
    let start = pages
        .iter()
        .position(|p| p.lines().any(|x| x.trim() == "Phụ lục"))
        .map(|i| i + 1)
        .expect("the appendix");
    assert!(start >= 2 && l.pages == start + 1, "{} pages", l.pages);
    // The page number sits in the top margin (above 20 mm).
    let number = |p: usize| -> Option<String> {
        l.runs
            .iter()
            .find(|r| r.page == p && r.y < 20.0 * MM)
            .map(|r| r.text.trim().to_string())
    };
    assert_eq!(number(1), None);
    assert_eq!(number(2).as_deref(), Some("2"));
    assert_eq!(number(start), None, "the appendix's first page shows none");
    assert_eq!(number(start + 1).as_deref(), Some("2"));
    // No quốc hiệu, no Số on the appendix's page; its heading is bold 14, its title capitals.
    assert!(!pages[start - 1].contains("CỘNG HÒA") && !pages[start - 1].contains("Số:"));
    let head = (1..=l.pages)
        .flat_map(|p| l.lines(p))
        .find(|x| x.text == "Phụ lục")
        .unwrap();
    assert_eq!(head.page, start);
    assert!(head
        .runs
        .iter()
        .all(|r| r.bold && (r.size - 14.0).abs() < 0.01));
    let centre = (30.0 * MM + l.page_width - 20.0 * MM) / 2.0;
    assert!((head.center() - centre).abs() < 1.0 * MM);
    assert!(l.find_line("DANH MỤC HOẠT ĐỘNG HƯỞNG ỨNG").is_some());
}

#[test]
fn draft_kem_theo_line_has_blanks_and_an_issued_one_the_number() {
    let (l, pdf) = plan();
    let text = collapse(&pdf_text(&pdf));
    assert!(
        text.contains(
            "(Kèm theo Kế hoạch số /KH-UBND ngày tháng năm 2024 của Ủy ban nhân dân tỉnh Đắk Lắk)"
        ),
        "{text}"
    );
    let kem = l.find_line("(Kèm theo").unwrap();
    assert!(kem.runs.iter().all(|r| r.italic && !r.bold));
    // Issued: the number and date are the document's.
    let p = Project::new();
    let src = std::fs::read_to_string(repo().join(PLAN))
        .unwrap()
        .replace("number = \"\"", "number = 235")
        .replace("date = \"{{ year }}\"", "date = \"2024-09-25\"");
    let file = p.write("plan.toml", &src);
    let (_, pdf) = typeset(&file, p.dir.path(), &[]);
    let text = collapse(&pdf_text(&pdf));
    assert!(
        text.contains(
            "(Kèm theo Kế hoạch số 235/KH-UBND ngày 25 tháng 9 năm 2024 của Ủy ban nhân dân tỉnh Đắk Lắk)"
        ),
        "{text}"
    );
}

/// Width and height of every page, from `pdfinfo`.
fn page_sizes(pdf: &[u8]) -> Vec<(f64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "999"])
        .arg(&p)
        .output()
        .expect("pdfinfo (poppler-utils) is needed for the tests");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            (v[1], v[2])
        })
        .collect()
}

#[test]
fn a_landscape_appendix_turns_its_pages_and_the_next_counts_anew() {
    let case = repo().join("templates/ke-hoach/tests/appendices-derived.toml");
    let (l, pdf) = typeset(&case, &repo(), &[]);
    let pages = layout_pages(&pdf);
    let sizes = page_sizes(&pdf);
    assert_eq!(sizes.len(), pages.len());
    let page_of = |head: &str| {
        pages
            .iter()
            .position(|p| p.lines().any(|x| x.trim() == head))
            .map(|i| i + 1)
            .unwrap_or_else(|| panic!("{head}"))
    };
    let (i, ii, iii) = (
        page_of("Phụ lục I"),
        page_of("Phụ lục II"),
        page_of("Phụ lục III"),
    );
    assert!(i < ii && ii < iii);
    // Phụ lục II is landscape A4; the others, and the document, portrait.
    for (k, (w, h)) in sizes.iter().enumerate() {
        let landscape = k + 1 == ii;
        assert_eq!(w > h, landscape, "page {}: {w} x {h}", k + 1);
        assert!((w.max(*h) - 841.89).abs() < 0.5 && (w.min(*h) - 595.28).abs() < 0.5);
    }
    // Each appendix numbers its own pages, the one after the landscape pages too.
    let number = |p: usize| -> Option<String> {
        l.runs
            .iter()
            .find(|r| r.page == p && r.y < 20.0 * MM)
            .map(|r| r.text.trim().to_string())
    };
    for p in [i, ii, iii] {
        assert_eq!(number(p), None, "page {p}");
    }
    assert_eq!(iii + 1, l.pages);
    assert_eq!(number(iii + 1).as_deref(), Some("2"));
    // The entry the child only retitled keeps the parent's table.
    let text = collapse(&pdf_text(&pdf));
    assert!(text.contains("Phụ lục III DANH MỤC HOẠT ĐỘNG CỦA CÁC ĐƠN VỊ"));
    assert!(text.contains("30 Báo cáo UBND tỉnh và Bộ Giáo dục và Đào tạo"));
}

#[test]
fn levels_number_a_conclusion_notice() {
    let (l, pdf) = typeset(
        &repo().join("plans/daklak-2024/thong-bao-ket-luan.toml"),
        &repo(),
        &[],
    );
    let text = pdf_text(&pdf);
    for line in [
        "1. Đánh giá chung",
        "2. Nhiệm vụ trong thời gian tới",
        "a) Sở Giáo dục và Đào tạo",
        "c) Sở Thông tin và Truyền thông",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(!text.contains("I. ") && !text.contains("ĐÁNH GIÁ CHUNG"));
    let s = l.find_line("1. Đánh giá chung").unwrap();
    assert!(s.runs.iter().all(|r| r.bold));
    let item = l.find_line("a) Sở Giáo dục").unwrap();
    assert!(item.runs.iter().all(|r| !r.bold));
}

#[test]
fn table_errors_point_into_the_plan_through_template_code() {
    let p = Project::new();
    // `{{ year }}` changes the text's length but not its lines: the error names the row.
    let plan = MINIMAL.replace(
        "- Phát huy sức mạnh của cả hệ thống chính trị.\n",
        "- Năm {{ year }}:\n| a | b |\n|---|---|\n| 1 {{ year }} | 2 | 3 |\n",
    );
    p.write("plan.toml", &plan);
    let out = p.run(&["check", "plan.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = plan.lines().position(|l| l.starts_with("| 1 {{")).unwrap() + 1;
    assert!(
        err.contains(&format!("plan.toml:{line}:1")),
        "line {line}:\n{err}"
    );
    assert!(
        err.contains("error[table]") && err.contains("3 cells"),
        "{err}"
    );
}
