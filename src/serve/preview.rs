//! The preview of `vanban serve`: plan text → plan → Typst → pages as SVG, each page named by
//! the hash of its laid-out content, so an edit re-renders (and the browser reloads) only the
//! pages it changed. One [`Preview`] lives on the compile worker's thread.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::diag::{Diagnostic, Severity};
use crate::pipeline::{self, Settings};
use crate::typeset::Engine;

/// Rendered pages by id (the hex hash of the page's content), shared with the HTTP routes.
pub type PageStore = Arc<Mutex<HashMap<String, Arc<str>>>>;

/// A diagnostic as the editor shows it: the plan field it points at (path segments of the
/// edited file's TOML, e.g. `["sections", "2", "text"]`), empty when it points elsewhere.
#[derive(Debug, Clone)]
pub struct Finding {
    pub field: Vec<String>,
    pub error: bool,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
    pub position: Option<String>,
}

/// What one update produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The page ids in order; `None` when the plan has errors (the last good pages stay).
    pub pages: Option<Vec<String>>,
    pub findings: Vec<Finding>,
    /// How many pages had to be rendered to SVG (the others were unchanged).
    pub rendered: usize,
    /// Milliseconds spent in each step (`load`, `lint`, `prepare`, `typeset`, `svg`), for the
    /// `Server-Timing` header the browser test reads.
    pub timing: Vec<(&'static str, f64)>,
}

/// How many compiles a memoised result may go unused before it is evicted.
const PREVIEW_MEMO_AGE: usize = 8;

pub struct Preview {
    engine: Engine,
    settings: Settings,
    pub store: PageStore,
    /// Frame hash → page id, so an unchanged frame is not rendered again.
    frames: HashMap<u128, String>,
}

impl Preview {
    pub fn new(engine: Engine, settings: Settings) -> Preview {
        Preview {
            engine,
            settings,
            store: PageStore::default(),
            frames: HashMap::new(),
        }
    }

    /// Compiles `text` as if it were the file at `path` (its `extends` resolved from there).
    pub fn update(&mut self, path: &Path, text: &str) -> Outcome {
        self.update_unless(path, text, &|| false)
            .unwrap_or_default()
    }

    /// [`update`](Self::update), given up (`None`) as soon as `superseded` says a newer edit
    /// is waiting: before typesetting and before rendering pages. While one types, the edit
    /// before the last one is still compiling when the last arrives; its pages would be
    /// thrown away, and the last edit waited for them.
    pub fn update_unless(
        &mut self,
        path: &Path,
        text: &str,
        superseded: &dyn Fn() -> bool,
    ) -> Option<Outcome> {
        let mut out = Outcome::default();
        let mut clock = std::time::Instant::now();
        let mut lap = |out: &mut Outcome, step: &'static str| {
            let now = std::time::Instant::now();
            out.timing
                .push((step, now.duration_since(clock).as_secs_f64() * 1000.0));
            clock = now;
        };
        let fail = |out: &mut Outcome, ds: Vec<Diagnostic>, text: &str| {
            out.findings
                .extend(ds.iter().map(|d| finding(d, path, text)));
        };
        let plan = match self.load(path, text) {
            Ok(p) => p,
            Err(ds) => {
                fail(&mut out, ds, text);
                return Some(out);
            }
        };
        lap(&mut out, "load");
        let mut errors = crate::lint::lint(&plan);
        errors.extend(pipeline::coverage(&self.engine, &plan));
        errors.extend(pipeline::long_words(&plan));
        fail(&mut out, errors.clone(), text);
        lap(&mut out, "lint");
        if errors.iter().any(Diagnostic::is_error) {
            return Some(out);
        }
        if superseded() {
            return None;
        }
        let prepared = pipeline::prepare(&plan, &self.settings, "preview");
        lap(&mut out, "prepare");
        let doc = prepared.and_then(|p| pipeline::typeset(&self.engine, &p));
        let doc = match doc {
            Ok(d) => d,
            Err(ds) => {
                fail(&mut out, ds, text);
                return Some(out);
            }
        };
        lap(&mut out, "typeset");
        // Typst's memo cache keeps what the last edits used (the next keystroke reuses the
        // layout of every paragraph it did not touch) and drops the rest: a long editing
        // session must not grow without end.
        typst::comemo::evict(PREVIEW_MEMO_AGE);
        if superseded() {
            return None;
        }
        let mut ids = Vec::new();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for page in doc.pages() {
            // Frames carry source spans, which move when an earlier text changes length: the
            // page is named by its SVG instead (rendered again only when its frame changed).
            let frame = visible_hash(page);
            let id = match self.frames.get(&frame) {
                Some(id) if store.contains_key(id) => id.clone(),
                _ => {
                    let svg = super::svg::compact(&typst_svg::svg(
                        page,
                        &typst_svg::SvgOptions::default(),
                    ));
                    out.rendered += 1;
                    let id = format!("{:032x}", typst::utils::hash128(&svg));
                    store.entry(id.clone()).or_insert_with(|| svg.into());
                    self.frames.insert(frame, id.clone());
                    id
                }
            };
            ids.push(id);
        }
        if self.frames.len() > 400 {
            self.frames.retain(|_, id| ids.contains(id));
        }
        // Keep the store bounded: a long session must not grow without end.
        if store.len() > 400 {
            store.retain(|k, _| ids.contains(k));
        }
        drop(store);
        lap(&mut out, "svg");
        out.pages = Some(ids);
        Some(out)
    }

    fn load(&self, path: &Path, text: &str) -> Result<crate::plan::Plan, Vec<Diagnostic>> {
        let layouts = self.settings.layouts()?;
        let file =
            crate::plan::source_from_bytes(path, text.as_bytes().to_vec()).map_err(|d| vec![d])?;
        let layer = crate::plan::parse_layer(&file, &layouts)?;
        let mut plan = crate::plan::load_layers(layer, &self.settings.root, &[], &layouts)?;
        pipeline::apply_settings(&mut plan, &self.settings);
        Ok(plan)
    }

    /// The PDF or DOCX of `text`: the bytes `vanban build [--format docx]` writes for the same
    /// file (the same library call as the CLI's, `pipeline::build_plan`).
    pub fn export(
        &self,
        path: &Path,
        text: &str,
        format: crate::export::Format,
    ) -> Result<Vec<u8>, Vec<Diagnostic>> {
        let plan = self.load(path, text)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        pipeline::build_plan(&self.engine, &plan, &self.settings, format, &name, &name)
            .map(|b| b.bytes)
    }
}

fn finding(d: &Diagnostic, path: &Path, text: &str) -> Finding {
    let field = match &d.loc {
        Some(l) if l.file.path == path => field_at(text, &l.file, l.span.start),
        _ => Vec::new(),
    };
    Finding {
        field,
        error: d.severity == Severity::Error,
        code: d.code,
        message: d.message.clone(),
        hint: d.hint.clone(),
        position: d.position(),
    }
}

/// The path of the deepest key whose key or value spans `offset` in the plan text.
pub fn field_at(text: &str, file: &Arc<crate::diag::SourceFile>, offset: usize) -> Vec<String> {
    use crate::tree::{Node, Val};
    let Some(root) = Node::parse_text(text, file) else {
        return Vec::new();
    };
    // A table's span is its header only: its extent reaches to the end of its last value.
    fn extent(n: &Node) -> (usize, usize) {
        let (mut lo, mut hi) = (n.span.start, n.span.end);
        let mut grow = |(a, b): (usize, usize)| {
            lo = lo.min(a);
            hi = hi.max(b);
        };
        match &n.val {
            Val::Table(e) => {
                for (k, v) in e {
                    grow((k.span.start, k.span.end));
                    grow(extent(v));
                }
            }
            Val::Array(items) => items.iter().for_each(|v| grow(extent(v))),
            _ => {}
        }
        (lo, hi)
    }
    fn walk(n: &Node, offset: usize, out: &mut Vec<String>) {
        let inside = |(a, b): (usize, usize)| a <= offset && offset <= b;
        match &n.val {
            Val::Table(entries) => {
                if let Some((k, v)) = entries
                    .iter()
                    .find(|(k, v)| inside((k.span.start, k.span.end)) || inside(extent(v)))
                {
                    out.push(k.name.clone());
                    walk(v, offset, out);
                }
            }
            Val::Array(items) => {
                if let Some((i, v)) = items.iter().enumerate().find(|(_, v)| inside(extent(v))) {
                    out.push(i.to_string());
                    walk(v, offset, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&root, offset, &mut out);
    out
}

/// A hash of what a page shows: its frames without source spans and introspection tags, which
/// change on every page after an edit that moves the generated source.
fn visible_hash(page: &typst_layout::Page) -> u128 {
    use std::hash::{Hash, Hasher};
    use typst::layout::{Frame, FrameItem};
    fn frame(f: &Frame, h: &mut impl Hasher) {
        f.size().hash(h);
        for (pos, item) in f.items() {
            pos.hash(h);
            match item {
                FrameItem::Group(g) => {
                    0u8.hash(h);
                    g.transform.hash(h);
                    g.clip.hash(h);
                    frame(&g.frame, h);
                }
                FrameItem::Text(t) => {
                    1u8.hash(h);
                    t.font.hash(h);
                    t.size.hash(h);
                    t.fill.hash(h);
                    t.stroke.hash(h);
                    t.text.hash(h);
                    for g in &t.glyphs {
                        (g.id, g.x_advance, g.x_offset, g.y_advance, g.y_offset).hash(h);
                    }
                }
                FrameItem::Shape(shape, _) => {
                    2u8.hash(h);
                    shape.hash(h);
                }
                FrameItem::Image(img, size, _) => {
                    3u8.hash(h);
                    img.hash(h);
                    size.hash(h);
                }
                FrameItem::Link(dest, size) => {
                    4u8.hash(h);
                    dest.hash(h);
                    size.hash(h);
                }
                FrameItem::Tag(_) => {}
            }
        }
    }
    let mut a = std::hash::DefaultHasher::new();
    frame(&page.frame, &mut a);
    page.fill.hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    0xA5u8.hash(&mut b);
    frame(&page.frame, &mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}
