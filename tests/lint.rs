//! `vanban check` as a linter on a realistic plan holding one instance of every problem class.

mod common;

use common::*;

#[test]
fn check_finds_every_class_in_a_realistic_plan() {
    let p = Project::new();
    let plan = MINIMAL
        .replace(
            r#"basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:""#,
            "basis = \"Căn cứ C«ng v¨n sè 12 cña Bé, UBND tỉnh ban hành Kế hoạch năm 2024 như sau:\"",
        )
        .replace(
            r#"closing = "Trên đây là Kế hoạch của UBND tỉnh./.""#,
            "closing = \"Trên đây là Kế hoạch (đề nghị Nguyeãn Vaên A thực hiện  nghiêm túc\"",
        )
        .replace(
            "- Phát huy sức mạnh của cả hệ thống chính trị.",
            "- CỘNG HÕA XÃ HỘI CHỦ NGHĨA VIỆT NAM\\n- Độc lập - Tự do - Hạnh phúc\\n- Vì các tầng lớp nhân dân, thủy lợi và thuỷ sản.",
        )
        .replace(r#"authority = ["KT. Chủ tịch"]"#, r#"authority = ["Thay mặt Ủy ban"]"#)
        .replace(r#"name = "H’Yim Kđoh""#, "name = \"H’Yim\u{200B} Kđoh\u{a0}\"")
        .replace(r#"to = ["Bộ Giáo dục và Đào tạo (b/c)"]"#, r#"to = ["Bộ Giáo dục và Đào tạo (b/c)", "Lưu: VT"]"#)
        .replace("number = \"\"", "number = \"\"\nsymbol = \"KH UBND\"");
    p.write("plan.toml", &plan);
    let out = p.run(&["check", "plan.toml", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "errors make check fail: {}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let has = |code: &str, sev: &str| found.iter().any(|(c, s, _)| c == code && s == sev);
    for (code, sev) in [
        ("mojibake", "error"),
        ("artefact", "error"),
        ("invisible", "error"),
        ("nbsp", "warning"),
        ("double-space", "warning"),
        ("unbalanced", "warning"),
        ("fixed-phrase", "warning"),
        ("tone-mixed", "warning"),
        ("capital", "warning"),
        ("authority", "warning"),
        ("deputy", "warning"),
        ("recipients", "warning"),
        ("closing", "warning"),
        ("symbol", "warning"),
        ("stale-year", "warning"),
    ] {
        assert!(has(code, sev), "no {sev} `{code}` in {found:?}");
    }
    // Both legacy encodings are recognised and decoded in the hint.
    let hints: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "mojibake")
        .map(|d| d["hint"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        hints
            .iter()
            .any(|h| h.contains("TCVN3") && h.contains("Công văn số")),
        "{hints:?}"
    );
    assert!(
        hints
            .iter()
            .any(|h| h.contains("VNI") && h.contains("Nguyễn Văn A")),
        "{hints:?}"
    );
    assert!(found.iter().any(|(c, _, l)| c == "mojibake" && *l == 6));

    // The human form shows file:line:col and the errors stop build without output.
    let out = p.run(&["check", "plan.toml"]);
    let err = stderr(&out);
    assert!(
        err.contains("error[mojibake]") && err.contains("plan.toml:6:"),
        "{err}"
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error[mojibake]"));
    assert!(
        !stderr(&out).contains("warning["),
        "warnings are check-only"
    );
    assert!(!p.path("x.pdf").exists());
}

#[test]
fn the_real_plans_have_no_errors() {
    let out = std::process::Command::new(bin())
        .args([
            "check",
            "plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml",
            "plans/daklak-2024/huyen.toml",
            "--format",
            "json",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // The seed itself mixes "Ủy" (header) and "Uỷ" (body): kept as typed, reported once.
    assert_eq!(codes, ["tone-mixed"], "{v:#}");
}

/// Real phrases through the binary: cited laws, bodies and documents keep their own
/// capitalisation and dates; bidi controls stop the build; a TAB is a warning.
#[test]
fn check_on_real_phrases() {
    let p = Project::new();
    let plan = MINIMAL
        .replace(
            r#"basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:""#,
            "basis = \"Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015; Luật Tổ chức chính quyền địa phương năm 2015; Công văn số 5201/BGDĐT-GDTX ngày 09 tháng 9 năm 2024 của Bộ Lao động - Thương binh và Xã hội về việc hỗ trợ từ ngân sách nhà nước, UBND tỉnh ban hành Kế hoạch như sau:\"",
        )
        .replace(
            "- Phát huy sức mạnh của cả hệ thống chính trị.",
            "- Phát huy sức mạnh của cả hệ thống chính trị.\\n- Kinh phí\\ttừ ngân sách nhà nước năm 2024.",
        );
    p.write("plan.toml", &plan);
    let out = p.run(&["check", "plan.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut codes: Vec<&str> = found.iter().map(|(c, _, _)| c.as_str()).collect();
    codes.sort();
    // The section's own "ngân sách nhà nước năm 2024" (a string with escapes: one place each
    // for its year and its capital), and the TAB. Nothing in the basis.
    assert_eq!(codes, ["capital", "stale-year", "tab"], "{v:#}");
    assert!(found.iter().all(|(_, line, _)| *line != 5), "{v:#}");

    // A right-to-left override: an error naming it, and nothing built.
    let plan = MINIMAL.replace("Tổ chức Tuần lễ", "Tổ chức \u{202E}Tuần lễ");
    p.write("bidi.toml", &plan);
    let out = p.run(&["check", "bidi.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error[invisible]")
            && err.contains("bidi control, right-to-left override (U+202E)"),
        "{err}"
    );
    let out = p.run(&["build", "bidi.toml", "-o", "bidi.pdf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("U+202E"), "{}", stderr(&out));
    assert!(!p.path("bidi.pdf").exists());
}
