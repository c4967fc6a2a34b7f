//! Many documents in one run: plan files, folders of plans and batch files expand into jobs;
//! jobs are prepared and typeset on all cores, one failure never stops the others, and
//! output names are checked for collisions before anything is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{display_path, Diagnostic, Loc, SourceFile};
use crate::export::{self, Format};
use crate::pipeline::{self, Settings};
use crate::plan::{self, Layer, Plan, RawPlan};
use crate::render;
use crate::tree::{Node, Val};
use crate::typeset::Engine;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    batch: RawBatch,
}

/// The same file read leniently, only to find where each row is written.
#[derive(Debug, Deserialize)]
struct RowExtents {
    batch: RowExtentsBatch,
}

#[derive(Debug, Deserialize)]
struct RowExtentsBatch {
    #[serde(default)]
    rows: Vec<Spanned<toml::Table>>,
}

/// Byte ranges of each row's content. For `[[batch.rows]]` rows, toml's span is the header;
/// the row runs on to the next header that is not one of its own sub-tables.
fn row_extents(text: &str) -> Option<Vec<(std::ops::Range<usize>, bool)>> {
    let lenient: RowExtents = toml::from_str(text).ok()?;
    let mut out = Vec::new();
    for row in &lenient.batch.rows {
        let span = row.span();
        let head = text.get(span.clone())?;
        if !head.starts_with("[[") {
            out.push((span, false));
            continue;
        }
        let mut end = text.len();
        let mut pos = span.end;
        for line in text[span.end..].split_inclusive('\n') {
            let t = line.trim_start();
            if t.starts_with('[')
                && !(t.starts_with("[batch.rows.") || t.starts_with("[[batch.rows."))
            {
                end = pos;
                break;
            }
            pos += line.len();
        }
        out.push((span.end..end, true));
    }
    Some(out)
}

/// A batch file's typed part, its rows as trees, and the rows that failed with why.
type ParsedBatch = (RawBatch, Vec<Node>, BTreeMap<usize, Diagnostic>);

/// Parses a batch file so that a bad row fails alone: a row the strict parse rejects is
/// blanked out (keeping every other byte where it was, so positions stay exact) and parsed
/// again, until the rest parses.
fn parse_batch(file: &Arc<SourceFile>) -> Result<ParsedBatch, Diagnostic> {
    let extents = row_extents(&file.text);
    let mut text = file.text.clone();
    let mut failed: BTreeMap<usize, Diagnostic> = BTreeMap::new();
    loop {
        match toml::from_str::<BatchFile>(&text) {
            Ok(b) => {
                // The rows as trees too (same offsets): the layout's fields and the schema
                // check read them.
                let trees = Node::parse_text(&text, file)
                    .and_then(|t| match t.get("batch").and_then(|b| b.get("rows")) {
                        Some(Node {
                            val: Val::Array(rows),
                            ..
                        }) => Some(rows.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                return Ok((b.batch, trees, failed));
            }
            Err(e) => {
                let at = e.span().map(|s| s.start);
                let row = match (&extents, at) {
                    (Some(ext), Some(at)) => ext.iter().position(|(r, _)| r.contains(&at)),
                    _ => None,
                };
                match row {
                    Some(i) if !failed.contains_key(&i) => {
                        failed.insert(i, plan::toml_diag(file, &e));
                        let (range, header_style) =
                            extents.as_ref().expect("row found above")[i].clone();
                        // One space per byte, so every later offset stays where it was.
                        let blank: String = text[range.clone()]
                            .chars()
                            .map(|c| {
                                if c == '\n' {
                                    "\n".to_string()
                                } else {
                                    " ".repeat(c.len_utf8())
                                }
                            })
                            .collect();
                        let blank = if header_style {
                            blank
                        } else {
                            format!("{{}}{}", &blank[2.min(blank.len())..])
                        };
                        text.replace_range(range, &blank);
                    }
                    _ => return Err(plan::toml_diag(file, &e)),
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    plan: Spanned<String>,
    output: Option<Spanned<String>>,
    #[serde(default)]
    rows: Vec<RawPlan>,
}

/// Where a job's plan comes from. Plans are loaded by the worker that builds them, so a run of
/// a thousand documents holds a few plans in memory at a time, not a thousand.
#[derive(Debug, Clone)]
pub enum Recipe {
    /// A plan file (and what it extends).
    Plan(PathBuf),
    /// Row `index` of a batch file: the row's layer merged over the batch's base plan.
    Row(Arc<BatchInfo>, usize),
    /// Nothing to load: the input failed before a plan could be read.
    Failed(Vec<Diagnostic>),
}

/// A parsed batch file, shared by its rows.
#[derive(Debug)]
pub struct BatchInfo {
    file: Arc<SourceFile>,
    base: Result<Layer, Vec<Diagnostic>>,
    rows: Vec<RawPlan>,
    row_trees: Vec<Node>,
    plan_loc: Loc,
}

/// One document to build.
#[derive(Debug)]
pub struct Job {
    /// `plans/x.toml` or `plans/huyen.toml row 3`.
    pub label: String,
    pub recipe: Recipe,
    /// Where the output goes (decided after expansion).
    pub out: Option<PathBuf>,
    /// Output name asked for by a batch file (relative to the out dir), or why it failed.
    pub batch_output: Option<Result<String, Vec<Diagnostic>>>,
    /// Stable identifier for the PDF.
    pub ident: String,
    /// The source file (plan or batch) for default output names.
    pub source: PathBuf,
}

impl Job {
    /// Loads and validates the job's plan, with the run's settings (`--set`, `--tone`,
    /// `--issue`) applied, so output names and documents see the same values.
    pub fn load(&self, settings: &Settings) -> Result<Plan, Vec<Diagnostic>> {
        let mut plan = self.load_raw(settings)?;
        pipeline::apply_settings(&mut plan, settings);
        Ok(plan)
    }

    fn load_raw(&self, settings: &Settings) -> Result<Plan, Vec<Diagnostic>> {
        match &self.recipe {
            Recipe::Failed(d) => Err(d.clone()),
            Recipe::Plan(path) => plan::load_with(path, &settings.root, &*settings.layouts()?),
            Recipe::Row(b, i) => match &b.base {
                Ok(base) => {
                    let layouts = settings.layouts()?;
                    let row = b.rows[*i].clone();
                    let tree = b
                        .row_trees
                        .get(*i)
                        .cloned()
                        .unwrap_or_else(|| Node::empty_table(&b.file));
                    plan::check_tree(&tree, &layouts)?;
                    plan::load_layers(
                        base.clone(),
                        &settings.root,
                        &[Layer {
                            raw: row,
                            tree,
                            file: b.file.clone(),
                        }],
                        &layouts,
                    )
                }
                Err(d) => Err(vec![Diagnostic::error(
                    "batch-plan",
                    format!(
                        "cannot load the batch's plan: {}",
                        d.first().map(|d| d.message.as_str()).unwrap_or("")
                    ),
                )
                .at(b.plan_loc.clone())]),
            },
        }
    }

    fn failed(&self) -> bool {
        matches!(self.recipe, Recipe::Failed(_)) || matches!(self.batch_output, Some(Err(_)))
    }
}

/// Whether a file is a batch file (has a `[batch]` table).
fn is_batch(file: &SourceFile) -> bool {
    // Most files are plans: without the word (or an escape that could spell it in a quoted
    // key) the file cannot have the key, and is not parsed a second time here.
    if !file.text.contains("batch") && !file.text.contains('\\') {
        return false;
    }
    toml::from_str::<toml::Table>(&file.text)
        .map(|t| t.contains_key("batch"))
        .unwrap_or(false)
}

/// Expands command-line inputs into jobs. Folders contribute their `*.toml` files (sorted,
/// recursively); batch files one job per row.
pub fn expand(inputs: &[PathBuf], settings: &Settings) -> Vec<Job> {
    let mut jobs = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut files = Vec::new();
            collect_toml(input, &mut files);
            files.sort();
            if files.is_empty() {
                jobs.push(failed_job(
                    input,
                    Diagnostic::error("empty-folder", "the folder holds no .toml plans")
                        .in_file(input),
                ));
            }
            for f in files {
                // A link in the folder that leads out of it is not part of the folder.
                if !plan::inside_root(&f, input) {
                    jobs.push(failed_job(
                        &f,
                        Diagnostic::error(
                            "outside-root",
                            format!(
                                "{} links to a file outside {}",
                                display_path(&f),
                                display_path(input)
                            ),
                        )
                        .in_file(&f)
                        .hint(
                            "name the plan itself on the command line, or copy it into the folder",
                        ),
                    ));
                    continue;
                }
                expand_file(&f, settings, &mut jobs);
            }
        } else {
            expand_file(input, settings, &mut jobs);
        }
    }
    jobs
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        // Links to folders are not followed: a link to a parent would recurse forever.
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            collect_toml(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn failed_job(path: &Path, d: Diagnostic) -> Job {
    Job {
        label: display_path(path),
        recipe: Recipe::Failed(vec![d]),
        out: None,
        batch_output: None,
        ident: String::new(),
        source: path.to_path_buf(),
    }
}

fn expand_file(path: &Path, settings: &Settings, jobs: &mut Vec<Job>) {
    let file = match plan::read_source(path) {
        Ok(f) => f,
        Err(d) => return jobs.push(failed_job(path, d)),
    };
    let ident = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !is_batch(&file) {
        return jobs.push(Job {
            label: file.display_path(),
            recipe: Recipe::Plan(path.to_path_buf()),
            out: None,
            batch_output: None,
            ident,
            source: path.to_path_buf(),
        });
    }
    let (b, row_trees, failed_rows) = match parse_batch(&file) {
        Ok(b) => b,
        Err(d) => return jobs.push(failed_job(path, d)),
    };
    let plan_loc = Loc::new(&file, b.plan.span());
    let base_path = plan::normalize(
        &plan::absolute(path)
            .parent()
            .unwrap_or(Path::new("/"))
            .join(b.plan.get_ref()),
    );
    if !plan::inside_root(&base_path, &settings.root) {
        return jobs.push(failed_job(
            path,
            Diagnostic::error(
                "outside-root",
                format!(
                    "batch plan `{}` is outside the project root",
                    b.plan.get_ref()
                ),
            )
            .at(plan_loc)
            .hint("keep plans inside the root, or pass --root DIR"),
        ));
    }
    let base = match (plan::read_source(&base_path), settings.layouts()) {
        (Ok(f), Ok(layouts)) => plan::parse_layer(&f, &layouts),
        (Err(d), _) => Err(vec![d]),
        (_, Err(d)) => Err(d),
    };
    if b.rows.is_empty() {
        return jobs.push(failed_job(
            path,
            Diagnostic::error("empty-batch", "the batch has no rows")
                .at(plan_loc)
                .hint("add [[batch.rows]] tables"),
        ));
    }
    let info = Arc::new(BatchInfo {
        file: file.clone(),
        base,
        rows: b.rows,
        row_trees,
        plan_loc,
    });
    for i in 0..info.rows.len() {
        let n = i + 1;
        let recipe = if let Some(d) = failed_rows.get(&i) {
            Recipe::Failed(vec![d.clone()])
        } else if let Some(ext) = &info.rows[i].extends {
            Recipe::Failed(vec![Diagnostic::error("batch-extends", "a batch row cannot use `extends`")
                .at(Loc::new(&file, ext.span()))
                .hint("every row extends the batch's `plan`; name another plan there, or use another batch file")])
        } else {
            Recipe::Row(info.clone(), i)
        };
        let failed = matches!(recipe, Recipe::Failed(_));
        let mut job = Job {
            label: format!("{} row {n}", file.display_path()),
            recipe,
            out: None,
            batch_output: None,
            ident: format!("{ident}#{n}"),
            source: path.to_path_buf(),
        };
        // The output name needs the merged plan; it is loaded here and dropped again.
        if failed {
            jobs.push(job);
            continue;
        }
        job.batch_output = Some(match &b.output {
            Some(tmpl) => job
                .load(settings)
                .and_then(|p| output_name(&p, tmpl, &file, n).map_err(|d| vec![d])),
            None => Ok(format!(
                "{}-{n:02}.pdf",
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )),
        });
        jobs.push(job);
    }
}

/// Renders a batch's `output` template for one row; the name must stay inside the out dir.
fn output_name(
    plan: &Plan,
    tmpl: &Spanned<String>,
    file: &Arc<SourceFile>,
    row: usize,
) -> Result<String, Diagnostic> {
    let env = render::text_env();
    let loc = Loc::new(file, tmpl.span());
    let mut ctx = render::context(plan);
    if let Ok(mut m) = BTreeMap::<String, minijinja::Value>::deserialize(ctx.clone()) {
        m.insert("row".into(), minijinja::Value::from(row));
        ctx = minijinja::Value::from(m);
    }
    let name = env.render_str(tmpl.get_ref(), ctx).map_err(|e| {
        let detail = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        Diagnostic::error(
            "batch-output",
            format!("batch `output` for row {row}: {detail}"),
        )
        .at(loc.clone())
    })?;
    let name = name.trim().to_string();
    let p = Path::new(&name);
    if name.is_empty()
        || p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(Diagnostic::error(
            "batch-output",
            format!("row {row}: output name `{name}` is empty or leaves the output folder"),
        )
        .at(loc));
    }
    Ok(name)
}

/// Whether the existing part of `path`'s folder chain, links resolved, stays inside `base`.
fn parent_inside(path: &Path, base: &Path) -> bool {
    let Ok(real_base) = std::fs::canonicalize(base) else {
        return true;
    };
    let mut dir = path.parent();
    while let Some(d) = dir {
        if let Ok(real) = std::fs::canonicalize(d) {
            return real.starts_with(&real_base);
        }
        dir = d.parent();
    }
    true
}

/// An output file name with the format's extension: a known one is replaced, anything else
/// after a dot is part of the name (`TP. Buôn Ma Thuột` stays whole).
fn with_format(name: &str, format: Format) -> String {
    for ext in ["pdf", "png", "typ"] {
        if let Some(stem) = name.strip_suffix(&format!(".{ext}")) {
            return format!("{stem}.{}", format.extension());
        }
    }
    format!("{name}.{}", format.extension())
}

/// Decides output paths and refuses two documents writing one file.
pub fn assign_outputs(
    jobs: &mut [Job],
    out: Option<&Path>,
    out_dir: Option<&Path>,
    format: Format,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for job in jobs.iter_mut() {
        if job.failed() {
            continue;
        }
        let base = || {
            out_dir.map(Path::to_path_buf).unwrap_or_else(|| {
                job.source
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            })
        };
        let path = match (out, &job.batch_output) {
            (Some(o), _) => o.to_path_buf(),
            (None, Some(Ok(name))) => {
                let base = base();
                let path = base.join(with_format(name, format));
                // A folder of the name that is a link must not carry the file out of the
                // output folder.
                if !parent_inside(&path, &base) {
                    errors.push(
                        Diagnostic::error(
                            "outside-root",
                            format!(
                                "{}: output `{}` leads outside the output folder {} through a link",
                                job.label,
                                name,
                                display_path(&base)
                            ),
                        )
                        .in_file(&job.source)
                        .hint("remove the link, or choose another --out-dir"),
                    );
                    continue;
                }
                path
            }
            (None, Some(Err(_))) => continue,
            (None, None) => {
                let stem = job
                    .source
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                base().join(with_format(&stem, format))
            }
        };
        if plan::absolute(&path) == plan::absolute(&job.source) {
            errors.push(
                Diagnostic::error(
                    "output",
                    format!("{}: the output would overwrite the plan itself", job.label),
                )
                .in_file(&path),
            );
        }
        job.out = Some(path);
    }
    let mut seen: BTreeMap<PathBuf, &Job> = BTreeMap::new();
    for job in jobs.iter() {
        if let Some(o) = &job.out {
            if let Some(prev) = seen.insert(plan::absolute(o), job) {
                let rows =
                    matches!(prev.recipe, Recipe::Row(..)) && matches!(job.recipe, Recipe::Row(..));
                let hint = if rows {
                    "make the batch `output` template distinct per row, e.g. \"{{ issuer.place | slug }}.pdf\""
                } else {
                    "plans with the same file name need different output folders: build them separately or rename one"
                };
                errors.push(
                    Diagnostic::error(
                        "output-clash",
                        format!(
                            "{} and {} would both write {}",
                            prev.label,
                            job.label,
                            display_path(o)
                        ),
                    )
                    .hint(hint),
                );
            }
        }
    }
    errors
}

/// What happened to one job.
#[derive(Debug)]
pub struct Outcome {
    pub label: String,
    pub out: Option<PathBuf>,
    pub result: Result<(), Vec<Diagnostic>>,
}

/// Builds every job on `threads` workers. Typst parallelises inside a document too, so each
/// worker is a plain thread with a large stack rather than a rayon task (nested rayon work
/// stealing can start a second document inside the first one's stack).
pub fn run(
    engine: &Engine,
    jobs: Vec<Job>,
    settings: &Settings,
    format: Format,
    threads: usize,
    progress: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let jobs: Vec<Mutex<Option<Job>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Outcome>>> = (0..jobs.len()).map(|_| Mutex::new(None)).collect();
    let threads = threads.clamp(1, jobs.len().clamp(1, 64));
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(slot) = jobs.get(i) else { break };
        let Some(job) = slot.lock().ok().and_then(|mut j| j.take()) else {
            continue;
        };
        let label = job.label.clone();
        let out = job.out.clone();
        // A panic inside one document (ours, Typst's, lopdf's) must not take the
        // other documents down with it.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            build_one(engine, job, settings, format)
        }))
        .unwrap_or_else(|_| Outcome {
            label,
            out,
            result: Err(vec![Diagnostic::error(
                "internal",
                "vanban crashed on this document",
            )
            .hint("please report it with the plan; the other documents were built")]),
        });
        // A bounded memo cache: what none of the last few documents used is
        // dropped, what they share (the layout of a common paragraph, the
        // evaluated layout library) stays for the next one.
        if jobs.len() > 1 {
            typst::comemo::evict(memo_age(threads));
        }
        progress(&outcome);
        if let Ok(mut r) = results[i].lock() {
            *r = Some(outcome);
        }
    };
    if jobs.len() == 1 {
        // One document: no worker to start (Typst runs on a thread of its own anyway).
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(scope, work)
                    .ok();
            }
        });
    }
    // The memo cache is left as it is: the command exits next, and emptying it costs more
    // than a small document's lint. (A caller that runs on calls `typst::comemo::evict`.)
    results
        .into_iter()
        .filter_map(|r| r.into_inner().ok().flatten())
        .collect()
}

/// How many documents a memoised result may go unused before it is evicted: a little more
/// than one per worker, so each worker's next document still finds what the last ones shared.
fn memo_age(threads: usize) -> usize {
    2 * threads + 1
}

fn build_one(engine: &Engine, job: Job, settings: &Settings, format: Format) -> Outcome {
    let label = job.label.clone();
    let out = job.out.clone();
    let result = (|| {
        if let Some(Err(d)) = &job.batch_output {
            return Err(d.clone());
        }
        let plan = job.load(settings)?;
        let path = job
            .out
            .as_ref()
            .ok_or_else(|| vec![Diagnostic::error("output", "no output path")])?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // An output never replaces a plan it was built from (the province's plan, a batch).
        let target = plan::absolute(path);
        let real = std::fs::canonicalize(path).ok();
        if let Some(src) = plan.sources.iter().find(|s| {
            **s == target
                || std::fs::canonicalize(s)
                    .ok()
                    .is_some_and(|c| Some(c) == real)
        }) {
            return Err(vec![Diagnostic::error(
                "output",
                format!(
                    "the output {} would overwrite {}, a plan this document is built from",
                    crate::diag::display_path(path),
                    crate::diag::display_path(src)
                ),
            )
            .in_file(path)
            .hint("choose another output name with -o or --out-dir")]);
        }
        let built = pipeline::build_plan(engine, &plan, settings, format, &job.ident, &file_name)?;
        if let Some(m) = &built.manifest {
            let json = serde_json::to_string_pretty(m)
                .map_err(|e| vec![Diagnostic::error("manifest", e.to_string())])?;
            export::write_atomic(&path.with_extension("zones.json"), json.as_bytes())
                .map_err(|d| vec![d])?;
        }
        export::write_atomic(path, &built.bytes).map_err(|d| vec![d])
    })();
    Outcome { label, out, result }
}
