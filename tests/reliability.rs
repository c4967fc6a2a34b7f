//! Nothing lost, nothing clobbered, everything bounded (issue 13): each test here failed on
//! the code before the fix. Special files, inputs and permissions; text off the page;
//! unbounded input; interrupted batches.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo failed");
}

/// Runs vanban under `sh` with a umask (std has no umask call).
fn run_with_umask(p: &Project, umask: &str, args: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" {args}"))
        .arg(bin())
        .current_dir(p.dir.path())
        .output()
        .unwrap()
}

#[test]
fn special_files_and_inputs_are_never_replaced() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    mkfifo(&p.path("fifo"));
    let out = p.run(&["build", "plan.toml", "-o", "fifo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("fifo is a named pipe"),
        "{}",
        stderr(&out)
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(p.path("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());

    // The province's plan, named as the output of a district plan extending it.
    p.write("huyen.toml", "extends = \"plan.toml\"\n");
    let out = p.run(&["build", "huyen.toml", "-o", "plan.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("would overwrite plan.toml, a plan this document is built from"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(p.path("plan.toml")).unwrap(),
        MINIMAL
    );
}

#[test]
fn outputs_follow_the_umask_and_keep_an_existing_mode() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    let mode = |f: &str| std::fs::metadata(p.path(f)).unwrap().permissions().mode() & 0o777;
    assert!(
        run_with_umask(&p, "022", "build plan.toml -o a.pdf --manifest")
            .status
            .success()
    );
    assert_eq!(mode("a.pdf"), 0o644);
    assert_eq!(mode("a.zones.json"), 0o644);
    assert!(run_with_umask(&p, "027", "build plan.toml -o b.pdf")
        .status
        .success());
    assert_eq!(mode("b.pdf"), 0o640);
    std::fs::set_permissions(p.path("a.pdf"), std::fs::Permissions::from_mode(0o604)).unwrap();
    assert!(run_with_umask(&p, "077", "build plan.toml -o a.pdf")
        .status
        .success());
    assert_eq!(mode("a.pdf"), 0o604, "an overwritten file keeps its mode");
    assert!(run_with_umask(&p, "022", "new --type giay-moi gm.toml")
        .status
        .success());
    assert_eq!(mode("gm.toml"), 0o644);
}

#[test]
fn a_signer_block_taller_than_the_page_fails_naming_the_field() {
    let p = Project::new();
    let many: Vec<String> = (1..=40)
        .map(|i| format!("\"Ủy ban nhân dân huyện Krông Pắc, tỉnh Đắk Lắk, đơn vị số {i} (b/c)\""))
        .collect();
    let plan = MINIMAL.replace(
        "to = [\"Bộ Giáo dục và Đào tạo (b/c)\"]",
        &format!("to = [{}]", many.join(", ")),
    );
    p.write("plan.toml", &plan);
    let out = p.run(&["build", "plan.toml", "-o", "out.pdf"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[off-page]: `recipients.to`") && err.contains("plan.toml:"),
        "{err}"
    );
    assert!(!p.path("out.pdf").exists());
}

#[test]
fn pipes_devices_and_huge_inputs_are_refused_at_once() {
    let p = Project::new();
    mkfifo(&p.path("pipe.toml"));
    p.write("child.toml", "extends = \"pipe.toml\"\n");
    for args in [
        &["check", "pipe.toml"][..],
        &["check", "/dev/zero"][..],
        &["check", "child.toml"][..],
    ] {
        let start = Instant::now();
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{args:?} took {:?}",
            start.elapsed()
        );
        assert!(
            stderr(&out).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_hundred_thousand_sections_are_refused_quickly() {
    let p = Project::new();
    let mut plan = MINIMAL.to_string();
    for i in 0..100_000 {
        plan.push_str(&format!("[[sections]]\nid=\"{i}\"\ntitle=\"M\"\n"));
    }
    assert!(plan.len() < 4 << 20, "{} bytes", plan.len());
    p.write("plan.toml", &plan);
    let start = Instant::now();
    let out = p.run(&["check", "plan.toml"]);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "check took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at most 20000 are accepted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_word_of_65536_bytes_is_an_error_not_a_crash() {
    let p = Project::new();
    let word = "a".repeat(70_000);
    p.write(
        "plan.toml",
        &MINIMAL.replace("Phát huy sức mạnh", &format!("Phát huy {word} sức mạnh")),
    );
    for cmd in ["check", "build"] {
        let out = p.run(&[cmd, "plan.toml", "-o", "out.pdf"][..if cmd == "check" { 2 } else { 4 }]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains("a word of 70000 characters") && !err.contains("panicked"),
            "{err}"
        );
    }
    assert!(!p.path("out.pdf").exists());
}

#[test]
fn smaller_findings() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    // Year 0 and -j 0.
    let out = p.run(&[
        "build",
        "plan.toml",
        "-o",
        "a.pdf",
        "--issue",
        "5",
        "--on",
        "0000-01-01",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("year 0"), "{}", stderr(&out));
    let out = p.run(&["build", "plan.toml", "-o", "a.pdf", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2));
    // A name with a dot keeps what follows it.
    p.write(
        "b.toml",
        "[batch]\nplan = \"plan.toml\"\noutput = \"{{ issuer.place }}\"\n\n[[batch.rows]]\nissuer = { place = \"TP. Buôn Ma Thuột\" }\n",
    );
    let out = p.run(&["build", "b.toml", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(p.path("out/TP. Buôn Ma Thuột.pdf").exists());
    // An output folder that cannot be written is one error, before any document is built.
    p.write(
        "b15.toml",
        &format!(
            "[batch]\nplan = \"plan.toml\"\noutput = \"{{{{ row }}}}\"\n{}",
            "\n[[batch.rows]]\nnumber = \"\"\n".repeat(15)
        ),
    );
    let out = p.run(&["build", "b15.toml", "--out-dir", "/proc/vanban-test"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).matches("error[output]").count(),
        1,
        "{}",
        stderr(&out)
    );
    // Terminal control characters in a plan never reach the terminal.
    p.write(
        "esc.toml",
        &MINIMAL.replace("title = \"", "title = \"\u{1b}[2J"),
    );
    let out = p.run(&["check", "esc.toml"]);
    assert!(!stderr(&out).contains('\u{1b}'), "{:?}", stderr(&out));
}

#[test]
fn batch_outputs_and_folder_inputs_stay_inside() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(p.path("out")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path("out/sub")).unwrap();
    p.write(
        "b.toml",
        "[batch]\nplan = \"plan.toml\"\noutput = \"sub/{{ row }}\"\n\n[[batch.rows]]\nnumber = \"\"\n",
    );
    let out = p.run(&["build", "b.toml", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("through a link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("x.toml"), MINIMAL).unwrap();
    std::fs::create_dir_all(p.path("plans")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("x.toml"), p.path("plans/x.toml")).unwrap();
    let out = p.run(&["build", "plans", "--out-dir", "o2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("links to a file outside"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_folder_held_by_another_run_is_refused() {
    let p = Project::new();
    p.write("plan.toml", MINIMAL);
    std::fs::create_dir_all(p.path("out")).unwrap();
    // This test's own process stands for the other, still running, vanban.
    std::fs::write(p.path("out/.vanban.lock"), std::process::id().to_string()).unwrap();
    let out = p.run(&["build", "plan.toml", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("another vanban run"),
        "{}",
        stderr(&out)
    );
    // A lock left by a process that is gone is taken over.
    std::fs::write(p.path("out/.vanban.lock"), "999999999").unwrap();
    let out = p.run(&["build", "plan.toml", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!p.path("out/.vanban.lock").exists());
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".vanban"))
                .collect()
        })
        .unwrap_or_default()
}

/// Kills the 15-district batch at pseudo-random moments with SIGINT, SIGTERM and SIGKILL:
/// after INT/TERM nothing temporary is left; after KILL only files the next run removes; every
/// PDF that was finished is whole (qpdf --check).
#[test]
fn interrupted_batches_leave_nothing_behind() {
    let root = repo();
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let runs = 105;
    for i in 0..runs {
        let out = dir.path().join(format!("o{}", i % 5));
        let sig = ["-INT", "-TERM", "-KILL"][i % 3];
        let mut child = Command::new(bin())
            .args(["build", "plans/daklak-2024/huyen.toml", "--out-dir"])
            .arg(&out)
            .current_dir(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(next() % 400));
        let pid = child.id().to_string();
        let _ = Command::new("kill").arg(sig).arg(&pid).status();
        let _ = child.wait();
        if sig != "-KILL" {
            // What this run made is gone (an earlier SIGKILL's leftovers may wait for a run
            // that gets far enough to sweep them).
            let own: Vec<String> = leftovers(&out)
                .into_iter()
                .filter(|n| {
                    n.starts_with(&format!(".vanban-{pid}-"))
                        || (n == ".vanban.lock"
                            && std::fs::read_to_string(out.join(n)).is_ok_and(|c| c.trim() == pid))
                })
                .collect();
            assert!(own.is_empty(), "run {i} ({sig}) left {own:?}");
        }
    }
    // Every PDF the killed runs finished is whole; a run into each folder removes what they
    // left.
    for k in 0..5 {
        let out = dir.path().join(format!("o{k}"));
        for f in std::fs::read_dir(&out).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "pdf") {
                let ok = Command::new("qpdf")
                    .arg("--check")
                    .arg(f.path())
                    .stdout(Stdio::null())
                    .status();
                assert!(
                    ok.is_ok_and(|s| s.success()),
                    "{} is not a whole PDF",
                    f.path().display()
                );
            }
        }
        let st = Command::new(bin())
            .args(["build", "plans/daklak-2024/huyen.toml", "--out-dir"])
            .arg(&out)
            .current_dir(&root)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    }
}

/// A short template that would print a gigabyte stops at the text limit with little memory;
/// `set`, `*` and huge numbers are refused before anything runs.
#[test]
fn plan_templates_are_bounded_in_memory_and_kind() {
    let p = Project::new();
    let v = "x".repeat(10_000);
    let plan = MINIMAL
        .replace("year = 2024", &format!("year = 2024\nv = \"{v}\""))
        .replace(
            "closing = \"Trên đây là Kế hoạch của UBND tỉnh./.\"",
            "closing = \"{% for i in range(100000) %}{{ v }}{% endfor %}\"",
        );
    p.write("plan.toml", &plan);
    let out = Command::new(bin())
        .args(["build", "plan.toml", "-o", "out.pdf"])
        .current_dir(p.dir.path())
        .env("VANBAN_REPORT_RSS", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`closing` renders to more than 400000 characters"),
        "{err}"
    );
    let mb: u64 = err
        .split("peak RSS ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {err}"));
    assert!(mb < 200, "peak RSS {mb} MB");

    for (code, needle) in [
        (
            "{% set x = 'a' %}{{ x }}",
            "`{% set %}` is not allowed in a plan text",
        ),
        ("{{ 'a' * 100000 }}", "`*` (repetition) is not allowed"),
        (
            "{{ range(1000000) | join }}",
            "numbers above 100000 are not allowed",
        ),
    ] {
        p.write(
            "t.toml",
            &MINIMAL.replace("Trên đây là Kế hoạch của UBND tỉnh./.", code),
        );
        let out = p.run(&["check", "t.toml"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("error[template-limit]")
                && err.contains(needle)
                && err.contains("t.toml:"),
            "{err}"
        );
    }
}
