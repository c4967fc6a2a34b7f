//! The command line: exit codes, messages with file:line:col, and no output on failure.

mod common;

use common::*;

fn fails_with(p: &Project, plan: &str, needles: &[&str]) -> String {
    p.write("plan.toml", plan);
    let out = p.run(&["build", "plan.toml", "-o", "out.pdf"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in:\n{err}");
    }
    assert!(!p.path("out.pdf").exists(), "no output file on failure");
    let leftovers: Vec<_> = std::fs::read_dir(p.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".vanban-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    err
}

#[test]
fn builds_and_reports() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    let out = p.run(&["build", "plan.toml", "-o", "out/ke-hoach.pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pdf = std::fs::read(p.path("out/ke-hoach.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let out = p.run(&["build", "plan.toml", "--format", "typ", "-o", "x.typ"]);
    assert!(out.status.success());
    let typ = std::fs::read_to_string(p.path("x.typ")).unwrap();
    assert!(typ.contains("#import \"/nd30.typ\""));
    let out = p.run(&["build", "plan.toml", "--format", "png", "-o", "x.png"]);
    assert!(out.status.success());
    assert!(std::fs::read(p.path("x.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let out = p.run(&["check", "plan.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn malformed_toml() {
    let p = Project::new();
    let plan = MINIMAL.replace("title = \"Tổ chức", "title = Tổ chức");
    fails_with(&p, &plan, &["plan.toml:4:", "error[toml]"]);
    let plan = MINIMAL.replace("năm {{ year }}\"\n", "năm {{ year }}\n");
    fails_with(&p, &plan, &["plan.toml:4:", "error[toml]"]);
}

#[test]
fn unknown_key_with_suggestion() {
    let p = Project::new();
    let plan = MINIMAL.replace("title = \"Tổ chức", "titel = \"Tổ chức");
    fails_with(
        &p,
        &plan,
        &[
            "unknown key `titel`",
            "did you mean `title`?",
            "plan.toml:4:1",
        ],
    );
    let plan = MINIMAL.replace("abbrev = \"UBND\"", "abrev = \"UBND\"");
    fails_with(
        &p,
        &plan,
        &[
            "unknown key `abrev`",
            "did you mean `abbrev`?",
            "plan.toml:13:1",
        ],
    );
}

#[test]
fn impossible_date() {
    let p = Project::new();
    let plan = MINIMAL.replace("date = \"{{ year }}\"", "date = \"2024-02-30\"");
    fails_with(
        &p,
        &plan,
        &[
            "`2024-02-30` does not exist: month 2 of 2024 has 29 days",
            "plan.toml:3:8",
        ],
    );
}

#[test]
fn missing_title() {
    let p = Project::new();
    let plan = MINIMAL.replace(
        "title = \"Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}\"\n",
        "",
    );
    fails_with(&p, &plan, &["missing required key `title`", "plan.toml"]);
}

#[test]
fn undefined_variable_points_into_the_field() {
    let p = Project::new();
    let plan = MINIMAL.replace("năm {{ year }}\"", "năm {{ nam }}\"");
    fails_with(
        &p,
        &plan,
        &["`title` uses `nam`, which is not defined", "plan.toml:4:60"],
    );
}

#[test]
fn wrong_type() {
    let p = Project::new();
    let plan = MINIMAL.replace("abbrev = \"UBND\"", "abbrev = 5");
    fails_with(&p, &plan, &["invalid type", "plan.toml:13:10"]);
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new();
    p.write("a.toml", MINIMAL);
    p.write("b.toml", MINIMAL);
    let out = p.run(&["build", "a.toml", "b.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("use --out-dir"));
    let out = p.run(&["build"]);
    assert_eq!(out.status.code(), Some(2));
    let out = p.run(&["build", "a.toml", "--set", "year"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected NAME=VALUE"));
}

#[test]
fn set_overrides_variables() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    let out = p.run(&["build", "plan.toml", "--set", "year=2025", "-o", "x.pdf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = pdf_text(&std::fs::read(p.path("x.pdf")).unwrap());
    assert!(text.contains("năm 2025"));
    assert!(!text.contains("2024"), "{text}");
}

#[test]
fn missing_file() {
    let p = Project::new();
    let out = p.run(&["build", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read nope.toml: file not found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn project_templates_override_and_errors_point_into_them() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    // A project template extending the built-in one: adds a line after the title block.
    p.write(
        "templates/ke-hoach.typ",
        "{% extends \"builtin/ke-hoach.typ\" %}\n",
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_file(p.path("x.pdf")).unwrap();

    p.write(
        "templates/ke-hoach.typ",
        "{% extends \"builtin/ke-hoach.typ\" %}\n{% block x %}\n{% endblok %}\n",
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("unknown statement endblok") && err.contains("templates/ke-hoach.typ:3:4"),
        "{err}"
    );

    // Typst errors are traced back to the template line that wrote the call.
    p.write(
        "templates/ke-hoach.typ",
        "#import \"/nd30.typ\": *\n#show: setup.with(meta: {{ meta }})\n#header({{ issuer }})\n",
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("dictionary does not contain key \"issuer\""),
        "{err}"
    );
    assert!(
        err.contains("written by template `ke-hoach.typ` line 3"),
        "{err}"
    );
    assert!(!p.path("x.pdf").exists());

    // A template name cannot leave the templates folder.
    p.write(
        "plan.toml",
        &MINIMAL.replace(
            "type = \"ke-hoach\"",
            "type = \"ke-hoach\"\ntemplate = \"../../etc/passwd\"",
        ),
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("template `../../etc/passwd.typ` does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tone_rewrites_only_when_asked() {
    let build = |args: &[&str]| -> String {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.pdf");
        let o = std::process::Command::new(bin())
            .args(["build", SEED_PLAN, "-o"])
            .arg(&out)
            .args(args)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        pdf_text(&std::fs::read(&out).unwrap())
    };
    let asis = build(&[]);
    assert!(
        asis.contains("ỦY BAN NHÂN DÂN")
            && asis.contains("Uỷ ban Mặt trận")
            && asis.contains("văn hóa")
    );
    let old = build(&["--tone", "old"]);
    assert!(
        old.contains("ỦY BAN NHÂN DÂN") && old.contains("Ủy ban Mặt trận") && !old.contains("Uỷ")
    );
    let new = build(&["--tone", "new"]);
    assert!(
        new.contains("UỶ BAN NHÂN DÂN")
            && new.contains("Uỷ ban Mặt trận")
            && new.contains("văn hoá")
            && !new.contains("hóa")
    );
    // The quốc hiệu is the template's, not the plan's: it keeps Decree 30's spelling.
    assert!(new.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
}

/// `vanban new --type` writes a plan of every type that `check` refuses until each marker is
/// filled, and that builds once they are.
#[test]
fn new_type_scaffolds_every_type() {
    let p = Project::new();
    for t in vanban::doctype::TYPES.iter() {
        let out = p.run(&["new", "--type", t.key, "plan.toml", "--force"]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", t.key, stderr(&out));
        let text = std::fs::read_to_string(p.path("plan.toml")).unwrap();
        let check = p.run(&["check", "plan.toml"]);
        assert_eq!(check.status.code(), Some(1), "{}", t.key);
        let err = stderr(&check);
        assert!(
            err.contains("error[unfilled]") && !err.contains("error[unknown-key]"),
            "{}: {err}",
            t.key
        );
        // Fill every marker with what it asks for.
        let mut filled = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("«điền: ") {
            filled.push_str(&rest[..i]);
            let after = &rest[i + "«điền: ".len()..];
            let end = after.find('»').unwrap();
            let what = &after[..end];
            filled.push_str(if what.contains("YYYY-MM-DD") {
                "2024-10-01"
            } else {
                what
            });
            rest = &after[end + '»'.len_utf8()..];
        }
        filled.push_str(rest);
        p.write("plan.toml", &filled);
        let build = p.run(&["build", "plan.toml", "-o", "out.pdf"]);
        assert_eq!(
            build.status.code(),
            Some(0),
            "{}: {}\n{filled}",
            t.key,
            stderr(&build)
        );
        assert!(
            pdf_text(&std::fs::read(p.path("out.pdf")).unwrap()).contains(t.name)
                || t.name == "CÔNG VĂN"
                || t.name == "THƯ CÔNG",
            "{}",
            t.key
        );
    }
}

#[test]
fn types_and_codes_are_listed() {
    let p = Project::new();
    let out = p.run(&["types"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for t in vanban::doctype::TYPES.iter() {
        assert!(
            text.contains(t.key),
            "{} missing from `vanban types`",
            t.key
        );
    }
    assert!(
        text.contains("cong-van") && text.contains("Mẫu 1.5") && text.contains("keys: text, unit"),
        "{text}"
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let md = p.run(&["types", "--markdown"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        readme.contains(md.as_ref()),
        "README.md must contain `vanban types --markdown`:\n{md}"
    );
}

#[test]
fn templates_outside_the_root_are_refused() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    let outside = tempfile::tempdir().unwrap();
    let out = p.run(&[
        "build",
        "plan.toml",
        "--templates",
        outside.path().to_str().unwrap(),
        "-o",
        "out.pdf",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is outside the project root"),
        "{}",
        stderr(&out)
    );
    assert!(!p.path("out.pdf").exists());
}

/// A project adds a layout the way the built-in ones are made: a folder with layout.toml,
/// main.typ and lib.typ; its key is checked like any other, and its Typst file is served as
/// /layout/lib.typ.
#[test]
fn a_project_layout_folder_adds_a_model() {
    let p = Project::new();
    p.write(
        "templates/thong-bao-ngan/layout.toml",
        "model = \"1.4\"\nname = \"Thông báo ngắn\"\ntypes = [\"thong-bao\"]\nbasis = \"none\"\nsections = false\nclosing = false\n\n[fields.lead]\nkind = \"line\"\nrequired = true\ndoc = \"the one sentence of the notice\"\n",
    );
    p.write(
        "templates/thong-bao-ngan/main.typ",
        "#import \"/nd30.typ\": *\n#import \"/layout/lib.typ\": *\n#show: setup.with(meta: {{ meta }})\n#notice({{ doc }})\n",
    );
    p.write(
        "templates/thong-bao-ngan/lib.typ",
        "#import \"/nd30.typ\": *\n#let notice(doc) = {\n  doc-header(doc)\n  title-block(doc.type.name, doc.title)\n  par(doc.fields.lead)\n  signature(doc.signer, doc.recipients)\n}\n",
    );
    let plan = MINIMAL
        .replace(
            "type = \"ke-hoach\"",
            "type = \"thong-bao\"\nlead = \"Nghỉ Tết Dương lịch từ ngày 01/01/2025.\"",
        )
        .replace(
            "basis = \"Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:\"\n",
            "",
        )
        .replace("closing = \"Trên đây là Kế hoạch của UBND tỉnh./.\"\n", "");
    let plan = plan[..plan.find("[[sections]]").unwrap()].to_string()
        + &plan[plan.find("[signer]").unwrap()..];
    p.write("plan.toml", &plan);
    let out = p.run(&["build", "plan.toml", "-o", "out.pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = pdf_text(&std::fs::read(p.path("out.pdf")).unwrap());
    assert!(
        text.contains("THÔNG BÁO") && text.contains("Nghỉ Tết Dương lịch từ ngày 01/01/2025."),
        "{text}"
    );
    p.write(
        "bad.toml",
        &plan.replace("lead = \"Nghỉ Tết Dương lịch từ ngày 01/01/2025.\"\n", ""),
    );
    let out = p.run(&["check", "bad.toml"]);
    assert!(
        stderr(&out).contains("missing required key `lead`"),
        "{}",
        stderr(&out)
    );
}
