//! Documents built from small plans: escaping, NFC, issued and draft numbers and dates.

mod common;

use common::*;

fn build(p: &Project, plan: &str) -> (vanban::inspect::Layout, String) {
    let path = p.write("plan.toml", plan);
    let (layout, pdf) = typeset(&path, p.dir.path(), &[]);
    (layout, pdf_text(&pdf))
}

fn folded(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every Typst special character, shorthands and markup-like starts, as a user might paste.
const NASTY: &str = r##"#set text(red) $x^2$ *đậm _nghiêng_ @nhan <nhan> \ [x] 'đơn' "kép" a -- b --- c... // chú thích /* x */ https://daklak.gov.vn ~ = + 1. -5 `mã`"##;
/// The same in body markup, where `*…*` is emphasis and `\*` a literal star.
const NASTY_BODY: &str = r##"#set text(red) $x^2$ \*đậm _nghiêng_ @nhan <nhan> \ [x] 'đơn' "kép" a -- b --- c... // chú thích /\* x \*/ https://daklak.gov.vn ~ = + 1. -5 `mã`"##;

#[test]
fn user_text_prints_exactly_as_typed() {
    let p = Project::new();
    let lit = |s: &str| toml::Value::String(s.to_string()).to_string();
    let plan = MINIMAL
        .replace(
            r#"title = "Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}""#,
            &format!("title = {}", lit(&format!("Tiêu đề {NASTY}"))),
        )
        .replace(
            r#"basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:""#,
            &format!("basis = {}", lit(&format!("Căn cứ {NASTY_BODY}"))),
        )
        .replace(
            r#"closing = "Trên đây là Kế hoạch của UBND tỉnh./.""#,
            &format!("closing = {}", lit(&format!("Kết {NASTY_BODY}./."))),
        )
        .replace(
            r#"name = "H’Yim Kđoh""#,
            &format!("name = {}", lit(&format!("Tên {NASTY}"))),
        )
        .replace(
            r#"to = ["Bộ Giáo dục và Đào tạo (b/c)"]"#,
            &format!("to = [{}]", lit(&format!("Nơi {NASTY}"))),
        )
        .replace(
            "- Phát huy sức mạnh của cả hệ thống chính trị.",
            &format!(
                "- Mục {}",
                NASTY_BODY.replace('\\', "\\\\").replace('"', "\\\"")
            ),
        )
        .replace(
            r#"place = "Đắk Lắk""#,
            &format!("place = {}", lit("Đắk Lắk #1 $")),
        );
    let (_, text) = build(&p, &plan);
    let text = folded(&text);
    for expected in [
        format!("Tiêu đề {NASTY}"),
        format!("Căn cứ {NASTY}"),
        format!("Kết {NASTY}./."),
        format!("Tên {NASTY}"),
        format!("- Nơi {NASTY};"),
        format!("- Mục {NASTY}"),
        "Đắk Lắk #1 $, ngày".to_string(),
    ] {
        // pdftotext breaks long lines; a slash at a break loses its following space.
        let e = folded(&expected);
        assert!(
            text.contains(&e) || text.replace("/ ", "/").contains(&e.replace("/ ", "/")),
            "missing {e:?} in\n{text}"
        );
    }
}

#[test]
fn decomposed_input_gives_nfc_output() {
    use unicode_normalization::UnicodeNormalization;
    let p = Project::new();
    let nfd: String = MINIMAL.nfd().collect();
    assert_ne!(nfd, MINIMAL);
    let (_, text) = build(&p, &nfd);
    assert!(text.contains("Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024"));
    assert!(text.contains("Phát huy sức mạnh của cả hệ thống chính trị."));
    assert_eq!(
        text.nfc().collect::<String>(),
        text,
        "extracted text is NFC"
    );
}

#[test]
fn issued_numbers_and_dates_are_padded() {
    let p = Project::new();
    let plan = MINIMAL
        .replace("number = \"\"", "number = 5")
        .replace("date = \"{{ year }}\"", "date = \"2024-02-03\"");
    let (_, text) = build(&p, &plan);
    assert!(text.contains("Số: 05/KH-UBND"), "{text}");
    assert!(
        text.contains("Đắk Lắk, ngày 03 tháng 02 năm 2024"),
        "{text}"
    );

    let plan = MINIMAL
        .replace("number = \"\"", "number = 235")
        .replace("date = \"{{ year }}\"", "date = \"2024-09-25\"");
    let (_, text) = build(&p, &plan);
    assert!(text.contains("Số: 235/KH-UBND"), "{text}");
    assert!(text.contains("Đắk Lắk, ngày 25 tháng 9 năm 2024"), "{text}");

    let plan = MINIMAL
        .replace("type = \"ke-hoach\"", "type = \"bao-cao\"")
        .replace("number = \"\"", "number = \"12\"");
    let (_, text) = build(&p, &plan);
    assert!(
        text.contains("BÁO CÁO") && text.contains("Số: 12/BC-UBND"),
        "{text}"
    );

    let plan = MINIMAL.replace("number = \"\"", "number = 7\nsymbol = \"KH-SGDĐT\"");
    let (_, text) = build(&p, &plan);
    assert!(text.contains("Số: 07/KH-SGDĐT"), "{text}");
}

#[test]
fn draft_blanks_keep_room_for_the_stamps() {
    let p = Project::new();
    let (l, text) = build(&p, MINIMAL);
    let folded = folded(&text);
    assert!(folded.contains("Số: /KH-UBND"), "{folded}");
    assert!(folded.contains("Đắk Lắk, ngày tháng năm 2024"), "{folded}");
    let so = l.find_line("Số:").unwrap();
    let sym = l.find_line("/KH-UBND").unwrap();
    let gap = sym.x0 - so.x1;
    assert!(gap >= 32.0, "number blank {gap} pt");
    let day = l.find_line("Đắk Lắk, ngày").unwrap();
    let month = l.find_line("tháng").unwrap();
    let year = l.find_line("năm 2024").unwrap();
    let day_gap = month.runs[0].x - day.x1;
    let month_gap = year.runs[0].x - month.x1;
    assert!(
        day_gap >= 20.0 && month_gap >= 20.0,
        "day {day_gap} pt, month {month_gap} pt"
    );
    // Nothing is drawn inside the blanks.
    for (a, b, y) in [(so.x1, sym.x0, so.y), (day.x1, month.runs[0].x, day.y)] {
        assert!(!l.runs.iter().any(|r| r.page == 1
            && (r.y - y).abs() < 10.0
            && r.x < b - 0.5
            && r.x + r.width > a + 0.5));
        assert!(!l
            .rules
            .iter()
            .any(|r| r.page == 1 && (r.y - y).abs() < 10.0 && r.x0 < b && r.x1 > a));
    }
}

/// Every one of the 29 types has a layout now: the 17 of Mẫu 1.4 (and the three without a
/// model of their own) take the Kế hoạch's keys; the others refuse them by name.
#[test]
fn every_type_has_a_layout_and_the_kehoach_keys_fit_only_model_1_4() {
    let p = Project::new();
    let layouts = vanban::layout::Layouts::default();
    for t in vanban::doctype::TYPES.iter() {
        let plan = MINIMAL.replace("type = \"ke-hoach\"", &format!("type = \"{}\"", t.key));
        let path = p.write("plan.toml", &plan);
        let res = vanban::plan::load(&path, p.dir.path());
        let layout = layouts
            .for_type(t.key)
            .unwrap_or_else(|| panic!("{} has no layout", t.key));
        if layout.name == "ke-hoach" {
            let plan = res.unwrap_or_else(|e| panic!("{}: {e:?}", t.key));
            assert_eq!(plan.doc_type.key, t.key);
        } else {
            let e = res.unwrap_err();
            assert!(
                e.iter()
                    .any(|d| d.code == "not-allowed" || d.code == "missing-key"),
                "{}: {e:?}",
                t.key
            );
        }
    }
    let plan = MINIMAL.replace("type = \"ke-hoach\"", "type = \"to-trinh\"");
    let (_, text) = build(&p, &plan);
    assert!(text.contains("TỜ TRÌNH") && text.contains("/TTr-UBND"));
}

#[test]
fn diem_headings_are_regular_and_upright() {
    let p = Project::new();
    let plan = MINIMAL.replace(
        "## Mục đích\n",
        "## Mục đích\n### Cấp tỉnh\n#### Đối với trường học\n",
    );
    let (l, _) = build(&p, &plan);
    let h2 = l.find_line("1. Mục đích").unwrap();
    assert!(h2.runs.iter().all(|r| r.bold && !r.italic));
    let h3 = l.find_line("1.1. Cấp tỉnh").unwrap();
    assert!(h3.runs.iter().all(|r| r.bold && r.italic));
    let h4 = l.find_line("a) Đối với trường học").unwrap();
    assert!(
        h4.runs.iter().all(|r| !r.bold && !r.italic),
        "{:?}",
        h4.runs
    );
}
