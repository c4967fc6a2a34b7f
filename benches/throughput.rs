//! Throughput benchmark (`cargo bench --bench throughput`): the real binary, as users run it.
//!
//! Measures: a cold single build of the seed plan; the 15-district batch against 15 separate
//! runs; 1,000 generated derived plans with 1 and 2 worker threads (documents per second,
//! peak RSS reported by vanban itself from /proc/self/status).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vanban"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> (f64, String) {
    let t = Instant::now();
    let out = Command::new(bin())
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(repo())
        .output()
        .expect("run vanban");
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "vanban {args:?} failed: {err}");
    (secs, err)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn peak_rss(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.split("peak RSS ").nth(1))
        .unwrap_or("?")
        .trim()
        .to_string()
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = |n: &str| t.join(n).to_string_lossy().into_owned();
    let seed = "plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml";

    // Warm the file cache once.
    run(&["build", seed, "-o", &out("warm.pdf")], &[]);

    let cold: Vec<f64> = (0..21)
        .map(|_| run(&["build", seed, "-o", &out("seed.pdf")], &[]).0)
        .collect();
    println!(
        "cold single build of the seed plan: median {:.1} ms of 21 (min {:.1} ms)",
        median(cold.clone()) * 1e3,
        cold.iter().cloned().fold(f64::MAX, f64::min) * 1e3
    );

    // 15-district batch in one process vs 15 processes of one row each.
    let batch: Vec<f64> = (0..5)
        .map(|_| {
            run(
                &[
                    "build",
                    "plans/daklak-2024/huyen.toml",
                    "--out-dir",
                    &out("huyen"),
                ],
                &[],
            )
            .0
        })
        .collect();
    let rows = split_batch(&repo().join("plans/daklak-2024/huyen.toml"), t);
    let separate: Vec<f64> = (0..5)
        .map(|_| {
            rows.iter()
                .map(|r| {
                    run(
                        &[
                            "build",
                            r.to_str().unwrap(),
                            "--root",
                            "/",
                            "-o",
                            &out("one.pdf"),
                        ],
                        &[],
                    )
                    .0
                })
                .sum()
        })
        .collect();
    let (b, s) = (median(batch), median(separate));
    println!(
        "15-district batch: {:.0} ms in one process, {:.0} ms as 15 separate runs: {:.2}×",
        b * 1e3,
        s * 1e3,
        b / s
    );

    // 1,000 derived plans.
    let dir = t.join("derived");
    std::fs::create_dir_all(&dir).unwrap();
    let base = repo().join(seed);
    for i in 0..1000 {
        let text = format!(
            "extends = {base:?}\n[vars]\nyear = {}\n[issuer]\nname = [\"Ủy ban nhân dân\", \"xã Số {i}\"]\nplace = \"Xã Số {i}\"\n[signer]\nname = \"Người Ký {i}\"\n",
            2020 + i % 10
        );
        std::fs::write(dir.join(format!("plan-{i:04}.toml")), text).unwrap();
    }
    let dir_s = dir.to_string_lossy().into_owned();
    let mut per_thread = Vec::new();
    for jobs in ["1", "2"] {
        let (secs, err) = run(
            &[
                "build",
                &dir_s,
                "--root",
                "/",
                "--out-dir",
                &out(&format!("d{jobs}")),
                "-j",
                jobs,
            ],
            &[("VANBAN_REPORT_RSS", "1"), ("RAYON_NUM_THREADS", jobs)],
        );
        println!(
            "1,000 derived plans, {jobs} thread(s): {secs:.2} s, {:.1} ms/document, {:.0} documents/s, peak RSS {}",
            secs * 1e3 / 1000.0,
            1000.0 / secs,
            peak_rss(&err)
        );
        per_thread.push(secs);
    }
    println!(
        "speed-up of 2 threads over 1: {:.2}×",
        per_thread[0] / per_thread[1]
    );
}

/// One single-row batch file per row of a batch, pointing at the same base plan.
fn split_batch(batch: &Path, dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(batch).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let b = table["batch"].as_table().unwrap();
    let plan = batch.parent().unwrap().join(b["plan"].as_str().unwrap());
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut t = toml::Table::new();
            let mut bt = toml::Table::new();
            bt.insert(
                "plan".into(),
                toml::Value::String(plan.to_string_lossy().into_owned()),
            );
            bt.insert("rows".into(), toml::Value::Array(vec![row.clone()]));
            t.insert("batch".into(), toml::Value::Table(bt));
            let p = dir.join(format!("row-{i}.toml"));
            std::fs::write(&p, toml::to_string(&t).unwrap()).unwrap();
            p
        })
        .collect()
}
