//! `vanban serve`: a local editor in the browser with the live Decree-30 preview.
//!
//! axum on tokio, bound to 127.0.0.1 only. The pages are HTML rendered here, updated with
//! htmx (vendored, served from the binary: the editor makes no request anywhere else). Edits
//! go to one compile worker on its own thread; the latest edit wins. Each page of the preview
//! is an SVG at an immutable URL named by the hash of its content, so the browser reloads only
//! the pages an edit changed.

pub mod form;
pub mod preview;
pub mod svg;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use toml_edit::DocumentMut;

use crate::pipeline::Settings;
use crate::typeset::Engine;
use form::{esc, html_id, Entries, FKind, Field};
use preview::{Finding, Outcome, PageStore, Preview};

const HTMX: &str = include_str!("../../assets/htmx.min.js");
const CSS: &str = include_str!("../../assets/serve.css");
const FONT: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");
/// Request bodies above this are refused (plans are limited to 4 MiB, the form is smaller).
pub const BODY_LIMIT: usize = 4 << 20;
/// The first port tried, and the last of the range when `--port` is not given.
pub const PORTS: std::ops::RangeInclusive<u16> = 3000..=3005;

static RUNNING: AtomicBool = AtomicBool::new(false);
static STOP: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Asks a running server to stop (the binary's Ctrl-C handler calls this). Returns false when
/// no server runs, so the caller handles the signal itself.
pub fn request_shutdown() -> bool {
    if RUNNING.load(Ordering::SeqCst) {
        STOP.notify_one();
        true
    } else {
        false
    }
}

/// One plan being edited.
struct Session {
    path: PathBuf,
    doc: DocumentMut,
    /// The text last read from or written to disk, and that file's mtime.
    disk: String,
    mtime: Option<SystemTime>,
    fields: Vec<Field>,
    /// The plans it extends, nearest first: (file name, document).
    parents: Vec<(String, DocumentMut)>,
    last_pages: Vec<String>,
    /// Fields the user emptied: their keys are left out of what is compiled and saved
    /// ([`form::strip_cleared`]), but stay in `doc` while editing so retyping keeps their place.
    cleared: std::collections::BTreeSet<String>,
}

impl Session {
    /// The plan as compiled, exported and saved: `doc` without the keys the user emptied.
    fn plan(&self) -> DocumentMut {
        let parents = &self.parents;
        // A derived plan's key (not one inside a list: entries merge by id) comes back from
        // its parents when emptied here.
        let inherited = |path: &str| {
            !path.split('.').any(|x| x.parse::<usize>().is_ok())
                && parents.iter().any(|(_, d)| form::get(d, path).is_some())
        };
        form::strip_cleared(&self.doc, &self.fields, &self.cleared, &inherited)
    }

    /// Makes the removals of emptied keys part of `doc` (before a list operation moves the
    /// fields, and on save).
    fn settle(&mut self) {
        if !self.cleared.is_empty() {
            self.doc = self.plan();
            self.cleared.clear();
        }
    }
}

/// The compile worker: one job slot, the newest job replaces a waiting one.
struct Worker {
    slot: Mutex<Option<(u64, PathBuf, String)>>,
    wake: Condvar,
    done: tokio::sync::watch::Sender<(u64, Arc<Outcome>)>,
    next: AtomicU64,
}

pub struct App {
    root: PathBuf,
    plans: Vec<String>,
    hosts: Vec<String>,
    origins: Vec<String>,
    token: String,
    settings: Settings,
    sessions: Mutex<HashMap<String, Session>>,
    worker: Arc<Worker>,
    pages: PageStore,
    pdf: Mutex<Preview>,
}

/// What to serve.
pub struct Config {
    pub settings: Settings,
    /// A plan file or a folder of plans (default: the root).
    pub target: Option<PathBuf>,
    pub port: Option<u16>,
    pub open: bool,
}

fn random_token() -> String {
    use std::io::Read as _;
    let mut b = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !ok {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        b = (t ^ (std::process::id() as u128) << 64).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl App {
    /// The app for `target` (a plan or a folder inside the root), answering as `port`.
    pub fn new(settings: Settings, target: &Path, port: u16) -> Result<Arc<App>, String> {
        let root = crate::plan::absolute(&settings.root);
        let target = crate::plan::absolute(target);
        if !crate::plan::inside_root(&target, &root) {
            return Err(format!(
                "{} is outside the project root {}; pass --root DIR",
                target.display(),
                root.display()
            ));
        }
        let mut plans = Vec::new();
        if target.is_file() {
            plans.push(target.clone());
        } else if target.is_dir() {
            let mut dirs = vec![target.clone()];
            while let Some(d) = dirs.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') || name == "target" || name == "templates" {
                        continue;
                    }
                    if p.is_dir()
                        && p.strip_prefix(&target)
                            .map_or(0, |r| r.components().count())
                            < 3
                    {
                        dirs.push(p);
                    } else if name.ends_with(".toml")
                        && name != "Cargo.toml"
                        && crate::plan::inside_root(&p, &root)
                        && std::fs::read_to_string(&p).is_ok_and(|t| !t.contains("[batch]"))
                    {
                        plans.push(p);
                    }
                }
            }
        } else {
            return Err(format!("{}: no such plan or folder", target.display()));
        }
        plans.sort();
        let plans = plans
            .iter()
            .filter_map(|p| p.strip_prefix(&root).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let engine = Engine::new();
        let mut preview = Preview::new(engine.clone(), settings.clone());
        let pages = preview.store.clone();
        let (done, _) = tokio::sync::watch::channel((0, Arc::new(Outcome::default())));
        let worker = Arc::new(Worker {
            slot: Mutex::new(None),
            wake: Condvar::new(),
            done,
            next: AtomicU64::new(1),
        });
        let w = worker.clone();
        std::thread::Builder::new()
            .name("vanban-preview".into())
            .stack_size(64 << 20)
            .spawn(move || loop {
                let (gen, path, text) = {
                    let mut slot = w.slot.lock().unwrap_or_else(|e| e.into_inner());
                    loop {
                        if let Some(job) = slot.take() {
                            break job;
                        }
                        slot = w.wake.wait(slot).unwrap_or_else(|e| e.into_inner());
                    }
                };
                // A newer edit waiting in the slot supersedes this one: its waiters get the
                // newer outcome (they wait for any generation at least theirs).
                let newer = || w.slot.lock().unwrap_or_else(|e| e.into_inner()).is_some();
                if let Some(outcome) = preview.update_unless(&path, &text, &newer) {
                    w.done.send_replace((gen, Arc::new(outcome)));
                }
            })
            .map_err(|e| format!("cannot start the preview thread: {e}"))?;
        let pdf = Preview::new(engine, settings.clone());
        Ok(Arc::new(App {
            root,
            plans,
            hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            origins: vec![
                format!("http://127.0.0.1:{port}"),
                format!("http://localhost:{port}"),
            ],
            token: random_token(),
            settings,
            sessions: Mutex::new(HashMap::new()),
            worker,
            pages,
            pdf: Mutex::new(pdf),
        }))
    }

    /// The per-run token state-changing requests carry (`X-Vanban-Token`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The plans offered, relative to the root.
    pub fn plans(&self) -> &[String] {
        &self.plans
    }

    fn path_of(&self, rel: &str) -> Option<PathBuf> {
        // Only the plans listed at start are opened: nothing else under (or outside) the root.
        self.plans
            .iter()
            .find(|p| *p == rel)
            .map(|p| self.root.join(p))
    }

    fn with_session<T>(&self, rel: &str, f: impl FnOnce(&mut Session) -> T) -> Result<T, Response> {
        let path = self
            .path_of(rel)
            .ok_or_else(|| (StatusCode::NOT_FOUND, "no such plan").into_response())?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if !sessions.contains_key(rel) {
            let s = self
                .open(&path)
                .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e).into_response())?;
            sessions.insert(rel.to_string(), s);
        }
        let s = sessions.get_mut(rel).expect("inserted above");
        Ok(f(s))
    }

    fn open(&self, path: &Path) -> Result<Session, String> {
        let bytes = crate::plan::read_limited_bytes(path).map_err(|d| d.message)?;
        let text = String::from_utf8(bytes).map_err(|_| "the plan is not UTF-8".to_string())?;
        let text = crate::vietnamese::nfc(text.strip_prefix('\u{feff}').unwrap_or(&text));
        let doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let mut s = Session {
            path: path.to_path_buf(),
            parents: self.parents(path, &doc),
            doc,
            disk: text,
            mtime,
            fields: Vec::new(),
            last_pages: Vec::new(),
            cleared: Default::default(),
        };
        s.fields = self.fields(&s).0;
        Ok(s)
    }

    /// The `extends` chain as editable documents, nearest first (for the inherited values).
    fn parents(&self, path: &Path, doc: &DocumentMut) -> Vec<(String, DocumentMut)> {
        let mut out = Vec::new();
        let mut base = path.to_path_buf();
        let mut ext = doc
            .get("extends")
            .and_then(|i| i.as_str())
            .map(str::to_string);
        while let Some(e) = ext.take() {
            let p = crate::plan::normalize(&base.parent().unwrap_or(Path::new("/")).join(&e));
            if out.len() > 32 || !crate::plan::inside_root(&p, &self.root) {
                break;
            }
            let Ok(d) = crate::plan::read_limited(&p).map(|t| t.parse::<DocumentMut>()) else {
                break;
            };
            let Ok(d) = d else { break };
            ext = d
                .get("extends")
                .and_then(|i| i.as_str())
                .map(str::to_string);
            let name = p
                .strip_prefix(&self.root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, d));
            base = p;
        }
        out
    }

    fn layout_for(&self, s: &Session) -> Option<Arc<crate::layout::Layout>> {
        let layouts = self.settings.layouts().ok()?;
        let t = std::iter::once(&s.doc)
            .chain(s.parents.iter().map(|(_, d)| d))
            .find_map(|d| d.get("type").and_then(|i| i.as_str()).map(str::to_string))
            .unwrap_or_else(|| "ke-hoach".into());
        layouts
            .for_type(t.trim())
            .or_else(|| layouts.for_type("ke-hoach"))
            .cloned()
    }

    fn fields(&self, s: &Session) -> (Vec<Field>, Vec<Entries>) {
        let Some(layout) = self.layout_for(s) else {
            return (Vec::new(), Vec::new());
        };
        let types: Vec<String> = crate::doctype::TYPES
            .iter()
            .map(|t| t.key.to_string())
            .collect();
        let (mut fields, entries) = form::fields(&layout, &types, &s.doc);
        for e in &entries {
            fields.extend(form::entry_fields(e, form::count(&s.doc, &e.path)));
        }
        (fields, entries)
    }

    fn submit(&self, path: PathBuf, text: String) -> u64 {
        let gen = self.worker.next.fetch_add(1, Ordering::SeqCst);
        *self.worker.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((gen, path, text));
        self.worker.wake.notify_one();
        gen
    }

    async fn compile(&self, path: PathBuf, text: String) -> Arc<Outcome> {
        let mut rx = self.worker.done.subscribe();
        let gen = self.submit(path, text);
        let got = rx.wait_for(|(g, _)| *g >= gen).await.map(|v| v.1.clone());
        got.unwrap_or_default()
    }
}

/// The routes, with the security layer: Host and Origin checked, the token required for every
/// state-changing request, bodies limited.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/edit", get(edit))
        .route("/update", post(update))
        .route("/action", post(action))
        .route("/save", post(save))
        .route("/pdf", get(pdf))
        .route("/docx", get(docx))
        .route("/poll", get(poll))
        .route("/page/{id}", get(page))
        .route(
            "/assets/htmx.min.js",
            get(|| async { asset(HTMX.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/serve.css",
            get(|| async { asset(CSS.as_bytes(), "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/serif.ttf",
            get(|| async { asset(FONT, "font/ttf") }),
        )
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

fn asset(bytes: &'static [u8], mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !app.hosts.iter().any(|a| a == host) {
        return (StatusCode::MISDIRECTED_REQUEST, "unexpected Host").into_response();
    }
    if let Some(origin) = h.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !app.origins.iter().any(|o| o == origin) {
            return (StatusCode::FORBIDDEN, "foreign Origin").into_response();
        }
    }
    if h.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return (StatusCode::FORBIDDEN, "cross-site request").into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let token = h.get("x-vanban-token").and_then(|v| v.to_str().ok());
        if token != Some(app.token.as_str()) {
            return (StatusCode::FORBIDDEN, "missing or wrong token").into_response();
        }
    }
    let mut resp = next.run(req).await;
    let hs = resp.headers_mut();
    hs.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    hs.insert("x-frame-options", HeaderValue::from_static("DENY"));
    hs.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    hs.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}

#[derive(serde::Deserialize)]
struct PlanQuery {
    plan: String,
}

async fn index(State(app): State<Arc<App>>) -> Response {
    if let [one] = app.plans() {
        return axum::response::Redirect::to(&format!("/edit?plan={}", url_encode(one)))
            .into_response();
    }
    let mut body = String::from("<h1>vanban serve</h1><ul class=\"plans\">");
    for p in app.plans() {
        body.push_str(&format!(
            "<li><a href=\"/edit?plan={}\">{}</a></li>",
            esc(&url_encode(p)),
            esc(p)
        ));
    }
    body.push_str("</ul>");
    Html(page_shell("vanban serve", &app.token, &body)).into_response()
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn page_shell(title: &str, token: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title>\
<meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/assets/serve.css\">\
<script src=\"/assets/htmx.min.js\"></script>\
<meta name=\"htmx-config\" content='{{\"includeIndicatorStyles\":false,\"allowEval\":false}}'></head>\
<body hx-headers='{{\"X-Vanban-Token\":\"{}\"}}'>{}</body></html>",
        esc(title),
        esc(token),
        body
    )
}

async fn edit(State(app): State<Arc<App>>, Query(q): Query<PlanQuery>) -> Response {
    let (html, path, text) = match app.with_session(&q.plan, |s| {
        (
            editor_html(&app, &q.plan, s),
            s.path.clone(),
            s.plan().to_string(),
        )
    }) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let outcome = app.compile(path, text).await;
    // The findings arrive with the form's first update (its `load` trigger).
    let (preview, _) = app
        .with_session(&q.plan, |s| preview_html(s, &outcome, ""))
        .unwrap_or_default();
    let body = format!(
        "<main><section id=\"editor\">{html}</section><section id=\"preview\" aria-label=\"Xem trước\">{preview}</section></main>{}",
        flagged_html(&[], false)
    );
    Html(page_shell(&q.plan, &app.token, &body)).into_response()
}

/// The form (with its toolbar) for a plan.
fn editor_html(app: &App, rel: &str, s: &mut Session) -> String {
    let (fields, entries) = app.fields(s);
    s.fields = fields.clone();
    let mut out = String::new();
    let enc = esc(&url_encode(rel));
    // `hx-sync` is inherited: the form's `this:replace` (a newer edit aborts the request of an
    // older one) would let the once-a-second poll and Lưu, which sit inside the form, abort an
    // edit's update, and the preview then missed that edit; they sync on themselves.
    out.push_str(&format!(
        "<form id=\"plan\" hx-post=\"/update\" hx-trigger=\"load, input delay:10ms, change\" hx-swap=\"none\" hx-include=\"#shown, #flagged\" hx-sync=\"this:replace\">\
<input type=\"hidden\" name=\"plan\" value=\"{}\">\
<div class=\"toolbar\"><strong>{}</strong> \
<button type=\"button\" id=\"save\" hx-post=\"/save\" hx-target=\"#status\" hx-swap=\"innerHTML\" hx-sync=\"this:drop\">Lưu</button> \
<a id=\"pdf\" href=\"/pdf?plan={enc}\" download>Tải PDF</a> \
<a id=\"docx\" href=\"/docx?plan={enc}\" download>Tải DOCX</a> <span id=\"status\" role=\"status\"></span>\
<span hx-get=\"/poll?plan={enc}\" hx-trigger=\"every 1s\" hx-target=\"#status\" hx-swap=\"innerHTML\" hx-sync=\"this:drop\"></span></div>",
        esc(rel),
        esc(rel)
    ));
    if let Some(ext) = s.doc.get("extends").and_then(|i| i.as_str()) {
        out.push_str(&format!(
            "<p class=\"derived\">Kế hoạch dẫn xuất: <code>extends = \"{}\"</code>. Ô trống <span class=\"badge inh\">kế thừa</span> lấy giá trị của văn bản gốc (hiện mờ); ô <span class=\"badge over\">ghi đè</span> thay giá trị đó.</p>",
            esc(ext)
        ));
    }
    out.push_str("<div class=\"diag general\" id=\"d-general\"></div>");
    let parents = &s.parents;
    let inherit = |path: &str, kind: &FKind| -> Option<(String, String)> {
        parents.iter().find_map(|(name, d)| {
            form::get(d, path).map(|i| (name.clone(), form::display(Some(&i), kind)))
        })
    };
    let entry_paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut entries_done = Vec::new();
    for f in &fields {
        // An entry list goes where its first field would be.
        if let Some(e) = entries.iter().find(|e| {
            f.path.starts_with(&format!("{}.", e.path))
                || (f.path == "closing" && e.path == "sections")
                || (f.path == "signer.authority" && e.path == "appendices")
        }) {
            if !entries_done.contains(&e.path) {
                entries_done.push(e.path.clone());
                render_entries(&mut out, e, &s.doc, &fields, parents, &inherit);
            }
        }
        if entry_paths
            .iter()
            .any(|p| f.path.starts_with(&format!("{p}.")))
        {
            continue;
        }
        // A table's lists (`attachment.articles`) go inside its fieldset, before it closes.
        if f.doc.starts_with('\u{1}') {
            for e in entries
                .iter()
                .filter(|e| e.path.starts_with(&format!("{}.", f.path)))
            {
                if !entries_done.contains(&e.path) {
                    entries_done.push(e.path.clone());
                    render_entries(&mut out, e, &s.doc, &fields, parents, &inherit);
                }
            }
        }
        form::render_field(&mut out, f, &s.doc, &inherit);
    }
    for e in &entries {
        if !entries_done.contains(&e.path) {
            render_entries(&mut out, e, &s.doc, &fields, parents, &inherit);
        }
    }
    out.push_str("</form>");
    out
}

fn render_entries(
    out: &mut String,
    e: &Entries,
    doc: &DocumentMut,
    fields: &[Field],
    parents: &[(String, DocumentMut)],
    inherit: form::Inherit,
) {
    let n = form::count(doc, &e.path);
    out.push_str(&format!(
        "<fieldset class=\"entries\" id=\"e-{}\"><legend>{}</legend>",
        html_id(&e.path),
        esc(&e.label)
    ));
    let inherited: Vec<String> = parents
        .iter()
        .flat_map(|(name, d)| {
            let k = form::count(d, &e.path);
            (0..k).filter_map(move |i| {
                form::get(d, &format!("{}.{i}.id", e.path))
                    .and_then(|v| v.as_str().map(|s| format!("{s} ({name})")))
            })
        })
        .collect();
    if !inherited.is_empty() {
        out.push_str(&format!(
            "<p class=\"doc\"><span class=\"badge inh\">kế thừa</span> {}; một mục cùng <code>id</code> ở đây ghi đè mục đó.</p>",
            esc(&inherited.join(", "))
        ));
    }
    let op = |op: &str, i: usize, label: &str, title: &str| {
        format!(
            "<button type=\"button\" class=\"op\" title=\"{title}\" hx-post=\"/action\" hx-target=\"#editor\" hx-swap=\"innerHTML\" hx-vals='{{\"op\":\"{op}\",\"list\":\"{}\",\"index\":\"{i}\"}}'>{label}</button>",
            esc(&e.path)
        )
    };
    for i in 0..n {
        out.push_str(&format!(
            "<div class=\"entry\"><div class=\"entry-ops\">#{} {}{}{}</div>",
            i + 1,
            op("up", i, "↑", "lên"),
            op("down", i, "↓", "xuống"),
            op("remove", i, "✕", "xóa")
        ));
        let prefix = format!("{}.{i}.", e.path);
        for f in fields.iter().filter(|f| f.path.starts_with(&prefix)) {
            form::render_field(out, f, doc, inherit);
        }
        out.push_str("</div>");
    }
    out.push_str(&op("add", n.saturating_sub(1), "+ Thêm", "thêm mục"));
    out.push_str("</fieldset>");
}

/// The preview pages (or the last good ones) and, out of band, the findings of the fields.
/// Only the boxes that show findings now or did before (`flagged`, the ids the browser sends
/// back from `#flagged`) are sent: swapping all ~60 boxes on every keystroke cost the browser
/// more than the change itself.
fn preview_html(s: &mut Session, o: &Outcome, flagged: &str) -> (String, String) {
    let mut out = String::new();
    if let Some(p) = &o.pages {
        s.last_pages = p.clone();
    }
    let stale = o.pages.is_none() && !s.last_pages.is_empty();
    out.push_str(&stale_html(stale, false));
    out.push_str(&shown_html(&s.last_pages, false));
    for (i, id) in s.last_pages.iter().enumerate() {
        out.push_str(&img_html(i, id, false));
    }
    let pages = std::mem::take(&mut out);
    // Findings beside their fields: the deepest field the finding's path starts with.
    let mut by_field: HashMap<String, Vec<&Finding>> = HashMap::new();
    for f in &o.findings {
        let mut key = "general".to_string();
        for n in (1..=f.field.len()).rev() {
            let p = f.field[..n].join(".");
            if s.fields.iter().any(|x| x.path == p && !form::is_marker(x)) {
                key = p;
                break;
            }
        }
        by_field.entry(key).or_default().push(f);
    }
    let mut ids: Vec<String> = s
        .fields
        .iter()
        .filter(|f| !form::is_marker(f))
        .map(|f| f.path.clone())
        .collect();
    ids.push("general".into());
    ids.dedup();
    let before: Vec<&str> = flagged.split(',').filter(|x| !x.is_empty()).collect();
    let mut now = Vec::new();
    for p in ids {
        let list = by_field.get(&p).map(Vec::as_slice).unwrap_or(&[]);
        let id = html_id(&p);
        if list.is_empty() && !before.contains(&id.as_str()) {
            continue;
        }
        if !list.is_empty() {
            now.push(id.clone());
        }
        let cls = if p == "general" {
            "diag general"
        } else {
            "diag"
        };
        let attr = " hx-swap-oob=\"true\"";
        out.push_str(&format!("<div class=\"{cls}\" id=\"d-{id}\"{attr}>"));
        for f in list {
            out.push_str(&format!(
                "<p class=\"{}\" data-code=\"{}\"><b>{}[{}]</b> {}{}{}</p>",
                if f.error { "error" } else { "warning" },
                f.code,
                if f.error { "lỗi" } else { "cảnh báo" },
                f.code,
                esc(&f.message),
                f.hint
                    .as_ref()
                    .map(|h| format!("<br><i>{}</i>", esc(h)))
                    .unwrap_or_default(),
                f.position
                    .as_ref()
                    .map(|p| format!(" <small>{}</small>", esc(p)))
                    .unwrap_or_default(),
            ));
        }
        out.push_str("</div>");
    }
    out.push_str(&flagged_html(&now, true));
    (pages, out)
}

/// The field ids whose boxes show findings, sent back with every update (`hx-include`).
fn flagged_html(ids: &[String], oob: bool) -> String {
    format!(
        "<input type=\"hidden\" id=\"flagged\" name=\"_flagged\" value=\"{}\"{}>",
        esc(&ids.join(",")),
        if oob { " hx-swap-oob=\"true\"" } else { "" }
    )
}

fn stale_html(stale: bool, oob: bool) -> String {
    format!(
        "<p id=\"stale\" class=\"stale\"{}>{}</p>",
        if oob { " hx-swap-oob=\"true\"" } else { "" },
        if stale {
            "Bản xem trước là bản cuối cùng không có lỗi."
        } else {
            ""
        }
    )
}

/// What the browser shows, sent back with every update (`hx-include`), so a response swaps
/// only the pages that differ from what is on screen.
fn shown_html(pages: &[String], oob: bool) -> String {
    format!(
        "<input type=\"hidden\" id=\"shown\" name=\"shown\" value=\"{}\"{}>",
        esc(&pages.join(",")),
        if oob { " hx-swap-oob=\"true\"" } else { "" }
    )
}

fn img_html(i: usize, id: &str, oob: bool) -> String {
    format!(
        "<img class=\"page\" id=\"page-{}\" src=\"/page/{}.svg\" alt=\"Trang {}\"{}>",
        i + 1,
        esc(id),
        i + 1,
        if oob { " hx-swap-oob=\"true\"" } else { "" }
    )
}

/// The out-of-band swaps that bring the browser from the pages it shows to the new ones.
fn page_swaps(shown: &str, o: &Outcome, full: &str) -> String {
    let shown: Vec<&str> = shown.split(',').filter(|x| !x.is_empty()).collect();
    let Some(new) = &o.pages else {
        return stale_html(true, true);
    };
    if new.len() != shown.len() {
        return format!(
            "<section id=\"preview\" hx-swap-oob=\"true\" aria-label=\"Xem trước\">{full}</section>"
        );
    }
    let mut out = stale_html(false, true);
    out.push_str(&shown_html(new, true));
    for (i, id) in new.iter().enumerate() {
        if shown[i] != id.as_str() {
            out.push_str(&img_html(i, id, true));
        }
    }
    out
}

type Posted = Form<Vec<(String, String)>>;

fn posted_plan(form: &[(String, String)]) -> String {
    form.iter()
        .find(|(k, _)| k == "plan")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn apply_form(app: &App, s: &mut Session, form: &[(String, String)]) -> bool {
    let basis_list = app
        .layout_for(s)
        .is_some_and(|l| l.spec.basis == crate::layout::BasisPolicy::List);
    form::apply(&mut s.doc, &s.fields, form, basis_list, &mut s.cleared)
}

async fn update(State(app): State<Arc<App>>, Form(form): Posted) -> Response {
    let rel = posted_plan(&form);
    let begun = std::time::Instant::now();
    let (path, text) = match app.with_session(&rel, |s| {
        apply_form(&app, s, &form);
        (s.path.clone(), s.plan().to_string())
    }) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let started = std::time::Instant::now();
    let outcome = app.compile(path, text).await;
    let waited = started.elapsed().as_secs_f64() * 1000.0;
    let form_ms = started.duration_since(begun).as_secs_f64() * 1000.0;
    let posted = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let html = app.with_session(&rel, |s| {
        let (pages, diags) = preview_html(s, &outcome, posted("_flagged"));
        page_swaps(posted("shown"), &outcome, &pages) + &diags
    });
    match html {
        Ok(html) => {
            // The steps of the compile, and the time this request waited for the worker
            // (an earlier edit still compiling), for the browser test's breakdown.
            let busy: f64 = outcome.timing.iter().map(|t| t.1).sum();
            let mut timing: Vec<String> = outcome
                .timing
                .iter()
                .map(|(k, v)| format!("{k};dur={v:.1}"))
                .collect();
            timing.push(format!("wait;dur={:.1}", (waited - busy).max(0.0)));
            timing.push(format!("form;dur={form_ms:.1}"));
            timing.push(format!(
                "html;dur={:.1}",
                (begun.elapsed().as_secs_f64() * 1000.0 - form_ms - waited).max(0.0)
            ));
            (
                [(
                    header::HeaderName::from_static("server-timing"),
                    timing.join(", "),
                )],
                Html(html),
            )
                .into_response()
        }
        Err(r) => r,
    }
}

async fn action(State(app): State<Arc<App>>, Form(form): Posted) -> Response {
    let rel = posted_plan(&form);
    let get = |k: &str| {
        form.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let op = get("op").to_string();
    let list = get("list").to_string();
    let index: usize = get("index").parse().unwrap_or(0);
    let (html, path, text) = match app.with_session(&rel, |s| {
        apply_form(&app, s, &form);
        s.settle();
        // Only the lists the form offers for this plan's layout, nested ones included.
        if op != "retype" && app.fields(s).1.iter().any(|e| e.path == list) {
            form::entry_op(&mut s.doc, &list, &op, index);
        }
        (
            editor_html(&app, &rel, s),
            s.path.clone(),
            s.doc.to_string(),
        )
    }) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let outcome = app.compile(path, text).await;
    let (pages, diags) = app
        .with_session(&rel, |s| preview_html(s, &outcome, ""))
        .unwrap_or_default();
    // The form replaces #editor; the pages go to #preview out of band.
    Html(format!(
        "{html}<section id=\"preview\" hx-swap-oob=\"true\" aria-label=\"Xem trước\">{pages}</section>{diags}"
    ))
    .into_response()
}

async fn save(State(app): State<Arc<App>>, Form(form): Posted) -> Response {
    let rel = posted_plan(&form);
    let r = app.with_session(&rel, |s| {
        apply_form(&app, s, &form);
        s.settle();
        let text = crate::vietnamese::nfc(&s.doc.to_string());
        match crate::export::write_atomic(&s.path, text.as_bytes()) {
            Ok(()) => {
                s.disk = text;
                s.mtime = std::fs::metadata(&s.path).and_then(|m| m.modified()).ok();
                format!("<span class=\"ok\">Đã lưu {}</span>", esc(&rel))
            }
            Err(d) => format!("<span class=\"error\">{}</span>", esc(&d.message)),
        }
    });
    match r {
        Ok(h) => Html(h).into_response(),
        Err(r) => r,
    }
}

async fn poll(State(app): State<Arc<App>>, Query(q): Query<PlanQuery>) -> Response {
    let r = app.with_session(&q.plan, |s| {
        let mtime = std::fs::metadata(&s.path).and_then(|m| m.modified()).ok();
        if mtime == s.mtime {
            return None;
        }
        s.mtime = mtime;
        let text = crate::plan::read_limited(&s.path).ok()?;
        if text == s.disk {
            return None;
        }
        let dirty = s.doc.to_string() != s.disk;
        let doc: DocumentMut = text.parse().ok()?;
        if dirty {
            return Some(false);
        }
        s.doc = doc;
        s.disk = text;
        s.cleared.clear();
        Some(true)
    });
    match r {
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        // Changed on disk, no edits here: reload the page with the file's content.
        Ok(Some(true)) => ([("hx-refresh", "true")], "").into_response(),
        Ok(Some(false)) => {
            Html("<span class=\"error\">Tệp đã bị sửa ở nơi khác; lưu sẽ ghi đè.</span>")
                .into_response()
        }
        Err(r) => r,
    }
}

/// Tải PDF: the bytes `vanban build` writes for the form's current text.
async fn pdf(State(app): State<Arc<App>>, Query(q): Query<PlanQuery>) -> Response {
    download(app, q, crate::export::Format::Pdf).await
}

/// Tải DOCX: the bytes `vanban build --format docx` writes for the form's current text.
async fn docx(State(app): State<Arc<App>>, Query(q): Query<PlanQuery>) -> Response {
    download(app, q, crate::export::Format::Docx).await
}

async fn download(app: Arc<App>, q: PlanQuery, format: crate::export::Format) -> Response {
    let (path, text) = match app.with_session(&q.plan, |s| (s.path.clone(), s.plan().to_string())) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let app2 = app.clone();
    let r = tokio::task::spawn_blocking(move || {
        app2.pdf
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .export(&path, &text, format)
    })
    .await;
    let mime = match format {
        crate::export::Format::Docx => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        _ => "application/pdf",
    };
    let name = Path::new(&q.plan)
        .with_extension(format.extension())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("van-ban.{}", format.extension()));
    match r {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                        name.replace(
                            |c: char| !c.is_ascii_graphic() || c == '"' || c == '\\',
                            "_"
                        ),
                        url_encode(&name).replace('/', "%2F")
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(ds)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ds.iter()
                .map(|d| format!("error[{}]: {}\n", d.code, d.message))
                .collect::<String>(),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn page(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let id = id.strip_suffix(".svg").unwrap_or(&id);
    let svg = app
        .pages
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(id)
        .cloned();
    match svg {
        Some(svg) => Response::builder()
            .header(header::CONTENT_TYPE, "image/svg+xml")
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .body(Body::from(svg.to_string()))
            .unwrap_or_default(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Binds 127.0.0.1 (the given port, or the first free of 3000–3005), prints the URL and
/// serves until Ctrl-C ([`request_shutdown`]) or SIGTERM.
pub fn run(config: Config) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let ports: Vec<u16> = match config.port {
            Some(p) => vec![p],
            None => PORTS.collect(),
        };
        let mut listener = None;
        let mut last_err = String::new();
        for p in ports {
            match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], p))).await {
                Ok(l) => {
                    listener = Some((l, p));
                    break;
                }
                Err(e) => last_err = format!("port {p}: {e}"),
            }
        }
        let Some((listener, port)) = listener else {
            return Err(format!("no free port ({last_err}); pass --port N"));
        };
        let target = config
            .target
            .clone()
            .unwrap_or_else(|| config.settings.root.clone());
        let app = App::new(config.settings, &target, port)?;
        let url = format!("http://127.0.0.1:{port}/");
        println!("vanban serve: {url}  (Ctrl-C stops it)");
        if config.open {
            let _ = std::process::Command::new("xdg-open")
                .arg(&url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
        }
        RUNNING.store(true, Ordering::SeqCst);
        // The binary's Ctrl-C / SIGTERM handler calls `request_shutdown`.
        let stop = STOP.notified();
        let r = axum::serve(listener, router(app))
            .with_graceful_shutdown(stop)
            .await
            .map_err(|e| format!("server error: {e}"));
        RUNNING.store(false, Ordering::SeqCst);
        eprintln!("vanban serve: stopped");
        r
    })
}
