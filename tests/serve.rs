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
