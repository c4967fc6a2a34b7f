//! Batch speed (`cargo bench --bench throughput`): the real binary against the typst CLI on the
//! same emitted Typst sources, in one run and alternating, so that the drift of a shared
//! machine hits both sides alike. Each line is the median of `VANBAN_BENCH_PAIRS` (default 5)
//! pairs with the spread (min–max) of the per-pair ratios.
//!
//! The typst CLI is `$TYPST_CLI` or `typst` on the PATH (`cargo install typst-cli --version
//! 0.15.1 --locked`), run as the issue measured it: `--font-path fonts --ignore-system-fonts`.
//! Without it the comparisons are skipped with a message and vanban's own numbers still print.
//!
//! CPU is user + system time of the child processes (`getrusage(RUSAGE_CHILDREN)`), so the
//! typsetting threads of vanban and the rayon pool of typst are both counted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vanban"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// CPU seconds of every child waited for so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

#[derive(Clone, Copy)]
struct Sample {
    cpu: f64,
    wall: f64,
}

fn measure(f: impl FnOnce()) -> Sample {
    let c = children_cpu();
    let t = Instant::now();
    f();
    Sample {
        wall: t.elapsed().as_secs_f64(),
        cpu: children_cpu() - c,
    }
}

fn run(cmd: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cmd.display()));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed: {err}",
        cmd.display()
    );
    err
}

fn vanban(args: &[&str]) -> String {
    run(&bin(), args, &[])
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn spread(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::MAX, f64::min);
    let max = v.iter().copied().fold(f64::MIN, f64::max);
    (min, max)
}

/// The typst CLI, if one of version 0.15 is installed.
fn typst_cli() -> Option<PathBuf> {
    let cli = std::env::var_os("TYPST_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("typst"));
    let out = Command::new(&cli).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && version.contains("0.15") {
        Some(cli)
    } else {
        println!(
            "typst CLI {} is {}, not 0.15: comparisons skipped",
            cli.display(),
            version.trim()
        );
        None
    }
}

/// A folder the typst CLI can compile the emitted sources in: the Decree-30 core at
/// `/nd30.typ` and the layout's Typst files under `/layout/`, as vanban's World serves them.
fn typst_root(dir: &Path, layout: &str) {
    std::fs::create_dir_all(dir.join("layout")).unwrap();
    std::fs::copy(repo().join("templates/nd30.typ"), dir.join("nd30.typ")).unwrap();
    for e in std::fs::read_dir(repo().join("templates").join(layout)).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".typ") && name != "main.typ" {
            std::fs::copy(&p, dir.join("layout").join(name)).unwrap();
        }
    }
}

fn typst_compile(cli: &Path, root: &Path, source: &Path, out: &Path) {
    run(
        cli,
        &[
            "compile",
            "--root",
            &root.to_string_lossy(),
            "--font-path",
            "fonts",
            "--ignore-system-fonts",
            &source.to_string_lossy(),
            &out.to_string_lossy(),
        ],
        &[],
    );
}

/// Runs `pairs` alternating pairs (vanban first in even pairs) and prints the ratios.
fn compare(what: &str, pairs: usize, mut ours: impl FnMut(), mut theirs: impl FnMut()) -> f64 {
    let mut v = Vec::new();
    let mut t = Vec::new();
    for i in 0..pairs {
        if i % 2 == 0 {
            v.push(measure(&mut ours));
            t.push(measure(&mut theirs));
        } else {
            t.push(measure(&mut theirs));
            v.push(measure(&mut ours));
        }
    }
    let cpu: Vec<f64> = v.iter().zip(&t).map(|(a, b)| a.cpu / b.cpu).collect();
    let wall: Vec<f64> = v.iter().zip(&t).map(|(a, b)| a.wall / b.wall).collect();
    let (c0, c1) = spread(&cpu);
    let (w0, w1) = spread(&wall);
    let ms =
        |s: &[Sample], f: fn(&Sample) -> f64| median(&s.iter().map(f).collect::<Vec<_>>()) * 1e3;
    println!(
        "{what}: CPU {:.2}× ({c0:.2}–{c1:.2}), wall {:.2}× ({w0:.2}–{w1:.2}); vanban {:.0} ms CPU / {:.0} ms wall, typst {:.0} ms CPU / {:.0} ms wall (medians of {pairs} pairs)",
        median(&cpu),
        median(&wall),
        ms(&v, |s| s.cpu),
        ms(&v, |s| s.wall),
        ms(&t, |s| s.cpu),
        ms(&t, |s| s.wall),
    );
    median(&t.iter().map(|s| s.cpu).collect::<Vec<_>>())
}

fn peak_rss(stderr: &str) -> f64 {
    stderr
        .lines()
        .find_map(|l| l.split("peak RSS ").nth(1))
        .and_then(|s| s.trim().trim_end_matches("MB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// `n` plans deriving from the seed, as next year's run of every commune would: one edition
/// (`year`), each with its own issuer, place and signer; `year = None` cycles through ten
/// editions instead.
fn derived(dir: &Path, n: usize, year: Option<i32>) {
    std::fs::create_dir_all(dir).unwrap();
    let base = repo().join("plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml");
    for i in 0..n {
        let text = format!(
            "extends = {base:?}\n[vars]\nyear = {}\n[issuer]\nname = [\"Ủy ban nhân dân\", \"xã Số {i}\"]\nplace = \"Xã Số {i}\"\n[signer]\nname = \"Người Ký {i}\"\n",
            year.unwrap_or(2020 + (i % 10) as i32)
        );
        std::fs::write(dir.join(format!("plan-{i:04}.toml")), text).unwrap();
    }
}

fn main() {
    let pairs: usize = std::env::var("VANBAN_BENCH_PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5);
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let p = |n: &str| t.join(n).to_string_lossy().into_owned();
    let seed = "plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml";
    let batch = "plans/daklak-2024/huyen.toml";
    let cli = typst_cli();
    if cli.is_none() {
        println!(
            "no typst CLI 0.15 found (install: cargo install typst-cli --version 0.15.1 --locked, \
             or set TYPST_CLI): vanban against typst skipped"
        );
    }

    // The emitted sources, compiled by typst exactly as vanban's World serves them.
    let root = t.join("typ");
    typst_root(&root, "ke-hoach");
    vanban(&["build", seed, "--format", "typ", "-o", &p("typ/seed.typ")]);
    vanban(&[
        "build",
        batch,
        "--format",
        "typ",
        "--out-dir",
        &p("typ/huyen"),
    ]);
    let mut rows: Vec<PathBuf> = std::fs::read_dir(root.join("huyen"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .collect();
    rows.sort();
    assert_eq!(rows.len(), 15, "the district batch has 15 rows");
    // Warm the file cache for both.
    vanban(&["build", seed, "-o", &p("warm.pdf")]);
    if let Some(cli) = &cli {
        typst_compile(
            cli,
            &root,
            &root.join("seed.typ"),
            &t.join("warm-typst.pdf"),
        );
    }

    // The CPU of one `typst compile` of the seed in this run: the VM's speed drifts, and a
    // time per document reads best beside it.
    let mut typst_seed_cpu = None;
    if let Some(cli) = &cli {
        typst_seed_cpu = Some(compare(
            "cold build of the seed plan (vanban build vs typst compile of its source)",
            pairs,
            || {
                vanban(&["build", seed, "-o", &p("seed.pdf")]);
            },
            || {
                typst_compile(
                    cli,
                    &root,
                    &root.join("seed.typ"),
                    &t.join("seed-typst.pdf"),
                )
            },
        ));
        compare(
            "15-district batch (one vanban process vs 15 typst compile runs)",
            pairs,
            || {
                vanban(&["build", batch, "--out-dir", &p("huyen")]);
            },
            || {
                for r in &rows {
                    typst_compile(cli, &root, r, &r.with_extension("pdf"));
                }
            },
        );
    } else {
        let s: Vec<f64> = (0..pairs)
            .map(|_| measure(|| drop(vanban(&["build", seed, "-o", &p("seed.pdf")]))).cpu)
            .collect();
        println!(
            "cold build of the seed plan: {:.0} ms CPU (median of {pairs})",
            median(&s) * 1e3
        );
    }

    // 1,000 derived plans: CPU per document and peak RSS, one worker and two.
    for (name, year) in [("one edition", Some(2025)), ("ten editions mixed", None)] {
        let dir = t.join(format!("derived-{}", year.unwrap_or(0)));
        derived(&dir, 1000, year);
        let dir = dir.to_string_lossy().into_owned();
        let runs = if year.is_some() { pairs } else { 1 };
        let mut cpu = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..runs {
            let (s, mb) = build_folder(&dir, &p("d1"), "1");
            cpu.push(s.cpu * 1e3 / 1000.0);
            rss.push(mb);
        }
        let (c0, c1) = spread(&cpu);
        let (r0, r1) = spread(&rss);
        let against = typst_seed_cpu
            .map(|t| {
                format!(
                    "; one typst compile of the seed took {:.0} ms CPU in this run",
                    t * 1e3
                )
            })
            .unwrap_or_default();
        println!(
            "1,000 derived plans, {name}, 1 worker: {:.1} ms CPU per document ({c0:.1}–{c1:.1}), peak RSS {:.0} MB ({r0:.0}–{r1:.0}), {runs} run(s){against}",
            median(&cpu),
            median(&rss)
        );
    }
    let (s, mb) = build_folder(&p("derived-2025"), &p("d2"), "2");
    println!(
        "1,000 derived plans, one edition, 2 workers: {:.1} ms wall per document, {:.1} ms CPU, peak RSS {:.0} MB",
        s.wall * 1e3 / 1000.0,
        s.cpu * 1e3 / 1000.0,
        mb
    );
}

/// `vanban build DIR -j JOBS`: its time and the peak RSS it reports (MB).
fn build_folder(dir: &str, out: &str, jobs: &str) -> (Sample, f64) {
    let mut err = String::new();
    let s = measure(|| {
        err = run(
            &bin(),
            &["build", dir, "--root", "/", "--out-dir", out, "-j", jobs],
            &[("VANBAN_REPORT_RSS", "1")],
        );
    });
    (s, peak_rss(&err))
}
