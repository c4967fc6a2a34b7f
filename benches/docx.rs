//! Word benchmark (`cargo bench --bench docx`): per document, in process, for every example
//! plan: the .docx export (templating and zip, from the prepared document) and the import of
//! that .docx back into a plan draft. Medians of 20 runs.

use std::path::PathBuf;
use std::time::Instant;

use vanban::layout::Layouts;
use vanban::pipeline::{self, Settings};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings::new(&repo);
    let layouts = Layouts::default();
    let mut plans: Vec<PathBuf> = std::fs::read_dir(repo.join("plans/daklak-2024"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !std::fs::read_to_string(p).unwrap().contains("\n[batch]")
        })
        .collect();
    plans.sort();
    let (mut exports, mut imports) = (Vec::new(), Vec::new());
    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "plan", "export ms", "import ms", "KB"
    );
    for p in &plans {
        let plan = vanban::plan::load(p, &repo).unwrap();
        let prepared = pipeline::prepare(&plan, &settings, "bench").unwrap();
        let (mut e, mut i) = (Vec::new(), Vec::new());
        let mut size = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let bytes = vanban::docx::export::docx(
                &prepared.doc,
                &prepared.layout_name,
                settings.templates.clone(),
            )
            .unwrap();
            e.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let _ = vanban::docx::import::import(&bytes, &layouts).unwrap();
            i.push(t.elapsed().as_secs_f64() * 1000.0);
            size = bytes.len();
        }
        let (me, mi) = (median(e), median(i));
        println!(
            "{:<34} {:>10.2} {:>10.2} {:>8.1}",
            p.file_stem().unwrap().to_string_lossy(),
            me,
            mi,
            size as f64 / 1024.0
        );
        exports.push(me);
        imports.push(mi);
    }
    println!(
        "median over {} plans: export {:.2} ms, import {:.2} ms per document",
        plans.len(),
        median(exports),
        median(imports)
    );
}
