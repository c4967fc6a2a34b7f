//! `cargo bench --bench serve`: the server side of one keystroke in `vanban serve` — a
//! one-word edit of the seed plan through plan → Typst → the changed pages as SVG — as the
//! compile worker runs it (`vanban::serve::preview::Preview::update`). Each run types a word
//! not seen before, so no page comes from the cache by accident.

use std::path::PathBuf;
use std::time::Instant;

use vanban::pipeline::Settings;
use vanban::serve::preview::Preview;
use vanban::typeset::Engine;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = repo.join("plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut preview = Preview::new(Engine::new(), Settings::new(&repo));
    let first = preview.update(&path, &text);
    assert_eq!(
        first.pages.as_ref().map(Vec::len),
        Some(6),
        "{:?}",
        first.findings
    );
    let words = [
        "dân",
        "làng",
        "bản",
        "xã",
        "phường",
        "thôn",
        "buôn",
        "ấp",
        "khu",
        "tổ",
        "nhà",
        "trường",
        "lớp",
        "hội",
        "đoàn",
        "nhóm",
        "câu lạc bộ",
        "gia đình",
        "dòng họ",
        "cộng đồng",
        "học sinh",
        "sinh viên",
        "thanh niên",
        "phụ nữ",
        "cựu chiến binh",
    ];
    let mut times = Vec::new();
    let mut rendered = Vec::new();
    for w in words {
        let edited = text.replacen("cho mọi người.", &format!("cho mọi người {w}."), 1);
        let t = Instant::now();
        let o = preview.update(&path, &edited);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(o.pages.is_some(), "{:?}", o.findings);
        rendered.push(o.rendered);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "serve: one-word edit of the seed plan → changed pages as SVG: median {:.1} ms of {} (min {:.1}, max {:.1}); pages rendered per edit: {:?} of 6 (target ≤ 30 ms)",
        sorted[sorted.len() / 2],
        sorted.len(),
        sorted[0],
        sorted[sorted.len() - 1],
        rendered
    );
    // Of that, the page's SVG: typst-svg's, then compacted for the browser
    // (`vanban::serve::svg::compact`, one path per run of text instead of a <use> per glyph).
    let settings = Settings::new(&repo);
    let mut plan = vanban::plan::load(&path, &repo).unwrap();
    vanban::pipeline::apply_settings(&mut plan, &settings);
    let prepared = vanban::pipeline::prepare(&plan, &settings, "seed").unwrap();
    let doc = vanban::pipeline::typeset(&Engine::new(), &prepared).unwrap();
    let page = &doc.pages()[2];
    let (mut svg_ms, mut compact_ms) = (Vec::new(), Vec::new());
    let (mut before, mut after) = (0, 0);
    for _ in 0..25 {
        let t = Instant::now();
        let svg = typst_svg::svg(page, &typst_svg::SvgOptions::default());
        svg_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let small = vanban::serve::svg::compact(&svg);
        compact_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        (before, after) = (svg.len(), small.len());
    }
    svg_ms.sort_by(f64::total_cmp);
    compact_ms.sort_by(f64::total_cmp);
    println!(
        "serve: page 3 as SVG: typst-svg {:.1} ms, compacting {:.1} ms (medians of 25); {} → {} bytes",
        svg_ms[12], compact_ms[12], before, after
    );
}
