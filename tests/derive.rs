//! Derived plans (`extends`), batches, `new`, and next year's edition.

mod common;

use common::*;

const CHILD: &str = r###"extends = "tinh.toml"
title = "Kế hoạch của {{ issuer.name[1] }} năm {{ year }}"

[issuer]
name = ["Ủy ban nhân dân", "huyện Krông Pắc"]
place = "Krông Pắc"

[[sections]]
id = "muc-dich"
text = "## Mục đích riêng\n- Cấp huyện."

[[sections]]
id = "them"
title = "Phần thêm"
text = "Nội dung thêm."
before = "muc-dich"

[signer]
name = "Nguyễn Văn A"
"###;

fn load(p: &Project, rel: &str) -> Result<vanban::plan::Plan, Vec<vanban::Diagnostic>> {
    vanban::plan::load(&p.path(rel), p.dir.path())
}

fn section_titles(plan: &vanban::plan::Plan) -> Vec<String> {
    plan.sections
        .iter()
        .map(|s| s.title.value.clone())
        .collect()
}

#[test]
fn child_overrides_key_by_key_and_sections_by_id() {
    let p = Project::new();
    p.write("tinh.toml", &MINIMAL.replace("[signer]", "[[sections]]\nid = \"kinh-phi\"\ntitle = \"Kinh phí\"\ntext = \"Ngân sách tỉnh.\"\n\n[signer]"));
    p.write("huyen.toml", CHILD);
    let plan = load(&p, "huyen.toml").unwrap();
    // Tables merge key by key: abbrev comes from the parent, name from the child.
    assert_eq!(plan.name[1].value, "huyện Krông Pắc");
    assert_eq!(plan.abbrev.value, "UBND");
    assert_eq!(plan.signer_name.value, "Nguyễn Văn A");
    assert_eq!(plan.signer_title.value, "Phó Chủ tịch");
    // Sections: same id keeps the parent's title and takes the child's text; `before` places.
    assert_eq!(
        section_titles(&plan),
        ["Phần thêm", "Mục đích, yêu cầu", "Kinh phí"]
    );
    assert_eq!(
        plan.sections[1].text.value,
        "## Mục đích riêng\n- Cấp huyện."
    );
    // Positions point into the file that set the value.
    assert!(plan.sections[1]
        .title
        .loc
        .as_ref()
        .unwrap()
        .file
        .path
        .ends_with("tinh.toml"));
    assert!(plan.sections[1]
        .text
        .loc
        .as_ref()
        .unwrap()
        .file
        .path
        .ends_with("huyen.toml"));

    // remove = true deletes; the rest renumber when rendered.
    p.write("xa.toml", "extends = \"huyen.toml\"\n[[sections]]\nid = \"them\"\nremove = true\n[[sections]]\nid = \"cuoi\"\ntitle = \"Cuối\"\nafter = \"kinh-phi\"\n");
    let plan = load(&p, "xa.toml").unwrap();
    assert_eq!(
        section_titles(&plan),
        ["Mục đích, yêu cầu", "Kinh phí", "Cuối"]
    );
    let doc = vanban::render::document(&plan, &vanban::render::text_env()).unwrap();
    assert_eq!(
        doc.sections
            .iter()
            .map(|s| s.label.as_str())
            .collect::<Vec<_>>(),
        ["I.", "II.", "III."]
    );
    assert_eq!(doc.title, "Kế hoạch của huyện Krông Pắc năm 2024");

    // Arrays replace rather than append.
    p.write(
        "ds.toml",
        "extends = \"tinh.toml\"\n[recipients]\nto = [\"Một\", \"Hai\"]\n",
    );
    let plan = load(&p, "ds.toml").unwrap();
    assert_eq!(
        plan.to.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
        ["Một", "Hai"]
    );
    assert_eq!(plan.archive.len(), 2, "archive untouched");
}

#[test]
fn unknown_section_ids_are_errors_with_suggestions() {
    let p = Project::new();
    p.write("tinh.toml", MINIMAL);
    p.write(
        "a.toml",
        "extends = \"tinh.toml\"\n[[sections]]\nid = \"muc-dic\"\nremove = true\n",
    );
    let e = load(&p, "a.toml").unwrap_err();
    assert!(
        e[0].message.contains("cannot remove section `muc-dic`"),
        "{}",
        e[0].message
    );
    assert_eq!(e[0].hint.as_deref(), Some("did you mean `muc-dich`?"));
    assert_eq!(
        e[0].loc.as_ref().unwrap().position(),
        format!("{}:3:6", vanban::diag::display_path(&p.path("a.toml")))
    );
}

#[test]
fn cycles_and_paths_outside_the_root_are_refused() {
    let p = Project::new();
    p.write("a.toml", "extends = \"b.toml\"\n");
    p.write("b.toml", "extends = \"sub/c.toml\"\n");
    p.write("sub/c.toml", "extends = \"../a.toml\"\n");
    let out = p.run(&["build", "a.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("`extends` makes a cycle: a.toml → b.toml → sub/c.toml → a.toml"),
        "{err}"
    );
    assert!(err.contains("sub/c.toml:1:11"), "{err}");

    p.write("root/plan.toml", "extends = \"../outside.toml\"\n");
    p.write("outside.toml", MINIMAL);
    let out = p.run(&["build", "root/plan.toml", "--root", "root"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("points outside the project root"), "{err}");
    assert!(err.contains("root/plan.toml:1:11"), "{err}");
    assert!(err.contains("chain: root/plan.toml →"), "{err}");
}

#[test]
fn deep_chains_work() {
    let p = Project::new();
    p.write("l0.toml", MINIMAL);
    for i in 1..=10 {
        p.write(
            &format!("l{i}.toml"),
            &format!(
                "extends = \"l{}.toml\"\n[vars]\nyear = {}\n",
                i - 1,
                2014 + i
            ),
        );
    }
    let plan = load(&p, "l10.toml").unwrap();
    assert_eq!(plan.vars["year"].as_integer(), Some(2024));
}

const BATCH: &str = r#"[batch]
plan = "mau.toml"
output = "{{ issuer.place | slug }}.pdf"

[[batch.rows]]
issuer = { name = ["Ủy ban nhân dân", "xã Ea Tu"], place = "Ea Tu" }

[[batch.rows]]
issuer = { name = ["Ủy ban nhân dân", "phường Tân Lợi"], place = "Tân Lợi" }
date = "2024-02-30"

[[batch.rows]]
issuer = { name = ["Ủy ban nhân dân", "xã Cư M'gar"], place = "Cư M'gar" }
signer = { name = "Trần Văn B" }
"#;

#[test]
fn one_broken_row_fails_alone_and_commune_batches_work() {
    let p = Project::new();
    p.write(
        "mau.toml",
        &MINIMAL.replace(
            "title = \"Tổ chức",
            "title = \"{{ issuer.name[1] }}: Tổ chức",
        ),
    );
    p.write("xa.toml", BATCH);
    let out = p.run(&["build", "xa.toml", "--out-dir", "out"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("failed: xa.toml row 2"), "{err}");
    assert!(
        err.contains("xa.toml:10:8"),
        "the bad date is located in the batch file: {err}"
    );
    assert!(err.contains("2 built, 1 failed"), "{err}");
    assert!(!p.path("out/tan-loi.pdf").exists());
    let t1 = pdf_text(&std::fs::read(p.path("out/ea-tu.pdf")).unwrap());
    assert!(
        t1.contains("XÃ EA TU") && t1.contains("Ea Tu, ngày") && t1.contains("xã Ea Tu: Tổ chức"),
        "{t1}"
    );
    let t3 = pdf_text(&std::fs::read(p.path("out/cu-mgar.pdf")).unwrap());
    assert!(
        t3.contains("XÃ CƯ M'GAR") && t3.contains("Trần Văn B") && t3.contains("Cư M'gar, ngày"),
        "{t3}"
    );
}

#[test]
fn clashing_outputs_are_refused_before_writing() {
    let p = Project::new();
    p.write("mau.toml", MINIMAL);
    p.write("b.toml", "[batch]\nplan = \"mau.toml\"\noutput = \"cung-ten.pdf\"\n[[batch.rows]]\nsigner = { name = \"A\" }\n[[batch.rows]]\nsigner = { name = \"B\" }\n");
    let out = p.run(&["build", "b.toml", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("b.toml row 1 and b.toml row 2 would both write out/cung-ten.pdf"),
        "{}",
        stderr(&out)
    );
    assert!(!p.path("out").exists(), "nothing written");
}

#[test]
fn new_scaffolds_and_check_names_the_markers() {
    let p = Project::new();
    p.write("tinh/plan.toml", MINIMAL);
    let out = p.run(&["new", "--from", "tinh/plan.toml", "huyen/krong-pac.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(p.path("huyen/krong-pac.toml")).unwrap();
    assert!(text.contains("extends = \"../tinh/plan.toml\""), "{text}");
    let out = p.run(&["check", "huyen/krong-pac.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for line in [
        "huyen/krong-pac.toml:7:",
        "huyen/krong-pac.toml:8:",
        "huyen/krong-pac.toml:12:",
        "huyen/krong-pac.toml:13:",
        "huyen/krong-pac.toml:16:",
    ] {
        assert!(err.contains(line), "missing {line} in {err}");
    }
    assert_eq!(err.matches("error[unfilled]").count(), 5, "{err}");
    // Filled in, it builds.
    let filled = text
        .replace(
            "«điền: tên đơn vị, ví dụ huyện Krông Pắc hoặc xã Ea Tu»",
            "huyện Krông Pắc",
        )
        .replace("«điền: địa danh của dòng ngày tháng»", "Krông Pắc")
        .replace(
            "«điền: chức vụ người ký, ví dụ Phó Chủ tịch»",
            "Phó Chủ tịch",
        )
        .replace("«điền: họ và tên người ký»", "Nguyễn Văn A")
        .replace("«điền: nơi nhận, mỗi nơi một dòng»", "UBND tỉnh (b/c)");
    p.write("huyen/krong-pac.toml", &filled);
    let out = p.run(&["build", "huyen/krong-pac.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let t = pdf_text(&std::fs::read(p.path("huyen/krong-pac.pdf")).unwrap());
    assert!(t.contains("HUYỆN KRÔNG PẮC") && t.contains("Phát huy sức mạnh"));
    // It refuses to overwrite.
    let out = p.run(&["new", "--from", "tinh/plan.toml", "huyen/krong-pac.toml"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_warns_about_literal_edition_years() {
    let p = Project::new();
    p.write("plan.toml", &MINIMAL.replace("UBND tỉnh ban hành Kế hoạch như sau:", "UBND tỉnh ban hành Kế hoạch năm 2024 (theo Kế hoạch 44/KH-UBND ngày 13/3/2024, giai đoạn 2023-2030) như sau:"));
    let out = p.run(&["check", "plan.toml"]);
    assert_eq!(out.status.code(), Some(0), "warnings do not fail check");
    let err = stderr(&out);
    assert_eq!(err.matches("warning[stale-year]").count(), 1, "{err}");
    assert!(err.contains("plan.toml:5:68"), "{err}");
    let out = p.run(&["check", "plan.toml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "stale-year");
    assert_eq!(v[0]["line"], 5);
}

#[test]
fn the_district_set_regenerates_for_next_year() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .args([
            "build",
            "plans/daklak-2024/huyen.toml",
            "--set",
            "year=2025",
            "--out-dir",
        ])
        .arg(dir.path())
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("15 built, 0 failed"));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(files.len(), 15);
    let t = pdf_text(&std::fs::read(dir.path().join("ke-hoach-ea-hleo.pdf")).unwrap());
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        t.contains("HUYỆN EA H'LEO") && t.contains("Ea H'leo, ngày tháng năm 2025"),
        "{t}"
    );
    assert!(t.contains("năm 2025") && !t.contains("năm 2024"), "{t}");
    assert!(t.contains("ngày 02/10/2025 (Thứ Năm)"), "{t}");
    assert!(
        t.contains("- Lưu: VT, GDĐT."),
        "copies = 0 drops the province's count: {t}"
    );
}

#[test]
fn a_rejected_row_keeps_the_positions_of_the_rows_after_it() {
    let p = Project::new();
    p.write("mau.toml", MINIMAL);
    p.write(
        "b.toml",
        "[batch]\nplan = \"mau.toml\"\noutput = \"{{ issuer.place | slug }}.pdf\"\n\n[[batch.rows]]\nisuer = { place = \"Xã Ếa Tũ Đắk Lắk Krông Pắc\" }\n\n[[batch.rows]]\nissuer = { place = \"Ếa Tũ\" }\ndate = \"2024-02-30\"\n\n[[batch.rows]]\nissuer = { place = \"Buôn Hồ\" }\n",
    );
    let out = p.run(&["build", "b.toml", "--out-dir", "out"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("b.toml:6:1") && err.contains("unknown key `isuer`"),
        "{err}"
    );
    assert!(
        err.contains("b.toml:10:8") && err.contains("does not exist"),
        "{err}"
    );
    assert!(err.contains("1 built, 2 failed"), "{err}");
    assert!(p.path("out/buon-ho.pdf").exists());
}

#[test]
fn set_applies_to_batch_output_names_and_markers_fail_their_row_only() {
    let p = Project::new();
    p.write("mau.toml", MINIMAL);
    p.write(
        "b.toml",
        "[batch]\nplan = \"mau.toml\"\noutput = \"kh-{{ year }}-{{ issuer.place | slug }}.pdf\"\n\n[[batch.rows]]\nissuer = { place = \"Ea Tu\" }\n\n[[batch.rows]]\nissuer = { place = \"«điền: địa danh»\" }\n",
    );
    let out = p.run(&["build", "b.toml", "--out-dir", "out", "--set", "year=2025"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(p.path("out/kh-2025-ea-tu.pdf").exists(), "{err}");
    assert!(
        err.contains("failed: b.toml row 2") && err.contains("b.toml:9:21"),
        "{err}"
    );
    assert!(err.contains("1 built, 1 failed"), "{err}");
}
