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
}
