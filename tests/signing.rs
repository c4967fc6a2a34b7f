//! Signing-ready output: zones, manifest, PDF/A, signature fields, issued copies, and the
//! pyHanko round trip (tests/signing/roundtrip.py) with a test CA made at test time.

mod common;

use std::process::Command;

use common::*;

fn build(args: &[&str], out: &std::path::Path) -> std::process::Output {
    Command::new(bin())
        .arg("build")
        .arg(SEED_PLAN)
        .args(args)
        .arg("-o")
        .arg(out)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn roundtrip(pdf: &std::path::Path, extra: &[&str]) {
    let zones = pdf.with_extension("zones.json");
    let out = Command::new("python3")
        .arg(repo().join("tests/signing/roundtrip.py"))
        .arg(pdf)
        .arg(&zones)
        .args(extra)
        .output()
        .expect("python3 with pyhanko, pdfplumber, pikepdf (see .ci/run)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("roundtrip: all checks passed"), "{report}");
}

#[test]
fn leader_and_clerk_signatures_go_in_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("ke-hoach.pdf");
    let o = build(&["--pdf-a", "--manifest"], &plain);
    assert!(o.status.success(), "{}", stderr(&o));
    roundtrip(&plain, &[]);

    let with_fields = dir.path().join("fields.pdf");
    let o = build(
        &["--pdf-a", "--manifest", "--signature-fields"],
        &with_fields,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The fields are an incremental update: Typst's bytes are untouched.
    let a = std::fs::read(&plain).unwrap();
    let b = std::fs::read(&with_fields).unwrap();
    assert!(
        b.len() > a.len() && b[..a.len()] == a[..],
        "fields appended after the original bytes"
    );
    roundtrip(&with_fields, &["--fields-present"]);
}

#[test]
fn manifest_is_reproducible_and_follows_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.pdf"), dir.path().join("b.pdf"));
    assert!(build(&["--pdf-a", "--manifest", "--signature-fields"], &a)
        .status
        .success());
    assert!(build(&["--pdf-a", "--manifest", "--signature-fields"], &b)
        .status
        .success());
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same bytes on rebuild"
    );
    let ma: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.with_extension("zones.json")).unwrap()).unwrap();
    let mb: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.with_extension("zones.json")).unwrap()).unwrap();
    assert_eq!(ma["zones"], mb["zones"]);
    assert_eq!(ma["file"], "a.pdf");
    let pages = ma["pages"].as_u64().unwrap();
    assert!(pages >= 4);
    for z in ["leader_signature", "seal", "number", "day", "month"] {
        let zone = &ma["zones"][z];
        let r: Vec<f64> = zone["rect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            r[0] < r[2] && r[1] < r[3] && r[2] <= 595.3 && r[3] <= 841.9,
            "{z}: {r:?}"
        );
    }
    assert_eq!(ma["zones"]["number"]["page"], 1);
    assert_eq!(
        ma["zones"]["leader_signature"]["page"], pages,
        "the signer is on the last page"
    );

    // An issued copy has no blanks: number, day and month leave the manifest.
    let c = dir.path().join("c.pdf");
    let o = build(&["--manifest", "--issue", "235", "--on", "2024-09-25"], &c);
    assert!(o.status.success(), "{}", stderr(&o));
    let mc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.with_extension("zones.json")).unwrap()).unwrap();
    let keys: Vec<&String> = mc["zones"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["leader_signature", "seal"]);
    let text = pdf_text(&std::fs::read(&c).unwrap());
    assert!(
        text.contains("Số: 235/KH-UBND") && text.contains("Đắk Lắk, ngày 25 tháng 9 năm 2024"),
        "{text}"
    );
}

#[test]
fn pdf_a_metadata_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pdf");
    let o = Command::new(bin())
        .args(["build", SEED_PLAN, "--pdf-a", "-o"])
        .arg(&p)
        .env("SOURCE_DATE_EPOCH", "1727249523")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let info = Command::new("pdfinfo")
        .arg(&p)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("Title:           Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2024"),
        "{info}"
    );
    assert!(
        info.contains("Author:          Ủy ban nhân dân tỉnh Đắk Lắk"),
        "{info}"
    );
    assert!(info.contains("Subject:         KẾ HOẠCH"), "{info}");
    assert!(
        info.contains("CreationDate:    Wed Sep 25 07:32:03 2024 UTC"),
        "{info}"
    );
    let o = Command::new("python3")
        .arg("-c")
        .arg("import pikepdf,sys; p=pikepdf.open(sys.argv[1]); m=p.open_metadata(); print(p.Root.Lang, m.get('pdfaid:part'), m.get('pdfaid:conformance'))")
        .arg(&p)
        .output()
        .expect("python3 with pikepdf");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "vi-VN 2 B",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_glyph_the_fonts_lack_is_an_error_naming_it() {
    let p = Project::new();
    p.write(
        "plan.toml",
        &MINIMAL.replace("- Phát huy sức mạnh", "- Đã xong ✓ phát huy sức mạnh"),
    );
    let out = p.run(&["build", "plan.toml", "-o", "x.pdf"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the embedded fonts have no glyph for '✓' (U+2713)"),
        "{err}"
    );
    assert!(err.contains("plan.toml:21:11"), "{err}");
    assert!(!p.path("x.pdf").exists());
}
