//! Helpers shared by the integration tests: temporary projects, running the real binary,
//! typesetting through the library, and text extraction from PDFs with poppler.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vanban::inspect::Layout;
use vanban::pipeline::{self, Settings};
use vanban::typeset::Engine;

pub const SEED_PLAN: &str = "plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml";

/// SHA-256 of `bytes` in hex, as the recorded hashes of `tests/fixtures/*-sha256.txt` are.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vanban"))
}

/// A small valid plan; tests change single lines of it.
pub const MINIMAL: &str = r#"type = "ke-hoach"
number = ""
date = "{{ year }}"
title = "Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}"
basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:"
closing = "Trên đây là Kế hoạch của UBND tỉnh./."

[vars]
year = 2024

[issuer]
name = ["Ủy ban nhân dân", "tỉnh Đắk Lắk"]
abbrev = "UBND"
place = "Đắk Lắk"

[[sections]]
id = "muc-dich"
title = "Mục đích, yêu cầu"
text = """
## Mục đích
- Phát huy sức mạnh của cả hệ thống chính trị.
"""

[signer]
authority = ["KT. Chủ tịch"]
title = "Phó Chủ tịch"
name = "H’Yim Kđoh"

[recipients]
to = ["Bộ Giáo dục và Đào tạo (b/c)"]
archive = ["VT", "KGVX"]
"#;

/// A temporary project folder (the root) with files in it.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `vanban ARGS` with the project as working directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("VANBAN_ROOT")
            .env_remove("VANBAN_JOBS")
            .output()
            .expect("run vanban")
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Typesets a plan file through the library, returning the layout facts and the PDF.
pub fn typeset(plan: &Path, root: &Path, sets: &[(&str, &str)]) -> (Layout, Vec<u8>) {
    let mut settings = Settings::new(root);
    for (k, v) in sets {
        settings
            .sets
            .push(pipeline::parse_set(&format!("{k}={v}")).unwrap());
    }
    let mut plan = vanban::plan::load(plan, root).unwrap_or_else(|d| panic!("{d:#?}"));
    pipeline::apply_settings(&mut plan, &settings);
    let prepared = pipeline::prepare(&plan, &settings, "test").unwrap_or_else(|d| panic!("{d:#?}"));
    let engine = Engine::new();
    let doc = pipeline::typeset(&engine, &prepared).unwrap_or_else(|d| panic!("{d:#?}"));
    let pdf = vanban::export::pdf(&doc, "test", None).unwrap();
    (Layout::of(&doc), pdf)
}

/// `pdftotext -raw`: the text a reader copies out of the PDF. poppler-utils is required
/// (`.ci/run` installs it): extraction from the real PDF is what these tests are about.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext is needed for the tests: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Words of a text, with line-break artefacts undone: poppler puts a line break after a
/// slash Typst broke at (`khoa/` + `giáo`), which is one word on the page.
pub fn words(s: &str) -> Vec<String> {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    folded
        .replace("/ ", "/")
        .split(' ')
        .map(str::to_string)
        .collect()
}
