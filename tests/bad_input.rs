//! Bad input as fixture files: each `tests/bad/<case>.toml` is checked by the real binary in
//! a project of its own (files a case needs beside it are named in its first comment line,
//! `# with: other.toml`), and what `vanban check` prints is compared with the snapshot.
//! Every case must fail (exit 1), name file:line:col and write nothing.

mod common;

use common::{repo, stderr, Project};

#[test]
fn every_bad_case_fails_with_its_snapshot() {
    let dir = repo().join("tests/bad");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml") && !p.to_string_lossy().contains(".with.")
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let p = Project::new();
        p.write("plan.toml", &text);
        if let Some(with) = text.lines().next().and_then(|l| l.strip_prefix("# with: ")) {
            for w in with.split(',').map(str::trim) {
                p.write(w, &std::fs::read_to_string(dir.join(w)).unwrap());
            }
        }
        let check = p.run(&["check", "plan.toml"]);
        let build = p.run(&["build", "plan.toml", "-o", "out.pdf"]);
        let err = stderr(&check);
        let ok = check.status.code() == Some(1)
            && build.status.code() == Some(1)
            && !p.path("out.pdf").exists()
            && err.contains("plan.toml:");
        let snap = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => dir.join("snapshots"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("vanban check tests/bad/{name}.toml"),
            }, {
                insta::assert_snapshot!(name.clone(), err);
            });
        });
        if !ok || snap.is_err() {
            failures.push(format!(
                "{name}: exit {:?}/{:?}\n{err}",
                check.status.code(),
                build.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
