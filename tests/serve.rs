//! `vanban serve` driven in-process: the routes through `tower::ServiceExt::oneshot`, with the
//! same security layer a browser meets.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vanban::pipeline::Settings;
use vanban::serve::{router, App};

const HOST: &str = "127.0.0.1:3000";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    plan: PathBuf,
    app: Arc<App>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let plan = root.join("seed.toml");
    std::fs::copy(common::repo().join(common::SEED_PLAN), &plan).unwrap();
    let app = App::new(Settings::new(&root), &plan, 3000).unwrap();
    Fixture {
        _dir: dir,
        root,
        plan,
        app,
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn send(app: &Arc<App>, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = router(app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = format!("{:?}", resp.headers());
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

async fn get(app: &Arc<App>, uri: &str) -> (StatusCode, String) {
    let req = Request::get(uri)
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = send(app, req).await;
    (s, String::from_utf8_lossy(&b).into_owned())
}

async fn post(app: &Arc<App>, uri: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
    let req = Request::post(uri)
        .header("host", HOST)
        .header("origin", "http://127.0.0.1:3000")
        .header("x-vanban-token", app.token())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form_body(pairs)))
        .unwrap();
    let (s, _, b) = send(app, req).await;
    (s, String::from_utf8_lossy(&b).into_owned())
}

fn pages(html: &str) -> Vec<String> {
    html.split("src=\"/page/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

fn seed_text(plan: &Path) -> String {
    std::fs::read_to_string(plan).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_to_plan_to_pages() {
    let f = fixture();
    let (s, html) = get(&f.app, "/").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    let (s, html) = get(&f.app, "/edit?plan=seed.toml").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // The core fields, the sections and the recipients are in the form.
    for name in [
        "type",
        "issuer.name",
        "number",
        "date",
        "title",
        "basis",
        "sections.0.title",
        "sections.5.text",
        "closing",
        "signer.name",
        "recipients.to",
        "vars.year",
    ] {
        assert!(
            html.contains(&format!("name=\"{name}\"")),
            "no field {name}"
        );
    }
    let first = pages(&html);
    assert_eq!(first.len(), 6, "the seed plan has 6 pages");
    for id in &first {
        let (s, svg) = get(&f.app, &format!("/page/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
    }
    // An edit of the title changes page 1 only.
    let (s, html) = post(
        &f.app,
        "/update",
        &[
            ("plan", "seed.toml"),
            ("title", "Tổ chức Ngày hội đọc sách năm {{ year }}"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let second = pages(&html);
    assert_eq!(second.len(), 6);
    assert_ne!(first[0], second[0]);
    assert_eq!(first[1..], second[1..]);
    // The file itself is untouched until saved.
    assert!(seed_text(&f.plan).contains("title = \"Tổ chức Tuần lễ"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_on_page_3_changes_page_3_only() {
    let f = fixture();
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    let before = pages(&html);
    let text = seed_text(&f.plan);
    // Item 2.3 of `noi-dung-hoat-dong` (sections.2) prints on page 3 and its last line is
    // short: one more word there keeps every other line where it was.
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let section = doc["sections"][2]["text"].as_str().unwrap().to_string();
    let edited = section.replacen("cho mọi người.", "cho mọi người dân.", 1);
    assert_ne!(edited, section);
    let (s, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("sections.2.text", &edited)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let after = pages(&html);
    assert_eq!(after.len(), before.len());
    let changed: Vec<usize> = (0..after.len())
        .filter(|&i| after[i] != before[i])
        .collect();
    assert_eq!(
        changed,
        vec![2],
        "only page 3 changes: {before:?} → {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_origin_and_missing_token_are_refused() {
    let f = fixture();
    let req = |host: &str| {
        Request::get("/edit?plan=seed.toml")
            .header("host", host)
            .body(Body::empty())
            .unwrap()
    };
    // DNS rebinding: another name for this address.
    let (s, _, _) = send(&f.app, req("evil.example:3000")).await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);
    let (s, _, _) = send(&f.app, req("127.0.0.1:3001")).await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);
    let (s, _, _) = send(&f.app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST, "no Host at all");
    let body = form_body(&[("plan", "seed.toml"), ("title", "x")]);
    let mk = |origin: Option<&str>, token: Option<&str>| {
        let mut b = Request::post("/save")
            .header("host", HOST)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        if let Some(t) = token {
            b = b.header("x-vanban-token", t);
        }
        b.body(Body::from(body.clone())).unwrap()
    };
    let token = f.app.token().to_string();
    let (s, _, _) = send(&f.app, mk(Some("http://evil.example"), Some(&token))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "foreign Origin");
    let (s, _, _) = send(&f.app, mk(Some("http://127.0.0.1:3000"), None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no token");
    let (s, _, _) = send(&f.app, mk(Some("http://127.0.0.1:3000"), Some("0000"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "wrong token");
    assert!(
        seed_text(&f.plan).contains("title = \"Tổ chức Tuần lễ"),
        "nothing saved"
    );
    // Paths outside the listed plans are not served: not the root's other files, not `..`.
    std::fs::write(f.root.join("secret.txt"), "secret").unwrap();
    for uri in [
        "/edit?plan=secret.txt",
        "/edit?plan=..%2F..%2Fetc%2Fpasswd",
        "/pdf?plan=%2Fetc%2Fpasswd",
        "/secret.txt",
        "/assets/",
        "/page/..%2Fseed.toml",
    ] {
        let (s, body) = get(&f.app, uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert!(!body.contains("secret"));
    }
    // Bodies are limited.
    let big = "x".repeat(vanban::serve::BODY_LIMIT + 10);
    let (s, _) = post(&f.app, "/update", &[("plan", "seed.toml"), ("title", &big)]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_is_atomic_and_keeps_comments() {
    let f = fixture();
    let original = seed_text(&f.plan);
    let (_, _) = get(&f.app, "/edit?plan=seed.toml").await;
    let (s, body) = post(
        &f.app,
        "/save",
        &[
            ("plan", "seed.toml"),
            ("title", "Tổ chức Ngày hội đọc sách năm {{ year }}"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("Đã lưu"), "{body}");
    let saved = seed_text(&f.plan);
    assert_eq!(
        saved,
        original.replace(
            "title = \"Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}\"",
            "title = \"Tổ chức Ngày hội đọc sách năm {{ year }}\""
        ),
        "only the title line changes: comments and key order stay"
    );
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["seed.toml".to_string()]);
    // Tải PDF: the bytes `vanban build` writes for the saved file.
    let req = Request::get("/pdf?plan=seed.toml")
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let (s, _, pdf) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::OK);
    let out = f.root.join("built.pdf");
    let o = std::process::Command::new(common::bin())
        .args(["build", "seed.toml", "-o"])
        .arg(&out)
        .current_dir(&f.root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read(&out).unwrap() == pdf,
        "Tải PDF = vanban build"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_error_shows_beside_its_field() {
    let f = fixture();
    let (_, _) = get(&f.app, "/edit?plan=seed.toml").await;
    let (s, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("date", "2024-13-45")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let at = html.find("id=\"d-date\"").expect("the date's box");
    let tail = &html[at..];
    let boxed = &tail[..tail.find("</div>").unwrap()];
    assert!(boxed.contains("bad-date"), "{boxed}");
    // The last good pages stay in the preview, marked as such.
    assert!(pages(&html).is_empty());
    assert!(html.contains("bản cuối cùng không có lỗi"), "{html}");
    // A lint warning goes beside its field too (a doubled space in the title).
    let (_, html) = post(
        &f.app,
        "/update",
        &[
            ("plan", "seed.toml"),
            ("date", "{{ year }}"),
            ("title", "Tổ chức  Tuần lễ"),
        ],
    )
    .await;
    let at = html.find("id=\"d-title\"").unwrap();
    let boxed = &html[at..at + html[at..].find("</div>").unwrap()];
    assert!(boxed.contains("double-space"), "{boxed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sections_add_remove_reorder_and_derived_plans() {
    let f = fixture();
    let (_, _) = get(&f.app, "/edit?plan=seed.toml").await;
    let (s, html) = post(
        &f.app,
        "/action",
        &[
            ("plan", "seed.toml"),
            ("op", "down"),
            ("list", "sections"),
            ("index", "0"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, _) = post(
        &f.app,
        "/action",
        &[
            ("plan", "seed.toml"),
            ("op", "remove"),
            ("list", "sections"),
            ("index", "5"),
        ],
    )
    .await;
    let (_, html) = post(
        &f.app,
        "/action",
        &[
            ("plan", "seed.toml"),
            ("op", "add"),
            ("list", "sections"),
            ("index", "4"),
        ],
    )
    .await;
    assert!(html.contains("sections-moi-"), "new section in the form");
    post(&f.app, "/save", &[("plan", "seed.toml")]).await;
    let saved = seed_text(&f.plan);
    let ids: Vec<&str> = saved
        .lines()
        .filter_map(|l| l.strip_prefix("id = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert_eq!(
        ids,
        [
            "chu-de-thoi-gian",
            "muc-dich-yeu-cau",
            "noi-dung-hoat-dong",
            "to-chuc-thuc-hien",
            "kinh-phi",
            "sections-moi-6"
        ]
    );
    assert!(saved.starts_with("# Kế hoạch tổ chức Tuần lễ"));

    // A derived plan shows what it inherits and what it overrides.
    let child = f.root.join("huyen.toml");
    std::fs::write(
        &child,
        "extends = \"seed.toml\"\n# Huyện Krông Pắc\n[issuer]\nname = [\"Ủy ban nhân dân\", \"huyện Krông Pắc\"]\nplace = \"Krông Pắc\"\n",
    )
    .unwrap();
    let app = App::new(Settings::new(&f.root), &f.root, 3000).unwrap();
    assert_eq!(app.plans(), ["huyen.toml", "seed.toml"]);
    let (s, html) = get(&app, "/edit?plan=huyen.toml").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let field = |name: &str| {
        let at = html.find(&format!("id=\"w-{name}\"")).unwrap();
        html[at..at + html[at..].find("</div>").unwrap()].to_string()
    };
    assert!(
        field("issuer_place").contains("ghi đè"),
        "{}",
        field("issuer_place")
    );
    assert!(field("title").contains("kế thừa"), "{}", field("title"));
    assert!(
        field("title").contains("placeholder=\"Tổ chức Ngày")
            || field("title").contains("placeholder=\"Tổ chức Tuần")
    );
    assert_eq!(pages(&html).len(), 6, "the derived plan previews");
}

#[test]
fn findings_point_at_fields_inside_array_of_tables() {
    let text = std::fs::read_to_string(common::repo().join(common::SEED_PLAN)).unwrap();
    let file = vanban::diag::SourceFile::new("seed.toml", text.clone());
    let at = text.find("Uỷ ban Mặt trận").unwrap();
    assert_eq!(
        vanban::serve::preview::field_at(&text, &file, at),
        ["sections", "3", "text"]
    );
    let at = text.find("abbrev = ").unwrap();
    assert_eq!(
        vanban::serve::preview::field_at(&text, &file, at),
        ["issuer", "abbrev"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_in_another_editor_reach_the_browser() {
    let f = fixture();
    let (_, _) = get(&f.app, "/edit?plan=seed.toml").await;
    let req = || {
        Request::get("/poll?plan=seed.toml")
            .header("host", HOST)
            .body(Body::empty())
            .unwrap()
    };
    let (s, _, _) = send(&f.app, req()).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "nothing changed yet");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let text = seed_text(&f.plan).replace("Tuần lễ hưởng ứng", "Tuần lễ hưởng ứng (sửa ngoài)");
    std::fs::write(&f.plan, text).unwrap();
    let (s, headers, _) = send(&f.app, req()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers.contains("hx-refresh"), "{headers}");
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    assert!(
        html.contains("(sửa ngoài)"),
        "the form shows the file's new text"
    );
}

/// The page SVG as resvg rasterises it at 2 px/pt: RGBA bytes.
fn raster(svg: &str) -> (u32, u32, Vec<u8>) {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size().scale_by(2.0).unwrap();
    let mut pix = tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(2.0, 2.0),
        &mut pix.as_mut(),
    );
    (size.width(), size.height(), pix.data().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_pages_are_typst_svg_compacted_and_look_the_same() {
    let f = fixture();
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    let ids = pages(&html);
    // typst-svg's own SVG of the same pages, through the library.
    let settings = Settings::new(&f.root);
    let mut plan = vanban::plan::load(&f.plan, &f.root).unwrap();
    vanban::pipeline::apply_settings(&mut plan, &settings);
    let prepared = vanban::pipeline::prepare(&plan, &settings, "seed.toml").unwrap();
    let doc = vanban::pipeline::typeset(&vanban::typeset::Engine::new(), &prepared).unwrap();
    assert_eq!(doc.pages().len(), ids.len());
    for (i, page) in doc.pages().iter().enumerate().take(3) {
        let (_, served) = get(&f.app, &format!("/page/{}", ids[i])).await;
        let typst = typst_svg::svg(page, &typst_svg::SvgOptions::default());
        assert!(typst.matches("<use").count() > 500, "typst-svg uses <use>");
        // No <use> left: each run of text is one path.
        assert_eq!(served.matches("<use").count(), 0, "page {}", i + 1);
        assert!(served.matches("<path").count() < 400, "page {}", i + 1);
        let (w, h, a) = raster(&typst);
        let (w2, h2, b) = raster(&served);
        assert_eq!((w, h), (w2, h2));
        // Same pixels, up to anti-aliasing where two glyphs' outlines overlap or touch (one
        // path's edge is blended once, two <use>s' twice): a glyph missing or out of place would
        // differ by up to 255 over hundreds of pixels.
        let ink = a.chunks(4).filter(|p| p[3] > 0 && p[0] < 250).count();
        let off: Vec<u8> = a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y)).collect();
        let visible = off.iter().filter(|&&d| d > 24).count();
        let max = off.iter().copied().max().unwrap_or(0);
        assert!(ink > 10_000, "page {} has text", i + 1);
        assert!(
            visible * 100 < ink && max <= 96,
            "page {}: {visible} channel values differ by more than 24 over {ink} inked pixels (max {max})",
            i + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docx_button_serves_the_bytes_of_build_format_docx() {
    let f = fixture();
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    assert!(
        html.contains("href=\"/docx?plan=seed.toml\" download>Tải DOCX</a>"),
        "the toolbar has the DOCX button"
    );
    let req = Request::get("/docx?plan=seed.toml")
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let (s, headers, docx) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers.contains("wordprocessingml"), "{headers}");
    assert!(headers.contains("seed.docx"), "{headers}");
    assert!(docx.starts_with(b"PK"), "a zip");
    let out = f.root.join("built.docx");
    let o = std::process::Command::new(common::bin())
        .args(["build", "seed.toml", "--format", "docx", "-o"])
        .arg(&out)
        .current_dir(&f.root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read(&out).unwrap() == docx,
        "Tải DOCX = vanban build --format docx"
    );
    // The form's unsaved text is what is exported.
    let new_title = "Tổ chức Ngày hội đọc sách năm {{ year }}";
    post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("title", new_title)],
    )
    .await;
    let req = Request::get("/docx?plan=seed.toml")
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let (_, _, edited) = send(&f.app, req).await;
    assert_ne!(edited, docx);
    // Saved and built, the file gives the same bytes.
    post(&f.app, "/save", &[("plan", "seed.toml")]).await;
    let o = std::process::Command::new(common::bin())
        .args(["build", "seed.toml", "--format", "docx", "-o", "e.docx"])
        .current_dir(&f.root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(f.root.join("e.docx")).unwrap() == edited);
}

/// The `d-…` finding boxes a response swaps, with their content.
fn boxes(html: &str) -> Vec<(String, String)> {
    html.split("<div class=\"diag")
        .skip(1)
        .map(|b| {
            let id = b
                .split("id=\"d-")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let body = b.split_once('>').unwrap().1.split("</div>").next().unwrap();
            (id.to_string(), body.to_string())
        })
        .collect()
}

fn flagged(html: &str) -> String {
    html.split("id=\"flagged\" name=\"_flagged\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_swap_only_the_finding_boxes_that_change() {
    let f = fixture();
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    assert_eq!(flagged(&html), "", "the page starts with no box flagged");
    // The first update (the form's `load`): the seed plan's one warning (tone-mixed, in
    // sections.3.text), nothing else.
    let (_, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("_flagged", "")],
    )
    .await;
    let b = boxes(&html);
    assert_eq!(
        b.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["sections_3_text"],
        "{b:?}"
    );
    assert!(b[0].1.contains("tone-mixed"));
    assert_eq!(flagged(&html), "sections_3_text");
    // A doubled space in the title: its box is sent, flagged.
    let (_, html) = post(
        &f.app,
        "/update",
        &[
            ("plan", "seed.toml"),
            ("_flagged", "sections_3_text"),
            ("title", "Tổ chức  Tuần lễ"),
        ],
    )
    .await;
    let b = boxes(&html);
    let ids: Vec<&str> = b.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(ids, ["title", "sections_3_text"], "{b:?}");
    assert!(b[0].1.contains("double-space"));
    assert_eq!(flagged(&html), "title,sections_3_text");
    // Fixed: the title's box is sent once more, empty, then no more.
    let after = [
        ("plan", "seed.toml"),
        ("_flagged", "title,sections_3_text"),
        ("title", "Tổ chức Tuần lễ"),
    ];
    let (_, html) = post(&f.app, "/update", &after).await;
    let b = boxes(&html);
    assert_eq!(b[0], ("title".to_string(), String::new()), "{b:?}");
    assert_eq!(flagged(&html), "sections_3_text");
    let (_, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("_flagged", "sections_3_text")],
    )
    .await;
    assert_eq!(boxes(&html).len(), 1);
    // The compile's steps reach the browser as Server-Timing.
    let req = Request::post("/update")
        .header("host", HOST)
        .header("x-vanban-token", f.app.token())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&[("plan", "seed.toml")])))
        .unwrap();
    let (_, headers, _) = send(&f.app, req).await;
    for step in [
        "load;dur=",
        "lint;dur=",
        "typeset;dur=",
        "svg;dur=",
        "wait;dur=",
    ] {
        assert!(headers.contains(step), "{step}: {headers}");
    }
}

/// The ids of the entries of one `[[list]]` in a saved plan, in file order.
fn list_ids(text: &str, list: &str) -> Vec<String> {
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let mut item = doc.as_item();
    for seg in list.split('.') {
        match item.get(seg) {
            Some(i) => item = i,
            None => return Vec::new(),
        }
    }
    item.as_array_of_tables()
        .map(|a| {
            a.iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_lists_in_layout_tables_add_move_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let plan = root.join("qd.toml");
    std::fs::copy(
        common::repo().join("plans/daklak-2024/quyet-dinh-ban-hanh-ke-hoach.toml"),
        &plan,
    )
    .unwrap();
    let app = App::new(Settings::new(root), &plan, 3000).unwrap();
    let (s, html) = get(&app, "/edit?plan=qd.toml").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // The attachment's lists are inside the attachment's fieldset.
    let at = html
        .find("<legend>§ attachment</legend>")
        .expect("the attachment");
    let inside = &html[at..];
    let sections = inside.find("id=\"e-attachment_sections\"").unwrap();
    let articles = inside.find("id=\"e-attachment_articles\"").unwrap();
    // The attachment's fieldset closes after its two lists ("</fieldset></fieldset>": the
    // last list's, then its own), before the next top-level field.
    let end = inside.find("</fieldset></fieldset>").unwrap();
    assert!(articles < end && sections < end && end < inside.find("name=\"authority\"").unwrap());
    assert!(inside.contains("name=\"attachment.sections.2.title\""));
    assert!(
        !inside.contains("name=\"attachment.articles.0"),
        "no attachment articles yet"
    );
    let before = pages(&html);
    assert!(!before.is_empty());
    let act = |op: &'static str, list: &'static str, index: &'static str| {
        let app = app.clone();
        async move {
            let (s, html) = post(
                &app,
                "/action",
                &[
                    ("plan", "qd.toml"),
                    ("op", op),
                    ("list", list),
                    ("index", index),
                ],
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{html}");
            html
        }
    };
    // The first entry of a list the file does not have yet, then a second after it.
    let html = act("add", "attachment.articles", "0").await;
    assert!(
        html.contains("name=\"attachment.articles.0.text\""),
        "{html}"
    );
    let html = act("add", "attachment.articles", "0").await;
    assert!(html.contains("name=\"attachment.articles.1.id\" value=\"articles-moi-2\""));
    act("up", "attachment.articles", "1").await;
    act("down", "attachment.sections", "0").await;
    // A list no layout of this plan has is refused.
    act("add", "attachment.nothing", "0").await;
    post(&app, "/save", &[("plan", "qd.toml")]).await;
    let saved = std::fs::read_to_string(&plan).unwrap();
    assert!(saved.starts_with("# Quyết định của Chủ tịch UBND tỉnh Đắk Lắk"));
    assert!(!saved.contains("nothing"));
    assert_eq!(
        list_ids(&saved, "attachment.articles"),
        ["articles-moi-2", "articles-moi-1"]
    );
    assert_eq!(
        list_ids(&saved, "attachment.sections"),
        ["chu-de-thoi-gian", "muc-dich-yeu-cau", "to-chuc-thuc-hien"]
    );
    assert_eq!(
        list_ids(&saved, "articles"),
        ["ban-hanh", "hieu-luc", "thi-hanh"]
    );
    let html = act("remove", "attachment.articles", "0").await;
    assert!(!html.contains("name=\"attachment.articles.1.id\""));
    post(&app, "/save", &[("plan", "qd.toml")]).await;
    let saved = std::fs::read_to_string(&plan).unwrap();
    assert_eq!(list_ids(&saved, "attachment.articles"), ["articles-moi-1"]);
    // The saved file is a plan vanban builds.
    let o = std::process::Command::new(common::bin())
        .args(["check", "qd.toml"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("error[")
            && !String::from_utf8_lossy(&o.stderr).contains("error["),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptied_keys_are_removed_and_derived_overrides_inherit_again() {
    let f = fixture();
    let original = seed_text(&f.plan);
    let (_, _) = get(&f.app, "/edit?plan=seed.toml").await;
    // An optional key emptied: gone from the saved file (no `authority = ""` left in
    // [signer]), and from the plan the preview shows.
    let (_, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("signer.authority", "")],
    )
    .await;
    assert!(!pages(&html).is_empty(), "{html}");
    // A required one emptied, then typed again: it keeps its line.
    post(&f.app, "/update", &[("plan", "seed.toml"), ("title", "")]).await;
    post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("title", "Tổ chức Ngày hội")],
    )
    .await;
    post(&f.app, "/save", &[("plan", "seed.toml")]).await;
    let saved = seed_text(&f.plan);
    assert_eq!(
        saved,
        original
            .replace("authority = [\"KT. Chủ tịch\"]\n", "")
            .replace(
                "title = \"Tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}\"",
                "title = \"Tổ chức Ngày hội\""
            )
    );
    // A required key of a plan with no parent stays, empty: its error shows beside it.
    let (_, html) = post(
        &f.app,
        "/update",
        &[("plan", "seed.toml"), ("issuer.place", "")],
    )
    .await;
    let at = html.find("id=\"d-issuer_place\"").expect("the place's box");
    assert!(
        html[at..].split("</div>").next().unwrap().contains("error"),
        "{html}"
    );
    post(&f.app, "/save", &[("plan", "seed.toml")]).await;
    assert!(seed_text(&f.plan).contains("\nplace = \"\"\n"));

    // A derived plan's override emptied: the key goes, the parent's value is inherited again.
    std::fs::write(&f.plan, &original).unwrap();
    let child = f.root.join("huyen.toml");
    std::fs::write(
        &child,
        "extends = \"seed.toml\"\n# Huyện Krông Pắc\n[issuer]\nname = [\"Ủy ban nhân dân\", \"huyện Krông Pắc\"]\nplace = \"Krông Pắc\" # the district\n",
    )
    .unwrap();
    let app = App::new(Settings::new(&f.root), &child, 3000).unwrap();
    let (_, _) = get(&app, "/edit?plan=huyen.toml").await;
    post(
        &app,
        "/update",
        &[("plan", "huyen.toml"), ("issuer.place", "")],
    )
    .await;
    post(&app, "/save", &[("plan", "huyen.toml")]).await;
    assert_eq!(
        std::fs::read_to_string(&child).unwrap(),
        "extends = \"seed.toml\"\n# Huyện Krông Pắc\n[issuer]\nname = [\"Ủy ban nhân dân\", \"huyện Krông Pắc\"]\n"
    );
    let app = App::new(Settings::new(&f.root), &child, 3000).unwrap();
    let (_, html) = get(&app, "/edit?plan=huyen.toml").await;
    let at = html.find("id=\"w-issuer_place\"").unwrap();
    let field = &html[at..at + html[at..].find("</div>").unwrap()];
    assert!(
        field.contains("kế thừa") && field.contains("placeholder=\"Đắk Lắk\""),
        "{field}"
    );
}

#[test]
fn a_superseded_edit_is_given_up_before_typesetting() {
    let repo = common::repo();
    let path = repo.join(common::SEED_PLAN);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut preview =
        vanban::serve::preview::Preview::new(vanban::typeset::Engine::new(), Settings::new(&repo));
    // A newer edit waiting: no pages are made for this one (its waiters get the newer one's).
    assert!(preview.update_unless(&path, &text, &|| true).is_none());
    let o = preview.update_unless(&path, &text, &|| false).unwrap();
    assert_eq!(o.pages.map(|p| p.len()), Some(6));
    // A plan that does not load is still reported at once: there is nothing to typeset.
    let bad = text.replace("title = \"Tổ chức", "title = Tổ chức");
    let o = preview.update_unless(&path, &bad, &|| true).unwrap();
    assert!(
        o.pages.is_none() && o.findings.iter().any(|f| f.error),
        "{:?}",
        o.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_and_save_do_not_abort_an_edit_update() {
    // `hx-sync` is inherited from the form (`this:replace`): without their own, the
    // once-a-second poll and Lưu would abort an edit's update in flight.
    let f = fixture();
    let (_, html) = get(&f.app, "/edit?plan=seed.toml").await;
    let tag = |needle: &str| {
        let at = html.find(needle).unwrap();
        let start = html[..at].rfind('<').unwrap();
        html[start..at + html[at..].find('>').unwrap()].to_string()
    };
    assert!(tag("hx-get=\"/poll").contains("hx-sync=\"this:drop\""));
    assert!(tag("hx-post=\"/save\"").contains("hx-sync=\"this:drop\""));
    assert!(tag("hx-post=\"/update\"").contains("hx-sync=\"this:replace\""));
}
