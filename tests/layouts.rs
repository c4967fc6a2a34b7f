//! Fixture tests of the layout folders: every `templates/<layout>/tests/*.toml` is built
//! through the library and the text a reader copies out of its PDF (`pdftotext -raw`) is
//! compared with the snapshot beside it; the generated Typst source is snapshotted too. A
//! layout folder carries its own cases, so adding a model adds its tests with it.

mod common;

use std::path::{Path, PathBuf};

use common::{pdf_text, repo, typeset};

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("templates")).unwrap() {
        let dir = entry.unwrap().path().join("tests");
        let Ok(files) = std::fs::read_dir(&dir) else {
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

fn snapshot_dir(case: &Path) -> PathBuf {
    case.parent().unwrap().join("snapshots")
}

#[test]
fn every_layout_has_fixtures_and_they_match_their_snapshots() {
    let layouts = vanban::layout::Layouts::default();
    let cases = cases();
    for l in &layouts.all {
        assert!(
            cases
                .iter()
                .any(|c| c.starts_with(repo().join("templates").join(&l.name))),
            "templates/{}/tests/ has no fixture plan",
            l.name
        );
    }
    let mut failures = Vec::new();
    for case in &cases {
        let layout = case
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = format!("{layout}__{}", case.file_stem().unwrap().to_string_lossy());
        let result = std::panic::catch_unwind(|| {
            let (_, pdf) = typeset(case, &repo(), &[]);
            let text = pdf_text(&pdf);
            let settings = vanban::pipeline::Settings::new(repo());
            let plan = vanban::plan::load(case, &repo()).unwrap();
            let typ = vanban::pipeline::prepare(&plan, &settings, "test")
                .unwrap()
                .source;
            insta::with_settings!({
                snapshot_path => snapshot_dir(case),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("{}", case.strip_prefix(repo()).unwrap().display()),
            }, {
                insta::assert_snapshot!(format!("{name}.txt"), text);
                insta::assert_snapshot!(format!("{name}.typ"), typ);
            });
        });
        if result.is_err() {
            failures.push(case.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures that differ from their snapshots: {failures:#?}"
    );
}
