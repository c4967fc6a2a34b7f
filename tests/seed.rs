//! The seed: the real 2024 Đắk Lắk Kế hoạch, built from its transcribed plan. Asserts on the
//! text extracted from the PDF and on positions, sizes and weights from the typeset document.

mod common;

use common::*;
use vanban::inspect::Layout;

const MM: f64 = 72.0 / 25.4;

fn seed() -> (Layout, Vec<u8>) {
    typeset(&repo().join(SEED_PLAN), &repo(), &[])
}

#[test]
fn seed_text_equals_the_signed_original() {
    let (_, pdf) = seed();
    let text = pdf_text(&pdf);
    let got = words(&text);
    let start = got
        .iter()
        .position(|w| w == "KẾ")
        .expect("title in the PDF");
    let expected =
        words(&std::fs::read_to_string(repo().join("tests/fixtures/seed-body.txt")).unwrap());
    // Page numbers are in the extracted text; drop lone numbers that are not in the seed.
    let mut got: Vec<String> = got[start..].to_vec();
    for n in 2..=9 {
        let s = n.to_string();
        if let Some(i) = got.iter().position(|w| *w == s) {
            if !expected.contains(&s) {
                got.remove(i);
            }
        }
    }
    if got != expected {
        let i = got
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(expected.len()));
        panic!(
            "first difference at word {i}:\n  pdf:  {:?}\n  seed: {:?}",
            &got[i.saturating_sub(3)..(i + 5).min(got.len())],
            &expected[i.saturating_sub(3)..(i + 5).min(expected.len())]
        );
    }
    assert!(text.starts_with("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK LẮK\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"), "{}", &text[..200]);
    assert!(!text.contains("HÕA"));
}

#[test]
fn header_follows_decree_30() {
    let (l, _) = seed();
    assert!(
        (l.page_width - 595.28).abs() < 0.5 && (l.page_height - 841.89).abs() < 0.5,
        "A4"
    );
    let left = 30.0 * MM;
    let right = l.page_width - 20.0 * MM;
    let col = left + 62.0 * MM;

    let qh = l.find_line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").unwrap();
    assert_eq!(qh.page, 1);
    assert!(
        qh.runs.iter().all(|r| r.bold && r.size == 13.0),
        "quốc hiệu bold 13 pt"
    );
    assert!(
        qh.x0 >= col && qh.x1 <= right + 0.5,
        "quốc hiệu in the right column"
    );

    let tn = l.find_line("Độc lập - Tự do - Hạnh phúc").unwrap();
    assert!(
        tn.runs.iter().all(|r| r.bold && r.size == 14.0),
        "tiêu ngữ bold 14 pt"
    );
    assert!(
        (tn.center() - qh.center()).abs() < 0.5,
        "tiêu ngữ centred under the quốc hiệu"
    );
    let rule = l
        .rules
        .iter()
        .find(|r| r.page == 1 && r.y > tn.y && r.y < tn.y + 20.0 && r.x0 > tn.x0 - 5.0)
        .expect("rule under the tiêu ngữ");
    assert!(
        ((rule.x1 - rule.x0) - tn.width()).abs() < 0.5,
        "rule {rule:?} not as wide as the tiêu ngữ {tn:?}"
    );
    assert!(((rule.x0 + rule.x1) / 2.0 - tn.center()).abs() < 0.5);

    let org = l.find_line("ỦY BAN NHÂN DÂN").unwrap();
    let org2 = l.find_line("TỈNH ĐẮK LẮK").unwrap();
    for o in [&org, &org2] {
        assert!(
            o.runs.iter().all(|r| r.bold && r.size == 13.0),
            "issuer bold 13 pt"
        );
        assert!(o.x1 <= col, "issuer in the left column");
    }
    assert!(
        (org.y - qh.y).abs() < 0.5,
        "issuer and quốc hiệu start on one row"
    );
    // Measured on the last line, under which it sits (1/3–1/2 of that line).
    let last = org2.width();
    let orule = l
        .rules
        .iter()
        .find(|r| r.page == 1 && r.y > org2.y && r.x1 <= col)
        .expect("rule under the issuer");
    let ratio = (orule.x1 - orule.x0) / last;
    assert!(
        (1.0 / 3.0..=0.5).contains(&ratio),
        "issuer rule {ratio} of the name"
    );
    assert!(((orule.x0 + orule.x1) / 2.0 - org.center()).abs() < 0.5);

    let so = l.find_line("Số:").unwrap();
    let so_run = so.runs.iter().find(|r| r.text.starts_with("Số")).unwrap();
    assert!(
        so_run.size == 13.0 && !so_run.bold && !so_run.italic,
        "Số 13 pt regular"
    );
    let date = l.find_line("Đắk Lắk, ngày").unwrap();
    assert!(
        (so.y - date.y).abs() < 0.01,
        "Số and the date line share a baseline: {} vs {}",
        so.y,
        date.y
    );
    assert!(
        date.runs
            .iter()
            .all(|r| r.italic && r.size == 14.0 && !r.bold),
        "date italic 14 pt"
    );
    let year = l.find_line("năm 2024").unwrap();
    assert!((year.y - date.y).abs() < 0.01);
    assert!(
        (((date.x0 + year.x1) / 2.0) - qh.center()).abs() < 1.0,
        "date centred under the national title"
    );
}

#[test]
fn title_body_signer_and_page_numbers() {
    let (l, _) = seed();
    let left = 30.0 * MM;
    let right = l.page_width - 20.0 * MM;
    let centre = (left + right) / 2.0;

    let kh = l.find_line("KẾ HOẠCH").unwrap();
    assert!(kh.runs.iter().all(|r| r.bold && r.size == 14.0));
    assert!(
        (kh.center() - centre).abs() < 0.5,
        "tên loại centred on the text area"
    );
    let ty = l
        .find_line("Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024")
        .unwrap();
    assert_eq!(ty.page, 1);
    assert!(ty.runs.iter().all(|r| r.bold && r.size == 14.0) && (ty.center() - centre).abs() < 0.5);
    let trule = l
        .rules
        .iter()
        .find(|r| r.page == 1 && r.y > ty.y && r.y < ty.y + 20.0)
        .expect("rule under the trích yếu");
    let ratio = (trule.x1 - trule.x0) / ty.width();
    assert!((1.0 / 3.0..=0.5).contains(&ratio));

    // Body: 14 pt, every line inside the margins, first-line indent 1 cm.
    let basis = l.find_line("Căn cứ Công văn số 5201").unwrap();
    assert!(
        ((basis.x0 - left) - 10.0 * MM).abs() < 0.3,
        "first-line indent 1 cm"
    );
    // Justified lines let a final comma or full stop hang into the margin (Typst's overhang).
    for r in &l.runs {
        let hang = if r.text.trim_end().ends_with(['.', ',', ';', ':']) {
            0.3 * r.size
        } else {
            0.5
        };
        assert!(
            r.x >= left - 0.01 && r.x + r.width <= right + hang,
            "{:?} outside the margins",
            r.text
        );
    }
    let sec = l.find_line("I. MỤC ĐÍCH, YÊU CẦU").unwrap();
    assert!(sec.runs.iter().all(|r| r.bold && r.size == 14.0));
    let h = l.find_line("1.1. Cấp tỉnh").unwrap();
    assert!(h.runs.iter().all(|r| r.bold));
    let item = l.find_line("2.1. Tổ chức hoạt động thông tin").unwrap();
    assert!(
        item.runs.iter().all(|r| !r.bold && r.size == 14.0),
        "run-in items regular"
    );

    // Signer and Nơi nhận on one page, side by side.
    let noi = l.find_line("Nơi nhận:").unwrap();
    let head = noi.runs.iter().find(|r| r.text.contains("Nơi")).unwrap();
    assert!(head.bold && head.italic && head.size == 12.0);
    assert!((head.x - left).abs() < 0.5, "at the left margin");
    let kt = l.find_line("KT. CHỦ TỊCH").unwrap();
    assert_eq!(kt.page, noi.page);
    assert!(
        (kt.y - noi.y).abs() < 3.0 * MM,
        "Nơi nhận level with the authority line"
    );
    assert!(kt.runs.iter().all(|r| r.bold && r.size == 14.0));
    let luu = l.find_line("- Lưu: VT, KGVX (Ng-15b).").unwrap();
    assert!(luu.runs.iter().all(|r| r.size == 11.0 && !r.bold));
    let name = l.find_line("H’Yim Kđoh").unwrap();
    assert!(
        name.runs.iter().all(|r| r.bold) && name.y - kt.y > 25.0 * MM,
        "room for the signature"
    );
    assert!((name.center() - kt.center()).abs() < 0.5);

    // Page numbers: none on page 1, centred in the top margin from page 2.
    assert!(l.pages >= 4);
    let top = 20.0 * MM;
    assert!(
        !l.runs.iter().any(|r| r.page == 1 && r.y < top),
        "no number on page 1"
    );
    for p in 2..=l.pages {
        let n = l
            .runs
            .iter()
            .find(|r| r.page == p && r.y < top)
            .unwrap_or_else(|| panic!("page {p} has a number"));
        assert_eq!(n.text, p.to_string());
        assert_eq!(n.size, 14.0);
        assert!(((n.x + n.width / 2.0) - centre).abs() < 0.5);
    }
}

#[test]
fn same_plan_same_bytes() {
    let a = std::process::Command::new(bin())
        .args(["build", SEED_PLAN, "-o"])
        .arg(std::env::temp_dir().join("vanban-det-a.pdf"))
        .current_dir(repo())
        .output()
        .unwrap();
    let b = std::process::Command::new(bin())
        .args(["build", SEED_PLAN, "-o"])
        .arg(std::env::temp_dir().join("vanban-det-b.pdf"))
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(a.status.success() && b.status.success());
    let x = std::fs::read(std::env::temp_dir().join("vanban-det-a.pdf")).unwrap();
    let y = std::fs::read(std::env::temp_dir().join("vanban-det-b.pdf")).unwrap();
    assert!(x.len() > 10_000);
    assert!(x == y, "two builds differ");
}

#[test]
fn next_year_is_a_rerun() {
    let (_, pdf) = typeset(&repo().join(SEED_PLAN), &repo(), &[("year", "2025")]);
    let text = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2025"));
    assert!(
        text.contains("ngày 01/10/2025 (Thứ Tư)"),
        "weekday recomputed"
    );
    assert!(text.contains("Từ ngày 01/10/2025 đến ngày 07/10/2025"));
    assert!(text.contains("năm 2025"));
    // Fixed references to other documents keep their own dates.
    assert!(text.contains("5201/BGDĐT-GDTX ngày 09/9/2024"));
    assert!(text.contains("44/KH-UBND ngày 13/3/2024"));
}

/// The independent checker from ../shared, when it is there (CI runs it on the seed too).
#[test]
fn nd30check_passes_when_available() {
    let checker = repo().join("../shared/tools/nd30check.py");
    let seed_txt = repo().join("../shared/seeds/000_6ccbc1966dba784f.txt");
    if !checker.exists() {
        eprintln!("skipped: ../shared/tools/nd30check.py not found");
        return;
    }
    let (_, pdf) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("seed.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = std::process::Command::new("python3")
        .arg(&checker)
        .arg(&p)
        .arg("--expect-text")
        .arg(&seed_txt)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(!report.lines().any(|l| l.starts_with("FAIL")), "{report}");
}
