//! Same input, same bytes. Every PDF built from `plans/` (the single documents and the district
//! batch) has the SHA-256 recorded in `tests/fixtures/pdf-sha256.txt`, whether it is built in
//! one run with the others, on two workers sharing the caches that carry layout work from one
//! document to the next, or alone in a fresh process. The speed work must never change a byte:
//! the recorded hashes are those of the build before it. A deliberate change to the layout
//! rewrites the file with `VANBAN_UPDATE_HASHES=1` (then review the PDFs it lists).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::{bin, repo, sha256_hex, stderr};

fn vanban(args: &[&str]) {
    let out = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "vanban {args:?}: {}", stderr(&out));
}

fn sha256(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap())
}

fn recorded() -> BTreeMap<String, String> {
    std::fs::read_to_string(repo().join("tests/fixtures/pdf-sha256.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(h, n)| (n.to_string(), h.to_string()))
        .collect()
}

#[test]
fn every_pdf_of_the_plans_has_its_recorded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_string_lossy().into_owned();
    vanban(&["build", "plans/daklak-2024", "--out-dir", &out, "-j", "2"]);
    let mut built: BTreeMap<String, String> = BTreeMap::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pdf") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            built.insert(name, sha256(&p));
        }
    }
    if std::env::var_os("VANBAN_UPDATE_HASHES").is_some() {
        let text: String = built.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
        std::fs::write(repo().join("tests/fixtures/pdf-sha256.txt"), text).unwrap();
        return;
    }
    let want = recorded();
    assert_eq!(
        built.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the set of PDFs differs from tests/fixtures/pdf-sha256.txt"
    );
    let changed: Vec<&String> = built
        .iter()
        .filter(|(n, h)| want.get(*n) != Some(h))
        .map(|(n, _)| n)
        .collect();
    assert!(
        changed.is_empty(),
        "these PDFs changed bytes: {changed:?} (a deliberate layout change: VANBAN_UPDATE_HASHES=1)"
    );
    assert!(built.len() >= 29, "plans/ and the 15-district batch");
}

/// A document built alone, with nothing cached, is the one the batch wrote.
#[test]
fn a_document_alone_has_the_bytes_it_has_in_a_batch() {
    let want = recorded();
    let dir = tempfile::tempdir().unwrap();
    for plan in ["tuan-le-hoc-tap-suot-doi", "quyet-dinh-ban-hanh-ke-hoach"] {
        let out = dir.path().join(format!("{plan}.pdf"));
        vanban(&[
            "build",
            &format!("plans/daklak-2024/{plan}.toml"),
            "-o",
            &out.to_string_lossy(),
        ]);
        assert_eq!(
            Some(&sha256(&out)),
            want.get(&format!("{plan}.pdf")),
            "{plan} built alone"
        );
    }
}
