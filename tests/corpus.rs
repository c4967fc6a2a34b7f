//! Bad-input corpus: every case runs the real binary on a small project and asserts the exit
//! code, the messages (with `file:line:col` wherever the input has a position), that nothing
//! panicked or hung, that a failed build leaves no output and no `.vanban-*` temporary file,
//! and that no input file was touched.
//!
//! Plans are derived from `MINIMAL` by replacing one whole line (see `line()`), so expected
//! line numbers can be read off `MINIMAL` directly:
//!
//! ```text
//!  1 type          8 [vars]        16 [[sections]]   24 [signer]       29 [recipients]
//!  2 number        9 year          17 id             25 authority      30 to
//!  3 date         11 [issuer]      18 title          26 title          31 archive
//!  4 title        12 name          19 text = """     27 name
//!  5 basis        13 abbrev        20 ## Mục đích
//!  6 closing      14 place         21 - Phát huy…
//!                                  22 """
//! ```
//!
//! A case whose correct behaviour the program does not show yet carries `known_bug`: the
//! runner skips it and prints it, so the corpus states what should happen without failing.
//! `VANBAN_CORPUS_KNOWN_BUGS=1 cargo test --release --test corpus -- --nocapture` runs them
//! too and says which are still present and which are fixed (their marker can go).
//! Lint findings (`src/lint.rs`) are deliberately not asserted here.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use unicode_normalization::UnicodeNormalization;

// ---------------------------------------------------------------------------------------------
// The lines of MINIMAL that cases replace.

const TYPE: &str = r#"type = "ke-hoach""#;
const NUMBER: &str = r#"number = """#;
const DATE: &str = r#"date = "{{ year }}""#;
const TITLE: &str = r#"title = "Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}""#;
const BASIS: &str = r#"basis = "Căn cứ tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:""#;
const CLOSING: &str = r#"closing = "Trên đây là Kế hoạch của UBND tỉnh./.""#;
const YEAR: &str = "year = 2024";
const NAME: &str = r#"name = ["Ủy ban nhân dân", "tỉnh Đắk Lắk"]"#;
const ABBREV: &str = r#"abbrev = "UBND""#;
const PLACE: &str = r#"place = "Đắk Lắk""#;
const SECTION_ID: &str = r#"id = "muc-dich""#;
const SECTION_TITLE: &str = r#"title = "Mục đích, yêu cầu""#;
const SECTION_TEXT: &str = r#"text = """"#;
const ITEM: &str = "- Phát huy sức mạnh của cả hệ thống chính trị.";
const SIGNER: &str = "[signer]";
const AUTHORITY: &str = r#"authority = ["KT. Chủ tịch"]"#;
const SIGNER_TITLE: &str = r#"title = "Phó Chủ tịch""#;
const SIGNER_NAME: &str = r#"name = "H’Yim Kđoh""#;
const RECIPIENTS: &str = "[recipients]";
const TO: &str = r#"to = ["Bộ Giáo dục và Đào tạo (b/c)"]"#;
const ARCHIVE: &str = r#"archive = ["VT", "KGVX"]"#;

/// The 1-based line of MINIMAL each constant is on (checked by a test, so the expected
/// positions in the corpus stay right if MINIMAL changes).
const LINES: &[(&str, usize)] = &[
    (TYPE, 1),
    (NUMBER, 2),
    (DATE, 3),
    (TITLE, 4),
    (BASIS, 5),
    (CLOSING, 6),
    (YEAR, 9),
    (NAME, 12),
    (ABBREV, 13),
    (PLACE, 14),
    (SECTION_ID, 17),
    (SECTION_TITLE, 18),
    (SECTION_TEXT, 19),
    (ITEM, 21),
    (SIGNER, 24),
    (AUTHORITY, 25),
    (SIGNER_TITLE, 26),
    (SIGNER_NAME, 27),
    (RECIPIENTS, 29),
    (TO, 30),
    (ARCHIVE, 31),
];

/// `text` with one whole line replaced (`new` may hold several lines, or be empty to delete
/// the line); `old` must be exactly one line of `text`.
fn replace_line(text: &str, old: &str, new: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let hits: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == old).collect();
    assert_eq!(
        hits.len(),
        1,
        "`{old}` must be exactly one line of the plan"
    );
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == hits[0] {
            if new.is_empty() {
                continue;
            }
            out.push_str(new);
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

/// MINIMAL with one whole line replaced.
fn line(old: &str, new: &str) -> String {
    replace_line(MINIMAL, old, new)
}

/// MINIMAL with several whole lines replaced, in order.
fn lines(edits: &[(&str, &str)]) -> String {
    edits.iter().fold(MINIMAL.to_string(), |text, (old, new)| {
        replace_line(&text, old, new)
    })
}

// ---------------------------------------------------------------------------------------------
// Cases.

const BUILD: &[&str] = &["build", "plan.toml", "-o", "out.pdf"];
/// Every run gets this long before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(60);

type Setup = Box<dyn Fn(&Path) + Send + Sync>;

struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    /// Extra preparation that needs code (symlinks, permissions).
    setup: Option<Setup>,
    args: Vec<String>,
    exit: i32,
    /// Substrings of stderr.
    expect: Vec<String>,
    /// Must not appear in stderr.
    forbid: Vec<String>,
    /// New files and folders (relative to the project) the run must leave; nothing else may
    /// appear. Defaults to the `-o` file when the case succeeds.
    produces: Option<Vec<String>>,
    /// Literal strings the produced PDF must show (compared without whitespace or case:
    /// Typst breaks lines and some fields print uppercase).
    shows: Vec<String>,
    within: Duration,
    known_bug: Option<&'static str>,
}

/// A case: files of the project, arguments, exit code, substrings of stderr.
fn case(name: &str, files: &[(&str, &str)], args: &[&str], exit: i32, expect: &[&str]) -> Case {
    Case {
        name: name.to_string(),
        files: files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect(),
        setup: None,
        args: args.iter().map(|a| a.to_string()).collect(),
        exit,
        expect: expect.iter().map(|s| s.to_string()).collect(),
        forbid: Vec::new(),
        produces: None,
        shows: Vec::new(),
        within: TIMEOUT,
        known_bug: None,
    }
}

/// `vanban build plan.toml -o out.pdf` on one plan text.
fn plan(name: &str, text: &str, exit: i32, expect: &[&str]) -> Case {
    case(name, &[("plan.toml", text)], BUILD, exit, expect)
}

impl Case {
    fn forbid(mut self, s: &[&str]) -> Case {
        self.forbid.extend(s.iter().map(|s| s.to_string()));
        self
    }
    fn produces(mut self, files: &[&str]) -> Case {
        self.produces = Some(files.iter().map(|s| s.to_string()).collect());
        self
    }
    fn shows(mut self, s: &str) -> Case {
        self.shows.push(s.to_string());
        self
    }
    fn within(mut self, secs: u64) -> Case {
        self.within = Duration::from_secs(secs);
        self
    }
    fn bytes(mut self, path: &str, bytes: Vec<u8>) -> Case {
        self.files.push((path.to_string(), bytes));
        self
    }
    fn setup(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        self.setup = Some(Box::new(f));
        self
    }
    #[allow(dead_code)] // kept for marking the next bug found; none is open now
    fn known_bug(mut self, why: &'static str) -> Case {
        self.known_bug = Some(why);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// The runner.

struct Run {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

/// Runs the binary in `dir`, killing it (by its own pid) if it outlives `limit`.
fn run_timed(dir: &Path, args: &[String], limit: Duration) -> Run {
    let logs = tempfile::tempdir().expect("temp dir");
    let err_path = logs.path().join("stderr");
    let err_file = std::fs::File::create(&err_path).expect("stderr file");
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_remove("VANBAN_ROOT")
        .env_remove("VANBAN_JOBS")
        .env_remove("VANBAN_TEMPLATES")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .expect("run vanban");
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for vanban") {
            break Some(s);
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let bytes = std::fs::read(&err_path).unwrap_or_default();
    Run {
        code: status.and_then(|s| s.code()),
        stderr: String::from_utf8_lossy(&bytes).into_owned(),
        elapsed,
        timed_out,
    }
}

/// Every file and folder under `dir`, relative, with `/` separators.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel);
            // Symlinked folders are inputs; do not follow them out of the project.
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                walk(base, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// A path and its parent folders (`out/a/x.pdf` → `out`, `out/a`, `out/a/x.pdf`).
fn with_parents(rel: &str) -> Vec<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// Text compared without whitespace and case.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect::<String>()
        .nfc()
        .collect()
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// Runs one case; returns what went wrong.
fn check(c: &Case) -> Vec<String> {
    let p = Project::new();
    let root = p.dir.path();
    for (rel, bytes) in &c.files {
        let path = p.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    if let Some(setup) = &c.setup {
        setup(root);
    }
    let before = tree(root);
    let run = run_timed(root, &c.args, c.within);
    let mut problems = Vec::new();
    let err = &run.stderr;

    if run.timed_out {
        problems.push(format!("did not finish within {:?} (killed)", c.within));
    }
    if err.contains("panicked") {
        problems.push("panicked".into());
    }
    match run.code {
        Some(code) if code == c.exit => {}
        Some(code) => problems.push(format!("exit code {code}, expected {}", c.exit)),
        None if !run.timed_out => problems.push("killed by a signal".into()),
        None => {}
    }
    if !matches!(run.code, Some(0..=2) | None) {
        problems.push("exit code outside 0, 1, 2".into());
    }
    for e in &c.expect {
        if !err.contains(e.as_str()) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    for f in &c.forbid {
        if err.contains(f.as_str()) {
            problems.push(format!("stderr has {f:?}"));
        }
    }

    // Outputs: exactly what the case expects, no temporary files, inputs untouched.
    let after = tree(root);
    let produces: Vec<String> = match &c.produces {
        Some(p) => p.clone(),
        None if c.exit == 0 => flag_value(&c.args, "-o")
            .map(|o| vec![o.to_string()])
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let allowed: BTreeSet<String> = produces.iter().flat_map(|p| with_parents(p)).collect();
    for f in after.difference(&before) {
        if f.contains(".vanban-") {
            problems.push(format!("temporary file left: {f}"));
        } else if !allowed.contains(f) {
            problems.push(format!("unexpected output: {f}"));
        }
    }
    for f in &produces {
        if !after.contains(f) {
            problems.push(format!("missing output: {f}"));
        }
    }
    for f in before.difference(&after) {
        problems.push(format!("input removed: {f}"));
    }
    for (rel, bytes) in &c.files {
        // Unreadable inputs (the permission cases) are compared by their presence only.
        if matches!(std::fs::read(p.path(rel)), Ok(now) if now != *bytes) {
            problems.push(format!("input changed: {rel}"));
        }
    }

    if !c.shows.is_empty() {
        match produces.iter().find(|f| f.ends_with(".pdf")) {
            Some(pdf) if after.contains(pdf) => {
                let text = fold(&pdf_text(&std::fs::read(p.path(pdf)).unwrap()));
                for s in &c.shows {
                    if !text.contains(&fold(s)) {
                        problems.push(format!("the PDF does not show {s:?}"));
                    }
                }
            }
            _ => problems.push("no PDF to read the text of".into()),
        }
    }

    if !problems.is_empty() {
        problems.push(format!(
            "(ran {:?} in {:.2} s) stderr:\n{}",
            c.args,
            run.elapsed.as_secs_f64(),
            clip(err)
        ));
    }
    problems
}

fn clip(s: &str) -> String {
    if s.len() <= 4000 {
        return s.to_string();
    }
    let mut end = 4000;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… {} more bytes]", &s[..end], s.len() - end)
}

/// Runs `cases` on a few threads; returns the failures, one text per failing case.
fn run_cases(cases: &[Case]) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(c) = cases.get(i) else { break };
                let problems = check(c);
                if !problems.is_empty() {
                    let text = format!("── {}:\n   {}", c.name, problems.join("\n   "));
                    failures.lock().unwrap().push(text);
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// Runs every case, prints the known bugs it skipped, and fails with the list of every
/// failing case. With `VANBAN_CORPUS_KNOWN_BUGS=1` the known bugs run too and are reported
/// as still present or fixed (without failing the test).
fn run_all(group: &str, cases: Vec<Case>) {
    let (bugs, cases): (Vec<Case>, Vec<Case>) =
        cases.into_iter().partition(|c| c.known_bug.is_some());
    if std::env::var_os("VANBAN_CORPUS_KNOWN_BUGS").is_some() {
        for b in &bugs {
            let still = run_cases(std::slice::from_ref(b));
            match still.first() {
                Some(f) => eprintln!("[{group}] known bug still present: {f}"),
                None => eprintln!("[{group}] known bug FIXED, remove its marker: {}", b.name),
            }
        }
    } else {
        for b in &bugs {
            eprintln!(
                "[{group}] known bug, skipped: {}: {}",
                b.name,
                b.known_bug.unwrap_or_default()
            );
        }
    }
    let failures = run_cases(&cases);
    eprintln!(
        "[{group}] {} cases run, {} failed, {} known bugs skipped",
        cases.len(),
        failures.len(),
        bugs.len()
    );
    if !failures.is_empty() {
        panic!(
            "{} of {} cases in `{group}` failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus, by class.

fn malformed_toml() -> Vec<Case> {
    vec![
        plan(
            "toml: unclosed string",
            &line(TITLE, r#"title = "Tổ chức"#),
            1,
            &["error[toml]", "invalid basic string", "plan.toml:4:17"],
        ),
        plan(
            "toml: missing `=`",
            &line(ABBREV, r#"abbrev "UBND""#),
            1,
            &["error[toml]", "expected `=`", "plan.toml:13:8"],
        ),
        plan(
            "toml: key without a value",
            &line(ABBREV, "abbrev ="),
            1,
            &["error[toml]", "plan.toml:13:9"],
        ),
        plan(
            "toml: unquoted string",
            &line(TYPE, "type = ke-hoach"),
            1,
            &[
                "error[toml]",
                "string values must be quoted",
                "plan.toml:1:8",
            ],
        ),
        plan(
            "toml: duplicate key",
            &line(PLACE, "place = \"Đắk Lắk\"\nplace = \"Krông Pắc\""),
            1,
            &["error[toml]", "duplicate key", "plan.toml:15:1"],
        ),
        plan(
            "toml: table defined twice",
            &line(RECIPIENTS, "[signer]"),
            1,
            &["error[toml]", "duplicate key", "plan.toml:29:2"],
        ),
        plan(
            "toml: bad table header",
            &line(SIGNER, "[signer"),
            1,
            &["error[toml]", "unclosed table", "plan.toml:24:8"],
        ),
        plan(
            "toml: unterminated array",
            &line(ARCHIVE, r#"archive = ["VT", "KGVX""#),
            1,
            &["error[toml]", "unclosed array", "plan.toml:31:24"],
        ),
        plan(
            "toml: unterminated multi-line string",
            &line("\"\"\"", ""),
            1,
            &[
                "error[toml]",
                "invalid multi-line basic string",
                "plan.toml:31:1",
            ],
        ),
        plan(
            "toml: NUL byte inside a string",
            &line(PLACE, "place = \"Đắk\u{0}Lắk\""),
            1,
            &["error[toml]", "plan.toml:14:13"],
        ),
        plan(
            "toml: bare CR line endings",
            &MINIMAL.replace('\n', "\r"),
            1,
            &["error[toml]", "carriage return", "plan.toml:1:"],
        ),
    ]
}

fn wrong_types() -> Vec<Case> {
    vec![
        plan(
            "type: title = 5",
            &line(TITLE, "title = 5"),
            1,
            &[
                "error[wrong-type]",
                "invalid type: integer `5`, expected a string",
                "plan.toml:4:9",
            ],
        ),
        plan(
            "type: signer name = 5",
            &line(SIGNER_NAME, "name = 5"),
            1,
            &["error[wrong-type]", "integer `5`", "plan.toml:27:8"],
        ),
        plan(
            "type: issuer name = \"x\" is fine",
            &line(NAME, r#"name = "Ủy ban nhân dân xã Ea Tu""#),
            0,
            &[],
        )
        .shows("ỦY BAN NHÂN DÂN XÃ EA TU"),
        plan(
            "type: issuer name = 5",
            &line(NAME, "name = 5"),
            1,
            &[
                "`issuer.name` must be a text or a list of texts, found integer",
                "plan.toml:12:8",
            ],
        ),
        plan(
            "type: issuer name is a table",
            &line(NAME, "name = { a = 1 }"),
            1,
            &[
                "`issuer.name` must be a text or a list of texts, found table",
                "plan.toml:12:8",
            ],
        ),
        plan(
            "type: issuer name = []",
            &line(NAME, "name = []"),
            1,
            &["error[empty]", "`issuer.name` is empty", "plan.toml:12:8"],
        ),
        plan(
            "type: abbrev is blank",
            &line(ABBREV, r#"abbrev = "  ""#),
            1,
            &["`issuer.abbrev` is empty", "plan.toml:13:10"],
        ),
        plan(
            "type: authority = [1]",
            &line(AUTHORITY, "authority = [1]"),
            1,
            &[
                "`signer.authority` must be a list of texts, found integer",
                "plan.toml:25:13",
            ],
        ),
        plan(
            "type: copies = \"15\"",
            &line(ARCHIVE, "archive = [\"VT\", \"KGVX\"]\ncopies = \"15\""),
            1,
            &[
                "`recipients.copies` must be a positive whole number, found \"15\"",
                "plan.toml:32:10",
            ],
        ),
        plan(
            "type: copies = -1",
            &line(ARCHIVE, "archive = [\"VT\", \"KGVX\"]\ncopies = -1"),
            1,
            &[
                "`recipients.copies` must be a positive whole number, found -1",
                "plan.toml:32:10",
            ],
        ),
        plan(
            "type: recipients to = 7",
            &line(TO, "to = 7"),
            1,
            &[
                "`recipients.to` must be a text or a list of texts, found integer",
                "plan.toml:30:6",
            ],
        ),
        plan(
            "type: number = -3",
            &line(NUMBER, "number = -3"),
            1,
            &[
                "error[bad-number]",
                "`number` must be \"\" or a positive whole number, found -3",
                "plan.toml:2:10",
            ],
        ),
        plan(
            "type: number = 1.5",
            &line(NUMBER, "number = 1.5"),
            1,
            &["error[bad-number]", "found 1.5", "plan.toml:2:10"],
        ),
        plan(
            "type: number = 0",
            &line(NUMBER, "number = 0"),
            1,
            &["error[bad-number]", "found 0", "plan.toml:2:10"],
        ),
        plan(
            "type: number = \"abc\"",
            &line(NUMBER, r#"number = "abc""#),
            1,
            &[
                "`number = \"abc\"` is not a document number",
                "plan.toml:2:10",
            ],
        ),
        plan(
            "type: remove = \"yes\"",
            &line(SECTION_TEXT, "remove = \"yes\"\ntext = \"\"\""),
            1,
            &["expected a boolean", "plan.toml:19:10"],
        ),
        plan(
            "type: seal_mm out of range",
            &line(SIGNER_NAME, "name = \"H’Yim Kđoh\"\nseal_mm = 5"),
            1,
            &[
                "error[seal-size]",
                "between 10 and 60 mm, found 5",
                "plan.toml:28:11",
            ],
        ),
        plan(
            "type: sections = \"x\"",
            &lines(&[
                (TYPE, "type = \"ke-hoach\"\nsections = \"x\""),
                ("[[sections]]", ""),
                (SECTION_ID, ""),
                (SECTION_TITLE, ""),
                (SECTION_TEXT, ""),
                ("## Mục đích", ""),
                (ITEM, ""),
                ("\"\"\"", ""),
            ]),
            1,
            &["error[wrong-type]", "plan.toml:2:12"],
        ),
        plan(
            "type: sections = [1, 2] (not tables)",
            &lines(&[
                (TYPE, "type = \"ke-hoach\"\nsections = [1, 2]"),
                ("[[sections]]", ""),
                (SECTION_ID, ""),
                (SECTION_TITLE, ""),
                (SECTION_TEXT, ""),
                ("## Mục đích", ""),
                (ITEM, ""),
                ("\"\"\"", ""),
            ]),
            1,
            &["error[wrong-type]", "plan.toml:2:13"],
        )
        .forbid(&["struct Raw"]),
        plan(
            "type: issuer = \"UBND\" (not a table)",
            &lines(&[
                (TYPE, "type = \"ke-hoach\"\nissuer = \"UBND\""),
                ("[issuer]", ""),
                (NAME, ""),
                (ABBREV, ""),
                (PLACE, ""),
            ]),
            1,
            &["error[wrong-type]", "plan.toml:2:10"],
        )
        .forbid(&["struct Raw"]),
        plan(
            "type: date is a TOML date, not a string",
            &line(DATE, "date = 2024-09-25"),
            1,
            &["plan.toml:3:8"],
        )
        .forbid(&["map"]),
        plan(
            "sections: the same id twice in one file",
            &line(
                SIGNER,
                "[[sections]]\nid = \"muc-dich\"\ntitle = \"Kinh phí\"\n\n[signer]",
            ),
            1,
            &[
                "error[duplicate-section]",
                "two sections in this file have the id `muc-dich`",
                "plan.toml:25:6",
            ],
        ),
        case(
            "type: extends = 5",
            &[("a.toml", "extends = 5\n")],
            &["build", "a.toml", "-o", "out.pdf"],
            1,
            &["error[wrong-type]", "a.toml:1:11"],
        ),
    ]
}

fn unknown_keys() -> Vec<Case> {
    vec![
        plan(
            "key: top level",
            &line(CLOSING, r#"closng = "Trên đây là Kế hoạch của UBND tỉnh./.""#),
            1,
            &[
                "error[unknown-key]: unknown key `closng`",
                "plan.toml:6:1",
                "did you mean `closing`?",
            ],
        ),
        plan(
            "key: [issuer]",
            &line(PLACE, r#"plase = "Đắk Lắk""#),
            1,
            &[
                "unknown key `plase`",
                "plan.toml:14:1",
                "did you mean `place`?",
            ],
        ),
        plan(
            "key: [[sections]] id",
            &line(SECTION_ID, r#"idd = "muc-dich""#),
            1,
            &["unknown key `idd`", "plan.toml:17:1", "did you mean `id`?"],
        ),
        plan(
            "key: [[sections]] text",
            &line(SECTION_TEXT, r#"txt = """"#),
            1,
            &["unknown key `txt`", "plan.toml:19:1", "did you mean `text`?"],
        ),
        plan(
            "key: [signer]",
            &line(AUTHORITY, r#"authorty = ["KT. Chủ tịch"]"#),
            1,
            &[
                "unknown key `authorty`",
                "plan.toml:25:1",
                "did you mean `authority`?",
            ],
        ),
        plan(
            "key: [recipients]",
            &line(ARCHIVE, r#"archiv = ["VT", "KGVX"]"#),
            1,
            &[
                "unknown key `archiv`",
                "plan.toml:31:1",
                "did you mean `archive`?",
            ],
        ),
        plan(
            "key: [recipients] nothing close",
            &line(ARCHIVE, r#"zzzzzz = ["VT", "KGVX"]"#),
            1,
            &[
                "unknown key `zzzzzz`",
                "plan.toml:31:1",
                "known keys here: to, archive, drafter, copies",
            ],
        ),
        plan(
            "key: free names under [vars] are fine",
            &line(YEAR, "year = 2024\nthang = 9"),
            0,
            &[],
        ),
        case(
            "key: batch row, nested table",
            &[
                ("mau.toml", MINIMAL),
                (
                    "b.toml",
                    &format!("[batch]\n{HEAD}\n[[batch.rows]]\nissuer = {{ plase = \"X\" }}\n"),
                ),
            ],
            BATCH_BUILD,
            1,
            &[
                "unknown key `plase`",
                "b.toml:5:12",
                "did you mean `place`?",
            ],
        ),
        case(
            "key: batch row, top level (the other rows still build)",
            &[
                ("mau.toml", MINIMAL),
                (
                    "b.toml",
                    &format!(
                        "[batch]\n{HEAD}\n{EA_TU}{TAN_LOI}[[batch.rows]]\nisuer = {{ place = \"X\" }}\n"
                    ),
                ),
            ],
            BATCH_BUILD,
            1,
            &[
                "unknown key `isuer`",
                "b.toml:9:1",
                "did you mean `issuer`?",
                "failed: b.toml row 3",
                "2 built, 1 failed",
            ],
        )
        .produces(&["out/ea-tu.pdf", "out/tan-loi.pdf"])
        ,
        case(
            "key: [batch] table",
            &[
                ("mau.toml", MINIMAL),
                (
                    "b.toml",
                    &format!("[batch]\nplan = \"mau.toml\"\noutptu = \"x.pdf\"\n{EA_TU}"),
                ),
            ],
            BATCH_BUILD,
            1,
            &[
                "unknown key `outptu`",
                "b.toml:3:1",
                "did you mean `output`?",
            ],
        )
        ,
        case(
            "key: batch file top level",
            &[
                ("mau.toml", MINIMAL),
                (
                    "b.toml",
                    &format!("[batch]\n{HEAD}\n{EA_TU}[extra]\na = 1\n"),
                ),
            ],
            BATCH_BUILD,
            1,
            &["unknown key `extra`", "b.toml:6:2", "batch"],
        )
        .forbid(&["seal_mm"])
        ,
    ]
}

fn dates() -> Vec<Case> {
    let d = |name: &str, value: &str, expect: &[&str]| {
        let mut e = vec!["error[bad-date]", "plan.toml:3:8"];
        e.extend_from_slice(expect);
        plan(name, &line(DATE, &format!("date = {value}")), 1, &e)
    };
    vec![
        d(
            "date: 2024-02-30",
            "\"2024-02-30\"",
            &["`2024-02-30` does not exist: month 2 of 2024 has 29 days"],
        ),
        d(
            "date: 2023-02-29 (not a leap year)",
            "\"2023-02-29\"",
            &["`2023-02-29` does not exist: month 2 of 2023 has 28 days"],
        ),
        d(
            "date: 2024-04-31",
            "\"2024-04-31\"",
            &["month 4 of 2024 has 30 days"],
        ),
        d(
            "date: month 13",
            "\"2024-13-01\"",
            &["`2024-13-01` has month 13"],
        ),
        d("date: month 0", "'2024-00-10'", &["has month 0"]),
        d(
            "date: 25/9/2024",
            "\"25/9/2024\"",
            &["`25/9/2024` is not a date of the form YYYY-MM-DD"],
        ),
        d(
            "date: 2024-9-1 (no padding)",
            "\"2024-9-1\"",
            &["`2024-9-1` is not a date of the form YYYY-MM-DD"],
        ),
        d(
            "date: made by a template",
            "\"{{ year }}-02-30\"",
            &["`2024-02-30` does not exist"],
        ),
        plan(
            "date: `date` filter in basis",
            &line(
                BASIS,
                "basis = \"Căn cứ {{ '2024-02-30' | date }} tình hình thực tế, UBND tỉnh ban hành Kế hoạch như sau:\"",
            ),
            1,
            &["`basis`: `2024-02-30` does not exist", "plan.toml:5:35"],
        ),
        plan(
            "date: `long_date` filter in a multi-line text",
            &line(ITEM, "Ngày {{ \"2023-02-29\" | long_date }}."),
            1,
            &[
                "`sections[muc-dich].text`: `2023-02-29` does not exist",
                "plan.toml:21:24",
            ],
        ),
        plan(
            "date: `weekday` of a year",
            &line(TITLE, "title = \"{{ year | weekday }}\""),
            1,
            &["`2024` is not a date of the form YYYY-MM-DD", "plan.toml:4:20"],
        ),
    ]
}

fn missing_keys() -> Vec<Case> {
    let miss = |name: &str, old: &str, key: &str| {
        plan(
            name,
            &line(old, ""),
            1,
            &[
                "error[missing-key]",
                &format!("missing required key `{key}`"),
                "plan.toml:1:1",
            ],
        )
    };
    let all = [
        "missing required key `type`",
        "missing required key `title`",
        "missing required key `issuer.name`",
        "missing required key `issuer.abbrev`",
        "missing required key `issuer.place`",
        "missing required key `signer.title`",
        "missing required key `signer.name`",
    ];
    vec![
        miss("missing: type", TYPE, "type"),
        miss("missing: title", TITLE, "title"),
        miss("missing: issuer.name", NAME, "issuer.name"),
        miss("missing: issuer.abbrev", ABBREV, "issuer.abbrev"),
        miss("missing: issuer.place", PLACE, "issuer.place"),
        miss("missing: signer.title", SIGNER_TITLE, "signer.title"),
        miss("missing: signer.name", SIGNER_NAME, "signer.name"),
        plan(
            "missing: the whole [issuer], three at once",
            &lines(&[("[issuer]", ""), (NAME, ""), (ABBREV, ""), (PLACE, "")]),
            1,
            &[
                "missing required key `issuer.name`",
                "missing required key `issuer.abbrev`",
                "missing required key `issuer.place`",
            ],
        ),
        plan(
            "missing: the whole [signer], two at once",
            &lines(&[
                (SIGNER, ""),
                (AUTHORITY, ""),
                (SIGNER_TITLE, ""),
                (SIGNER_NAME, ""),
            ]),
            1,
            &[
                "missing required key `signer.title`",
                "missing required key `signer.name`",
            ],
        ),
        plan("missing: empty file, all seven at once", "", 1, &all),
        plan("missing: only a comment", "# chỉ có chú thích\n", 1, &all),
        plan(
            "missing: a section without a title",
            &line(SECTION_TITLE, ""),
            1,
            &["a section needs a `title`", "plan.toml:17:6"],
        ),
    ]
}

fn types_and_encodings() -> Vec<Case> {
    vec![
        plan(
            "type: misspelt",
            &line(TYPE, r#"type = "ke-hoachh""#),
            1,
            &[
                "error[unknown-type]: unknown document type `ke-hoachh`",
                "plan.toml:1:8",
                "did you mean `ke-hoach`?",
            ],
        ),
        plan(
            "type: unknown",
            &line(TYPE, r#"type = "xyz""#),
            1,
            &[
                "unknown document type `xyz`",
                "plan.toml:1:8",
                "known types:",
            ],
        ),
        plan(
            "type: a Quyết định needs its authority line and articles",
            &line(TYPE, r#"type = "quyet-dinh""#),
            1,
            &[
                "error[missing-key]: missing required key `authority`",
                "error[missing-key]: missing required key `articles`",
                "error[not-allowed]: `sections`",
            ],
        ),
        plan(
            "type: a Kế hoạch's keys on a Công văn are named, all at once",
            &line(TYPE, r#"type = "cong-van""#),
            1,
            &[
                "error[missing-key]: missing required key `addressees`",
                "error[not-allowed]: `basis`: a CÔNG VĂN (Mẫu 1.5) has no basis (căn cứ) block",
                "error[not-allowed]: `sections`: a CÔNG VĂN (Mẫu 1.5) has no numbered sections",
                "error[not-allowed]: `closing`: a CÔNG VĂN (Mẫu 1.5) has no closing paragraph",
                "error[missing-key]: missing required key `text`",
            ],
        ),
        plan(
            "template: missing",
            &line(TYPE, "type = \"ke-hoach\"\ntemplate = \"nope\""),
            1,
            &[
                "error[template-not-found]",
                "template `nope.typ` does not exist",
            ],
        ),
        plan(
            "template: missing, with its position",
            &line(TYPE, "type = \"ke-hoach\"\ntemplate = \"nope\""),
            1,
            &["template `nope.typ` does not exist", "plan.toml:2:12"],
        ),
        plan(
            "template: path traversal in the name",
            &line(
                TYPE,
                "type = \"ke-hoach\"\ntemplate = \"../../../../etc/passwd\"",
            ),
            1,
            &["does not exist"],
        )
        .forbid(&["root:x:0"]),
        plan(
            "encoding: NFD input builds as NFC",
            &MINIMAL.nfd().collect::<String>(),
            0,
            &[],
        )
        .shows("Đắk Lắk, ngày")
        .shows("Phát huy sức mạnh của cả hệ thống chính trị."),
        plan(
            "encoding: NFD plan with an error keeps positions",
            &line(ABBREV, r#"abrev = "UBND""#).nfd().collect::<String>(),
            1,
            &["unknown key `abrev`", "plan.toml:13:1"],
        ),
        plan("encoding: BOM", &format!("\u{feff}{MINIMAL}"), 0, &[]).shows("ỦY BAN NHÂN DÂN"),
        plan(
            "encoding: BOM does not shift columns",
            &format!("\u{feff}{}", line(TITLE, "title = \"Tổ chức {{ nope }}\"")),
            1,
            &["`title` uses `", "plan.toml:4:21"],
        ),
        plan("encoding: CRLF", &MINIMAL.replace('\n', "\r\n"), 0, &[]).shows("Phát huy sức mạnh"),
        plan(
            "encoding: CRLF keeps positions",
            &line(ABBREV, r#"abrev = "UBND""#).replace('\n', "\r\n"),
            1,
            &["unknown key `abrev`", "plan.toml:13:1"],
        ),
        plan(
            "encoding: CRLF inside a multi-line text",
            &line(ITEM, "- Phát huy {{ nope }}").replace('\n', "\r\n"),
            1,
            &["`sections[muc-dich].text` uses `", "plan.toml:21:15"],
        ),
    ]
}

/// Typst and template specials that must print as typed.
const PAYLOAD: &str =
    r#"#set page(fill: red) #read("/etc/passwd") #import "x.typ" $x^2$ a]b [c "q" \d \"#;

fn injection() -> Vec<Case> {
    let lit = format!("'''{PAYLOAD}'''");
    let field = |name: &str, old: &str, new: String| {
        plan(&format!("injection: {name}"), &line(old, &new), 0, &[]).shows(PAYLOAD)
    };
    let mut v = vec![
        field("title", TITLE, format!("title = {lit}")),
        field("basis", BASIS, format!("basis = {lit}")),
        field("closing", CLOSING, format!("closing = {lit}")),
        field(
            "issuer.name",
            NAME,
            format!("name = [\"Ủy ban nhân dân\", {lit}]"),
        ),
        field(
            "issuer.parent",
            NAME,
            format!("parent = {lit}\nname = [\"Ủy ban nhân dân\", \"tỉnh Đắk Lắk\"]"),
        ),
        field("issuer.abbrev", ABBREV, format!("abbrev = {lit}")),
        field("issuer.place", PLACE, format!("place = {lit}")),
        field("symbol", NUMBER, format!("number = \"\"\nsymbol = {lit}")),
        field("section title", SECTION_TITLE, format!("title = {lit}")),
        plan(
            "injection: section text",
            &lines(&[
                (SECTION_TEXT, "text = '''"),
                (ITEM, &format!("- {PAYLOAD}")),
                ("\"\"\"", "'''"),
            ]),
            0,
            &[],
        )
        .shows(PAYLOAD),
        field(
            "signer.authority",
            AUTHORITY,
            format!("authority = [{lit}]"),
        ),
        field("signer.title", SIGNER_TITLE, format!("title = {lit}")),
        field("signer.name", SIGNER_NAME, format!("name = {lit}")),
        field("recipients.to", TO, format!("to = [{lit}]")),
        field("recipients.archive", ARCHIVE, format!("archive = [{lit}]")),
        field(
            "recipients.drafter",
            ARCHIVE,
            format!("archive = [\"VT\"]\ndrafter = {lit}"),
        ),
        plan(
            "injection: a variable's value",
            &lines(&[
                (YEAR, &format!("year = 2024\nx = {lit}")),
                (BASIS, "basis = \"Căn cứ {{ x }} như sau:\""),
            ]),
            0,
            &[],
        )
        .shows(PAYLOAD),
        plan(
            "injection: template syntax inside a variable's value stays literal",
            &lines(&[
                (YEAR, "year = 2024\nx = \"{{ year }} {% include 'y' %}\""),
                (BASIS, "basis = \"Căn cứ {{ x }} như sau:\""),
            ]),
            0,
            &[],
        )
        .shows("Căn cứ {{ year }} {% include 'y' %} như sau:"),
        plan(
            "injection: a text line that is Typst code",
            &line(ITEM, "#set page(fill: red)"),
            0,
            &[],
        )
        .shows("#set page(fill: red)"),
    ];
    // Each special alone, where it is most likely to break out: at the end of a value.
    for s in [
        "#set page(fill: red)",
        "#read(\"/etc/passwd\")",
        "#import \"x.typ\"",
        "$",
        "]",
        "\"",
        "\\",
    ] {
        v.push(
            plan(
                &format!("injection: `{s}` alone at the end of the title"),
                &line(TITLE, &format!("title = '''Tổ chức {s}'''")),
                0,
                &[],
            )
            .shows(&format!("Tổ chức {s}")),
        );
    }
    v
}

fn template_errors() -> Vec<Case> {
    let t = |name: &str, value: &str, expect: &[&str]| {
        plan(
            name,
            &line(TITLE, &format!("title = \"{value}\"")),
            1,
            expect,
        )
    };
    vec![
        t(
            "template: unclosed `{{ year`",
            "Tổ chức năm {{ year",
            &[
                "error[template-syntax]",
                "`title`: template syntax error",
                "plan.toml:4:25",
            ],
        ),
        t(
            "template: `{% for %}`",
            "Tổ chức {% for %}",
            &["error[template-syntax]", "expected in", "plan.toml:4:25"],
        ),
        t(
            "template: undefined `{{ nope }}`",
            "Tổ chức {{ nope }}",
            &["error[undefined]", "`title` uses `", "plan.toml:4:21"],
        ),
        t(
            "template: unknown filter",
            "Tổ chức {{ year | nofilter }}",
            &["`title`: filter nofilter is unknown", "plan.toml:4:28"],
        ),
        t(
            "template: include /etc/passwd",
            "Tổ chức {% include '/etc/passwd' %}",
            &[
                "error[template-include]",
                "`title` tries to load another template",
                "plan.toml:4:21",
            ],
        )
        .forbid(&["root:x:0"]),
        t(
            "template: extends",
            "Tổ chức {% extends 'x' %}",
            &["`title` tries to load another template", "plan.toml:4:21"],
        ),
        t(
            "template: import",
            "Tổ chức {% import 'x' as m %}",
            &["`title` tries to load another template", "plan.toml:4:21"],
        ),
        t(
            "template: unclosed comment",
            "Tổ chức {# x",
            &["error[template-syntax]", "plan.toml:4:22"],
        ),
        t(
            "template: division by zero",
            "Tổ chức {{ 1 / 0 }}",
            &["`title`: unable to calculate 1 / 0", "plan.toml:4:21"],
        ),
        t(
            "template: endless nested loop runs out of fuel",
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            &[
                "error[template-fuel]",
                "`title`: the template runs too long",
                "plan.toml:4:10",
            ],
        )
        .within(10),
        t(
            "template: endless recursion",
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
            // Macros are refused outright now: nested calls can double a text per call.
            &[
                "error[template-limit]",
                "`{% macro %}` is not allowed",
                "plan.toml:4:10",
            ],
        )
        .within(10),
        t(
            "template: renders too much",
            "{% for a in range(100000) %}xxxxxxxxxx{% endfor %}",
            &[
                "error[too-large]",
                "`title` renders to more than 400000 characters",
                "plan.toml:4:9",
            ],
        )
        .within(10),
        t(
            "template: escapes in the string point at the field",
            "a\\tb {{ nope }}",
            &["`title` uses `", "plan.toml:4:9"],
        ),
        plan(
            "template: endless loop in a section text",
            &line(
                ITEM,
                "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            ),
            1,
            &[
                "error[template-fuel]",
                "`sections[muc-dich].text`: the template runs too long",
                "plan.toml:21:1",
            ],
        )
        .within(10),
        plan(
            "template: unclosed `{{` in a section text",
            &line(ITEM, "- Phát huy {{ year"),
            1,
            &[
                "`sections[muc-dich].text`: template syntax error",
                "plan.toml:21:15",
            ],
        ),
        plan(
            "template: unclosed `{% for %}` block in a section text",
            &line(ITEM, "{% for x in [1, 2] %}- {{ x }}"),
            1,
            &["expected end of block", "plan.toml:21:"],
        ),
        plan(
            "template: undefined in issuer.place",
            &line(PLACE, r#"place = "{{ tinh }}""#),
            1,
            &["`issuer.place` uses `", "plan.toml:14:13"],
        ),
        plan(
            "template: undefined in a recipient",
            &line(TO, r#"to = ["{{ nope }}"]"#),
            1,
            &["`recipients.to` uses `", "plan.toml:30:6"],
        ),
        plan(
            "template: undefined in the second issuer line",
            &line(NAME, r#"name = ["Ủy ban nhân dân", "{{ nope }}"]"#),
            1,
            &["`issuer.name` uses `", "plan.toml:12:8"],
        ),
        plan(
            "template: a literal title of 1,000,000 characters is refused quickly",
            &line(
                TITLE,
                &format!("title = \"{}\"", "Tổ chức ".repeat(125_000)),
            ),
            1,
            &["error[too-large]", "`title`", "plan.toml:4:9"],
        )
        .within(20),
    ]
}

fn extends() -> Vec<Case> {
    let chain = |n: usize| -> Vec<(String, String)> {
        let mut files = vec![("l0.toml".to_string(), MINIMAL.to_string())];
        for i in 1..=n {
            files.push((
                format!("l{i}.toml"),
                format!("extends = \"l{}.toml\"\n", i - 1),
            ));
        }
        files
    };
    let owned = |name: &str, files: Vec<(String, String)>, args: &[&str], exit, expect: &[&str]| {
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        case(name, &refs, args, exit, expect)
    };
    let a = &["build", "a.toml", "-o", "out.pdf"];
    vec![
        owned(
            "extends: 30 deep builds",
            chain(30),
            &["build", "l30.toml", "-o", "out.pdf"],
            0,
            &[],
        ),
        owned(
            "extends: 40 deep is refused",
            chain(40),
            &["build", "l40.toml", "-o", "out.pdf"],
            1,
            &[
                "error[extends-depth]",
                "`extends` chain is deeper than 32 plans",
                "l8.toml:1:11",
            ],
        ),
        case(
            "extends: itself",
            &[("a.toml", "extends = \"a.toml\"\n")],
            a,
            1,
            &[
                "error[extends-cycle]",
                "`extends` makes a cycle: a.toml → a.toml",
                "a.toml:1:11",
            ],
        ),
        case(
            "extends: itself through ./",
            &[("a.toml", "extends = \"./a.toml\"\n")],
            a,
            1,
            &["`extends` makes a cycle: a.toml → a.toml", "a.toml:1:11"],
        ),
        case(
            "extends: 2-cycle",
            &[
                ("a.toml", "extends = \"b.toml\"\n"),
                ("b.toml", "extends = \"a.toml\"\n"),
            ],
            a,
            1,
            &[
                "`extends` makes a cycle: a.toml → b.toml → a.toml",
                "b.toml:1:11",
            ],
        ),
        case(
            "extends: 3-cycle through a folder",
            &[
                ("a.toml", "extends = \"sub/b.toml\"\n"),
                ("sub/b.toml", "extends = \"c.toml\"\n"),
                ("sub/c.toml", "title = \"x\"\nextends = \"../a.toml\"\n"),
            ],
            a,
            1,
            &[
                "`extends` makes a cycle: a.toml → sub/b.toml → sub/c.toml → a.toml",
                "sub/c.toml:2:11",
            ],
        ),
        case(
            "extends: missing file",
            &[("a.toml", "extends = \"nope.toml\"\n")],
            a,
            1,
            &[
                "cannot load the plan it extends: cannot read nope.toml: file not found",
                "a.toml:1:11",
            ],
        ),
        case(
            "extends: missing file two levels down",
            &[
                ("a.toml", "extends = \"b.toml\"\n"),
                ("b.toml", "\n\nextends = \"sub/nope.toml\"\n"),
            ],
            a,
            1,
            &["cannot read sub/nope.toml: file not found", "b.toml:3:11"],
        ),
        case(
            "extends: a folder",
            &[("a.toml", "extends = \"sub\"\n"), ("sub/x.toml", MINIMAL)],
            a,
            1,
            &["this is a folder, not a plan file", "a.toml:1:11"],
        ),
        case(
            "extends: empty",
            &[("a.toml", "extends = \"\"\n")],
            a,
            1,
            &["`extends` is empty", "a.toml:1:11"],
        ),
        case(
            "extends: ../ outside the root",
            &[("a.toml", "extends = \"../x.toml\"\n")],
            a,
            1,
            &[
                "error[outside-root]",
                "`extends = \"../x.toml\"` points outside the project root",
                "a.toml:1:11",
                "chain: a.toml → ",
            ],
        ),
        case(
            "extends: sub/../../ outside the root",
            &[("a.toml", "extends = \"sub/../../x.toml\"\n")],
            a,
            1,
            &["points outside the project root", "a.toml:1:11"],
        ),
        case(
            "extends: /etc/passwd",
            &[("a.toml", "extends = \"/etc/passwd\"\n")],
            a,
            1,
            &[
                "points outside the project root",
                "a.toml:1:11",
                "chain: a.toml → /etc/passwd",
            ],
        )
        .forbid(&["root:x:0"]),
        case(
            "extends: /etc/passwd one level down",
            &[
                ("a.toml", "extends = \"b.toml\"\n"),
                ("b.toml", "extends = \"/etc/passwd\"\n"),
            ],
            a,
            1,
            &[
                "points outside the project root",
                "b.toml:1:11",
                "chain: a.toml → b.toml → /etc/passwd",
            ],
        )
        .forbid(&["root:x:0"]),
        case(
            "extends: --root narrower than the chain",
            &[
                ("root/plan.toml", "extends = \"../outside.toml\"\n"),
                ("outside.toml", MINIMAL),
            ],
            &["build", "root/plan.toml", "--root", "root", "-o", "out.pdf"],
            1,
            &[
                "points outside the project root",
                "root/plan.toml:1:11",
                "chain: root/plan.toml →",
            ],
        ),
        case(
            "extends: parent with a TOML error",
            &[
                ("a.toml", "extends = \"b.toml\"\n"),
                ("b.toml", "type = \n"),
            ],
            a,
            1,
            &["error[toml]", "b.toml:1:8"],
        ),
        case(
            "extends: parent with an unknown key",
            &[
                ("a.toml", "extends = \"b.toml\"\n"),
                ("b.toml", &line(ABBREV, r#"abrev = "UBND""#)),
            ],
            a,
            1,
            &[
                "unknown key `abrev`",
                "b.toml:13:1",
                "did you mean `abbrev`?",
            ],
        ),
        case(
            "extends: a symlink inside the root pointing outside",
            &[("a.toml", "extends = \"link.toml\"\n")],
            a,
            1,
            &["points outside the project root", "a.toml:1:11"],
        )
        .forbid(&["root:x:0"])
        .setup(|root| symlink("/etc/passwd", &root.join("link.toml"))),
    ]
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(not(unix))]
fn symlink(_target: &str, _link: &Path) {}

const HEAD: &str = "plan = \"mau.toml\"\noutput = \"{{ issuer.place | slug }}.pdf\"";
const EA_TU: &str =
    "[[batch.rows]]\nissuer = { name = [\"Ủy ban nhân dân\", \"xã Ea Tu\"], place = \"Ea Tu\" }\n";
const TAN_LOI: &str = "[[batch.rows]]\nissuer = { name = [\"Ủy ban nhân dân\", \"phường Tân Lợi\"], place = \"Tân Lợi\" }\n";
const BATCH_BUILD: &[&str] = &["build", "b.toml", "--out-dir", "out"];

fn batches() -> Vec<Case> {
    let b = |name: &str, text: String, exit: i32, expect: &[&str]| {
        case(
            name,
            &[("mau.toml", MINIMAL), ("b.toml", &text)],
            BATCH_BUILD,
            exit,
            expect,
        )
    };
    vec![
        b(
            "batch: missing `plan`",
            format!("[batch]\noutput = \"x.pdf\"\n{EA_TU}"),
            1,
            &["missing field `plan`", "b.toml:1:1"],
        ),
        b(
            "batch: `plan` = 5",
            format!("[batch]\nplan = 5\n{EA_TU}"),
            1,
            &["error[wrong-type]", "b.toml:2:8"],
        ),
        b(
            "batch: `plan` outside the root",
            format!("[batch]\nplan = \"../mau.toml\"\n{EA_TU}"),
            1,
            &[
                "error[outside-root]",
                "batch plan `../mau.toml` is outside the project root",
                "b.toml:2:8",
            ],
        ),
        b(
            "batch: `plan` = /etc/passwd",
            format!("[batch]\nplan = \"/etc/passwd\"\n{EA_TU}"),
            1,
            &["is outside the project root", "b.toml:2:8"],
        )
        .forbid(&["root:x:0"]),
        b(
            "batch: `plan` missing",
            format!("[batch]\nplan = \"nope.toml\"\n{EA_TU}"),
            1,
            &[
                "cannot load the batch's plan: cannot read nope.toml: file not found",
                "b.toml:2:8",
            ],
        ),
        b(
            "batch: `plan` is a folder",
            format!("[batch]\nplan = \"sub\"\n{EA_TU}"),
            1,
            &["this is a folder, not a plan file", "b.toml:2:8"],
        )
        .setup(|root| std::fs::create_dir(root.join("sub")).unwrap()),
        case(
            "batch: `plan` has an error",
            &[
                ("mau.toml", &line(ABBREV, r#"abrev = "UBND""#)),
                ("b.toml", &format!("[batch]\nplan = \"mau.toml\"\n{EA_TU}")),
            ],
            BATCH_BUILD,
            1,
            &["cannot load the batch's plan: unknown key `abrev`", "b.toml:2:8"],
        ),
        b(
            "batch: a row with a bad date fails alone",
            format!(
                "[batch]\n{HEAD}\n{EA_TU}{TAN_LOI}[[batch.rows]]\nissuer = {{ name = [\"Ủy ban nhân dân\", \"xã Cư Bao\"], place = \"Cư Bao\" }}\ndate = \"2024-13-01\"\n"
            ),
            1,
            &[
                "failed: b.toml row 3",
                "`2024-13-01` has month 13",
                "b.toml:10:8",
                "2 built, 1 failed",
            ],
        )
        .produces(&["out/ea-tu.pdf", "out/tan-loi.pdf"]),
        b(
            "batch: rows = []",
            format!("[batch]\n{HEAD}\nrows = []\n"),
            1,
            &["error[empty-batch]", "the batch has no rows", "b.toml:2:8"],
        ),
        b(
            "batch: no rows at all",
            format!("[batch]\n{HEAD}\n"),
            1,
            &["the batch has no rows", "b.toml:2:8"],
        ),
        b(
            "batch: output leaves the folder (../)",
            format!("[batch]\nplan = \"mau.toml\"\noutput = \"../{{{{ issuer.abbrev | lower }}}}.pdf\"\n{EA_TU}"),
            1,
            &[
                "row 1: output name `../ubnd.pdf` is empty or leaves the output folder",
                "b.toml:3:10",
            ],
        ),
        b(
            "batch: output made ../ by a variable",
            "[batch]\nplan = \"mau.toml\"\noutput = \"{{ ten }}.pdf\"\n[[batch.rows]]\nvars = { ten = \"../x\" }\n".to_string(),
            1,
            &["output name `../x.pdf` is empty or leaves the output folder", "b.toml:3:10"],
        ),
        b(
            "batch: output is empty",
            format!("[batch]\nplan = \"mau.toml\"\noutput = \"{{{{ '' }}}}\"\n{EA_TU}"),
            1,
            &["output name `` is empty", "b.toml:3:10"],
        ),
        b(
            "batch: output is absolute",
            format!("[batch]\nplan = \"mau.toml\"\noutput = \"/tmp/x.pdf\"\n{EA_TU}"),
            1,
            &["output name `/tmp/x.pdf` is empty or leaves the output folder", "b.toml:3:10"],
        ),
        b(
            "batch: output uses an undefined variable",
            format!("[batch]\nplan = \"mau.toml\"\noutput = \"{{{{ nope }}}}.pdf\"\n{EA_TU}"),
            1,
            &["error[batch-output]", "batch `output`", "b.toml:3:10"],
        ),
        b(
            "batch: two rows write one file, nothing is written",
            format!("[batch]\nplan = \"mau.toml\"\noutput = \"cung-ten.pdf\"\n{EA_TU}{TAN_LOI}"),
            1,
            &[
                "error[output-clash]",
                "b.toml row 1 and b.toml row 2 would both write out/cung-ten.pdf",
            ],
        ),
        b(
            "batch: `extends` in a row is not silently dropped",
            format!("[batch]\n{HEAD}\n[[batch.rows]]\nextends = \"/etc/passwd\"\n"),
            1,
            &["`extends`", "b.toml:5:11"],
        )
        ,
    ]
}

fn command_line() -> Vec<Case> {
    let p = &[("plan.toml", MINIMAL)];
    vec![
        case(
            "cli: --set without =",
            p,
            &["build", "plan.toml", "--set", "year", "-o", "out.pdf"],
            2,
            &["`--set year`: expected NAME=VALUE"],
        ),
        case(
            "cli: --set with a space in the name",
            p,
            &["build", "plan.toml", "--set", "ye ar=1", "-o", "out.pdf"],
            2,
            &["`ye ar` is not a variable name"],
        ),
        case(
            "cli: --set with an empty name",
            p,
            &["build", "plan.toml", "--set", "=1", "-o", "out.pdf"],
            2,
            &["is not a variable name"],
        ),
        case(
            "cli: --set with a dotted name",
            p,
            &["build", "plan.toml", "--set", "a.b=1", "-o", "out.pdf"],
            2,
            &["`a.b` is not a variable name"],
        ),
        case(
            "cli: --set value that makes a bad date",
            p,
            &["build", "plan.toml", "--set", "year=abc", "-o", "out.pdf"],
            1,
            &["`date`: `abc` is not a date", "plan.toml:3:8"],
        ),
        case(
            "cli: -o with two plans",
            &[("a.toml", MINIMAL), ("b.toml", MINIMAL)],
            &["build", "a.toml", "b.toml", "-o", "x.pdf"],
            2,
            &["-o names one file but 2 documents are to be built; use --out-dir DIR"],
        ),
        case(
            "cli: -o with a folder of plans",
            &[("d/a.toml", MINIMAL), ("d/b.toml", MINIMAL)],
            &["build", "d", "-o", "x.pdf"],
            2,
            &["use --out-dir DIR"],
        ),
        case(
            "cli: -o names a folder",
            &[("plan.toml", MINIMAL), ("outdir/keep", "")],
            &["build", "plan.toml", "-o", "outdir"],
            1,
            &[
                "error[output]",
                "outdir is a folder",
                "give a file name with -o",
            ],
        ),
        case(
            "cli: -o . names the folder",
            p,
            &["build", "plan.toml", "-o", "."],
            1,
            &["is a folder"],
        )
        .forbid(&["]:  is a folder"]),
        case(
            "cli: -o dir/ (trailing slash) names a folder",
            p,
            &["build", "plan.toml", "-o", "newdir/"],
            1,
            &["is a folder", "--out-dir"],
        )
        .forbid(&["rename failed"]),
        case(
            "cli: -o inside a path that is a file",
            &[("plan.toml", MINIMAL), ("f", "x")],
            &["build", "plan.toml", "-o", "f/x.pdf"],
            1,
            &["cannot write f/x.pdf"],
        ),
        case(
            "cli: --out-dir is a file",
            &[("plan.toml", MINIMAL), ("f", "x")],
            &["build", "plan.toml", "--out-dir", "f"],
            1,
            &["cannot write f/plan.pdf"],
        ),
        case(
            "cli: -o is the plan itself",
            p,
            &["build", "plan.toml", "-o", "plan.toml"],
            1,
            &["plan.toml: the output would overwrite the plan itself"],
        ),
        case(
            "cli: -o ./plan.toml is the plan itself",
            p,
            &["build", "plan.toml", "--format", "typ", "-o", "./plan.toml"],
            1,
            &["the output would overwrite the plan itself"],
        ),
        case(
            "cli: one plan named twice",
            &[("a.toml", MINIMAL)],
            &["build", "a.toml", "./a.toml"],
            1,
            &["error[output-clash]", "would both write a.pdf"],
        ),
        case(
            "cli: two plans with one stem, one --out-dir",
            &[("x/a.toml", MINIMAL), ("y/a.toml", MINIMAL)],
            &["build", "x/a.toml", "y/a.toml", "--out-dir", "out"],
            1,
            &["x/a.toml and y/a.toml would both write out/a.pdf"],
        )
        .forbid(&["batch `output`"]),
        case(
            "cli: plan file missing",
            &[],
            &["build", "nope.toml"],
            1,
            &["error[io]", "cannot read nope.toml: file not found"],
        ),
        case(
            "cli: empty folder",
            &[("d/readme.txt", "")],
            &["build", "d"],
            1,
            &["the folder holds no .toml plans"],
        ),
        case(
            "cli: no plan",
            &[],
            &["build"],
            2,
            &["required arguments were not provided"],
        ),
        case(
            "cli: unknown format",
            p,
            &["build", "plan.toml", "--format", "odt"],
            2,
            &["invalid value 'odt'"],
        ),
        case(
            "cli: --on an impossible date",
            p,
            &["build", "plan.toml", "--issue", "5", "--on", "2024-02-30"],
            2,
            &["--on: `2024-02-30` does not exist"],
        ),
        case(
            "cli: --issue 0",
            p,
            &["build", "plan.toml", "--issue", "0", "--on", "2024-02-03"],
            2,
            &["--issue takes a positive number"],
        ),
        case(
            "cli: --manifest with png",
            p,
            &["build", "plan.toml", "--format", "png", "--manifest"],
            2,
            &["go with --format pdf"],
        ),
        case(
            "cli: --templates names a missing folder",
            p,
            &["build", "plan.toml", "--templates", "nope", "-o", "out.pdf"],
            2,
            &["nope"],
        ),
        case(
            "cli: check reports and writes nothing",
            &[("plan.toml", &line(ABBREV, r#"abrev = "UBND""#))],
            &["check", "plan.toml"],
            1,
            &["unknown key `abrev`", "plan.toml:13:1"],
        ),
        case(
            "cli: project template with a syntax error",
            &[
                ("plan.toml", MINIMAL),
                (
                    "templates/ke-hoach.typ",
                    "#import \"/nd30.typ\": *\n{{ title\n",
                ),
            ],
            BUILD,
            1,
            &["error[template-syntax]", "templates/ke-hoach.typ:2:"],
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The table tests.

#[test]
fn corpus_malformed_toml() {
    run_all("malformed toml", malformed_toml());
}

#[test]
fn corpus_wrong_types() {
    run_all("wrong types", wrong_types());
}

#[test]
fn corpus_unknown_keys() {
    run_all("unknown keys", unknown_keys());
}

#[test]
fn corpus_dates() {
    run_all("dates", dates());
}

#[test]
fn corpus_missing_keys() {
    run_all("missing keys", missing_keys());
}

#[test]
fn corpus_types_and_encodings() {
    run_all("types and encodings", types_and_encodings());
}

#[test]
fn corpus_injection() {
    run_all("injection", injection());
}

#[test]
fn corpus_template_errors() {
    run_all("template errors", template_errors());
}

#[test]
fn corpus_extends() {
    run_all("extends", extends());
}

#[test]
fn corpus_batches() {
    run_all("batches", batches());
}

#[test]
fn corpus_command_line() {
    run_all("command line", command_line());
}

/// Guards the line numbers the corpus expects, and its size.
#[test]
fn corpus_is_consistent() {
    let minimal: Vec<&str> = MINIMAL.lines().collect();
    for (text, n) in LINES {
        assert_eq!(minimal.get(n - 1), Some(text), "MINIMAL line {n}");
    }
    let all: Vec<Case> = [
        malformed_toml(),
        wrong_types(),
        unknown_keys(),
        dates(),
        missing_keys(),
        types_and_encodings(),
        injection(),
        template_errors(),
        extends(),
        batches(),
        command_line(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let names: BTreeSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "case names are unique");
    assert!(all.len() >= 60, "{} cases", all.len());
}

// ---------------------------------------------------------------------------------------------
// Cases that need code.

#[test]
fn ten_megabyte_field_is_refused_quickly() {
    let big = line(TITLE, &format!("title = \"{}\"", "a".repeat(10 << 20)));
    let c = plan(
        "10 MB title",
        &big,
        1,
        &[
            "error[too-large]",
            &format!(
                "the file is {} bytes; plans are limited to 4194304 bytes",
                big.len()
            ),
            "plan.toml",
        ],
    )
    .within(10);
    run_all("big inputs", vec![c]);
}

#[test]
fn file_size_limit_is_exact() {
    let pad = |n: usize| format!("{MINIMAL}#{}", "x".repeat(n - MINIMAL.len() - 1));
    run_all(
        "size limit",
        vec![
            plan("exactly 4 MiB builds", &pad(4 << 20), 0, &[]).within(30),
            plan(
                "4 MiB + 1 is refused",
                &pad((4 << 20) + 1),
                1,
                &["the file is 4194305 bytes; plans are limited to 4194304 bytes"],
            )
            .within(10),
        ],
    );
}

/// 10,000 sections after MINIMAL's own: vanban builds them in a few seconds (numbered up to
/// MMMMMMMMMMI.); the assertion is that it finishes, succeeds and prints the last ones.
#[test]
fn ten_thousand_sections_finish() {
    let sections: String = (1..=10_000)
        .map(|i| {
            format!(
                "[[sections]]\nid = \"s{i}\"\ntitle = \"Mục {i}\"\ntext = \"Nội dung {i}.\"\n\n"
            )
        })
        .collect();
    let text = line(SIGNER, &format!("{sections}[signer]"));
    run_all(
        "big inputs",
        vec![plan("10,000 sections", &text, 0, &[])
            .within(180)
            .shows("MMMMMMMMMM. MỤC 9999")
            .shows("MMMMMMMMMMI. MỤC 10000")
            .shows("Nội dung 10000.")],
    );
}

#[test]
fn non_utf8_bytes() {
    let latin1 = |s: &str| -> Vec<u8> {
        // Latin-1: every char below U+0100 is one byte.
        s.chars().map(|c| c as u32 as u8).collect()
    };
    let with_bytes = |name: &str, bytes: Vec<u8>, expect: &[&str]| {
        case(name, &[], BUILD, 1, expect).bytes("plan.toml", bytes)
    };
    let mut quebec = line(PLACE, "place = \"Québec\"").into_bytes();
    let at = quebec.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    quebec.splice(at..at + 2, [0xe9]);
    let utf16: Vec<u8> = MINIMAL
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut bom16 = vec![0xff, 0xfe];
    bom16.extend(utf16);
    run_all(
        "non-UTF-8",
        vec![
            with_bytes(
                "Latin-1 byte on line 14",
                quebec.clone(),
                &[
                    "error[not-utf8]",
                    "plan.toml:14:12",
                    "plan.toml",
                    "TCVN3 or VNI",
                ],
            ),
            with_bytes(
                "Latin-1 byte on line 14, as file:line:col",
                quebec,
                &["plan.toml:14:12"],
            ),
            with_bytes(
                "a Latin-1 file",
                latin1("type = \"ke-hoach\"\ntitle = \"x\"\n# café\n"),
                &["error[not-utf8]", "plan.toml:3:6"],
            ),
            with_bytes(
                "UTF-16 with BOM",
                bom16,
                &["error[not-utf8]", "plan.toml:1:1"],
            ),
            case(
                "a Latin-1 parent plan",
                &[("a.toml", "extends = \"b.toml\"\n")],
                &["build", "a.toml", "-o", "out.pdf"],
                1,
                &[
                    "cannot load the plan it extends: the file is not UTF-8 text",
                    "a.toml:1:11",
                ],
            )
            .bytes("b.toml", b"title = \"Qu\xe9bec\"\n".to_vec()),
            case(
                "a Latin-1 batch plan",
                &[("b.toml", &format!("[batch]\n{HEAD}\n{EA_TU}"))],
                BATCH_BUILD,
                1,
                &["the file is not UTF-8 text", "b.toml:2:8"],
            )
            .bytes("mau.toml", b"title = \"Qu\xe9bec\"\n".to_vec()),
        ],
    );
}

/// A destination that cannot be written: a read-only folder (skipped when running as root,
/// who can write there anyway) and /proc, which nobody can create files in.
#[test]
fn unwritable_destination() {
    let mut cases = Vec::new();
    let probe = tempfile::tempdir().unwrap();
    let ro = probe.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    set_mode(&ro, 0o555);
    let writable = std::fs::write(ro.join("probe"), "x").is_ok();
    set_mode(&ro, 0o755);
    if writable {
        eprintln!("skipped the read-only folder case: this user can write into a 0o555 folder");
    } else {
        cases.push(
            case(
                "read-only folder",
                &[("plan.toml", MINIMAL)],
                &["build", "plan.toml", "-o", "ro/x.pdf"],
                1,
                &[
                    "error[output]",
                    "cannot write ro/x.pdf: cannot create a temporary file",
                    "Permission denied",
                    "check that the folder is writable",
                ],
            )
            .setup(|root| {
                std::fs::create_dir(root.join("ro")).unwrap();
                set_mode(&root.join("ro"), 0o555);
            }),
        );
        cases.push(
            case(
                "read-only folder, new subfolder",
                &[("plan.toml", MINIMAL)],
                &["build", "plan.toml", "-o", "ro/sub/x.pdf"],
                1,
                &[
                    "cannot write ro/sub/x.pdf: cannot create the folder",
                    "Permission denied",
                ],
            )
            .setup(|root| {
                std::fs::create_dir(root.join("ro")).unwrap();
                set_mode(&root.join("ro"), 0o555);
            }),
        );
    }
    if Path::new("/proc/self").exists() && std::fs::write("/proc/vanban-probe", "x").is_err() {
        cases.push(case(
            "/proc",
            &[("plan.toml", MINIMAL)],
            &["build", "plan.toml", "-o", "/proc/vanban-corpus.pdf"],
            1,
            &[
                "error[output]",
                "cannot write /proc/vanban-corpus.pdf",
                "check that the folder is writable",
            ],
        ));
    }
    run_all("unwritable destination", cases);
    assert!(
        std::fs::read_dir("/proc")
            .map(|d| d
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().contains(".vanban-")))
            .unwrap_or(true),
        "no temporary file in /proc"
    );
}

/// A plan that cannot be read (skipped when running as root, who reads it anyway).
#[test]
fn unreadable_plan() {
    let probe = tempfile::tempdir().unwrap();
    let f = probe.path().join("p.toml");
    std::fs::write(&f, "x").unwrap();
    set_mode(&f, 0o000);
    let readable = std::fs::read(&f).is_ok();
    if readable {
        eprintln!("skipped: this user can read a 0o000 file");
        return;
    }
    run_all(
        "permissions",
        vec![
            case(
                "unreadable plan",
                &[("plan.toml", MINIMAL)],
                BUILD,
                1,
                &["error[io]", "cannot read plan.toml: permission denied"],
            )
            .setup(|root| set_mode(&root.join("plan.toml"), 0o000)),
            case(
                "unreadable parent plan",
                &[("a.toml", "extends = \"b.toml\"\n"), ("b.toml", MINIMAL)],
                &["build", "a.toml", "-o", "out.pdf"],
                1,
                &[
                    "cannot load the plan it extends: cannot read b.toml: permission denied",
                    "a.toml:1:11",
                ],
            )
            .setup(|root| set_mode(&root.join("b.toml"), 0o000)),
        ],
    );
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_p: &Path, _mode: u32) {}
