//! The command line: argument groups, commands, and the one place where diagnostics are
//! printed. Exit codes: 0 everything built or checked clean, 1 a plan (or document) failed,
//! 2 the command line itself was wrong.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use vanban::batch::{self, Outcome};
use vanban::diag::{display_path, Diagnostic, Severity};
use vanban::export::Format;
use vanban::layout::Layouts;
use vanban::pipeline::{self, Settings};
use vanban::typeset::Engine;
use vanban::vietnamese::Date;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "vanban",
    version,
    about = "Văn bản hành chính theo Nghị định 30/2020/NĐ-CP: TOML plans → signing-ready PDFs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build documents from plans, folders of plans and batch files.
    Build(BuildArgs),
    /// Parse, merge and lint plans without writing anything.
    Check(CheckArgs),
    /// Scaffold a plan: a derived one (--from PARENT) or a new one of any type (--type KEY).
    New(NewArgs),
    /// List the 29 document types with their layout model and plan keys.
    Types(TypesArgs),
    /// List the diagnostic codes with their severity.
    Codes,
    /// Edit a plan in the browser with a live preview (127.0.0.1 only).
    Serve(ServeArgs),
    /// Read a Word .docx (vanban's own or one made by hand) into a plan draft.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The .docx to read.
    #[arg(value_name = "FILE.docx")]
    pub input: PathBuf,
    /// The plan file to write.
    #[arg(short, long, value_name = "PLAN")]
    pub output: PathBuf,
    /// Overwrite PLAN if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A plan file or a folder of plans (default: the root).
    #[arg(value_name = "PLAN.toml | FOLDER")]
    pub target: Option<PathBuf>,
    /// Port on 127.0.0.1 (default: the first free of 3000–3005).
    #[arg(long)]
    pub port: Option<u16>,
    /// Open the editor in the default browser.
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Args)]
pub struct TypesArgs {
    /// Print the Markdown table of the README.
    #[arg(long)]
    pub markdown: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
}

/// The output formats, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FormatArg {
    #[default]
    Pdf,
    Png,
    Typ,
    /// An editable Word document of the same text and layout.
    Docx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Pdf => Format::Pdf,
            FormatArg::Png => Format::Png,
            FormatArg::Typ => Format::Typ,
            FormatArg::Docx => Format::Docx,
        }
    }
}

/// Options shared by every command that reads plans.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Project root: `extends` targets and templates must lie inside it.
    #[arg(long, env = "VANBAN_ROOT", default_value = ".")]
    pub root: PathBuf,
    /// Folder of templates overriding the built-in ones (default: ROOT/templates if present).
    #[arg(long, env = "VANBAN_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Override a plan variable for every plan, e.g. --set year=2025 (value read as TOML).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = pipeline::parse_set)]
    pub sets: Vec<(String, toml::Value)>,
    /// Rewrite tone marks to one placement: old (hòa, thủy) or new (hoà, thuỷ). Never done
    /// unless asked: both are accepted, and the input spelling is kept by default.
    #[arg(long, value_enum)]
    pub tone: Option<ToneArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ToneArg {
    Old,
    New,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Plan files, folders of plans, or batch files.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<PathBuf>,
    /// Output file (only when one document is built).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Output folder for many documents (default: next to each plan).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Pdf)]
    pub format: FormatArg,
    /// Worker threads for many documents (default: all cores).
    #[arg(short, long, env = "VANBAN_JOBS")]
    pub jobs: Option<usize>,
    /// Fill in the register number of an issued copy (with --on).
    #[arg(long, value_name = "NUMBER", requires = "on")]
    pub issue: Option<u64>,
    /// Issue date YYYY-MM-DD (with --issue).
    #[arg(long, value_name = "DATE", requires = "issue")]
    pub on: Option<String>,
    /// Write NAME.zones.json beside each PDF: where the signatures, number, date and seal go.
    #[arg(long)]
    pub manifest: bool,
    /// PDF/A-2b (archival), dated from the plan or SOURCE_DATE_EPOCH.
    #[arg(long)]
    pub pdf_a: bool,
    /// Add empty signature fields SigLeader, VT_So, VT_Ngay, VT_Dau at the zones.
    #[arg(long)]
    pub signature_fields: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Plan files, folders of plans, or batch files.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<PathBuf>,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plan to derive from (e.g. the province's plan).
    #[arg(
        long,
        value_name = "PLAN",
        required_unless_present = "doc_type",
        conflicts_with = "doc_type"
    )]
    pub from: Option<PathBuf>,
    /// A document type key (`vanban types` lists them): a whole new plan of that type.
    #[arg(long = "type", value_name = "KEY")]
    pub doc_type: Option<String>,
    /// The new plan file to write.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

fn settings(p: &ProjectArgs) -> Settings {
    let mut s = Settings::new(&p.root);
    if let Some(t) = &p.templates {
        s.templates = Some(t.clone());
    }
    s.sets = p.sets.clone();
    s.tone = p.tone.map(|t| match t {
        ToneArg::Old => vanban::tone::Style::Old,
        ToneArg::New => vanban::tone::Style::New,
    });
    s
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    // Ctrl-C or a SIGTERM mid-batch: remove the temporary files being written and the
    // out-dir lock, so an interrupted run leaves nothing behind (SIGKILL's leftovers carry the
    // pid in their name and the next run removes them).
    let _ = ctrlc::set_handler(|| {
        // `vanban serve` stops itself cleanly (the open connections finish first).
        if vanban::serve::request_shutdown() {
            return;
        }
        vanban::export::remove_in_flight();
        vanban::export::DirLock::release_all();
        eprintln!("interrupted");
        std::process::exit(130);
    });
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Build(a) => build(a),
        Command::Check(a) => check(a),
        Command::New(a) => new(a),
        Command::Types(a) => types(a),
        Command::Import(a) => import(a),
        Command::Codes => {
            print!("{}", vanban::diag::codes_table());
            EXIT_OK
        }
        Command::Serve(a) => serve(a),
    }
}

fn serve(a: ServeArgs) -> i32 {
    if let Err(code) = check_project(&a.project) {
        return code;
    }
    let config = vanban::serve::Config {
        settings: settings(&a.project),
        target: a.target,
        port: a.port,
        open: a.open,
    };
    match vanban::serve::run(config) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILED
        }
    }
}

fn types(a: TypesArgs) -> i32 {
    if let Err(code) = check_project(&a.project) {
        return code;
    }
    let settings = settings(&a.project);
    match settings.layouts() {
        Ok(layouts) if a.markdown => print!("{}", vanban::doctype::types_table(&layouts)),
        Ok(layouts) => print!("{}", vanban::doctype::types_text(&layouts)),
        Err(d) => {
            report(&d);
            return EXIT_FAILED;
        }
    }
    EXIT_OK
}

/// A `--root` or `--templates` that does not exist is a typo, not an empty project.
fn check_project(p: &ProjectArgs) -> Result<(), i32> {
    if !p.root.is_dir() {
        return Err(usage(&format!(
            "--root {}: no such folder",
            p.root.display()
        )));
    }
    if let Some(t) = &p.templates {
        if !t.is_dir() {
            return Err(usage(&format!(
                "--templates {}: no such folder",
                t.display()
            )));
        }
        // Templates are read like everything else a plan refers to: inside the root only.
        if !vanban::plan::inside_root(t, &p.root) {
            return Err(usage(&format!(
                "--templates {} is outside the project root {}; keep templates inside it, or pass --root DIR",
                t.display(),
                p.root.display()
            )));
        }
    }
    Ok(())
}

fn build(a: BuildArgs) -> i32 {
    if let Err(code) = check_project(&a.project) {
        return code;
    }
    let mut settings = settings(&a.project);
    settings.pdf_a = a.pdf_a;
    settings.manifest = a.manifest;
    settings.signature_fields = a.signature_fields;
    let format = Format::from(a.format);
    if a.jobs == Some(0) {
        return usage("-j 0: give at least one worker thread (or leave -j out for all cores)");
    }
    if (a.manifest || a.pdf_a || a.signature_fields) && format != Format::Pdf {
        return usage("--manifest, --pdf-a and --signature-fields go with --format pdf");
    }
    if let (Some(n), Some(on)) = (a.issue, &a.on) {
        match Date::parse(on) {
            Ok(d) if n > 0 => settings.issue = Some((n, d)),
            Ok(_) => return usage("--issue takes a positive number"),
            Err(e) => return usage(&format!("--on: {e}")),
        }
    }
    let start = Instant::now();
    let mut jobs = batch::expand(&a.plans, &settings);
    if a.output.is_some() && jobs.len() > 1 {
        return usage(&format!(
            "-o names one file but {} documents are to be built; use --out-dir DIR",
            jobs.len()
        ));
    }
    let clashes =
        batch::assign_outputs(&mut jobs, a.output.as_deref(), a.out_dir.as_deref(), format);
    if !clashes.is_empty() {
        report(&clashes);
        return EXIT_FAILED;
    }
    // One run at a time per output folder: two runs would mix their editions. Taking the lock
    // also proves the folder writable before any document is typeset.
    // Nothing is created for a run whose every input already failed (the folder stays as it
    // was), and a path that is not a folder is left to the write to report.
    let lock_dir = a
        .out_dir
        .as_deref()
        .filter(|d| !d.exists() || d.is_dir())
        .filter(|_| jobs.iter().any(|j| j.out.is_some()));
    let created = lock_dir.is_some_and(|d| !d.exists());
    let lock = match lock_dir {
        Some(dir) => match vanban::export::DirLock::acquire(dir) {
            Ok(l) => Some(l),
            Err(d) => {
                report(&[d]);
                return EXIT_FAILED;
            }
        },
        None => None,
    };
    let total = jobs.len();
    let threads = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let tty = std::io::stderr().is_terminal();
    let bar = (tty && total > 1).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    // Kept to the end of the process: freeing the parsed fonts and sources just before exit
    // would only cost time.
    let engine: &'static Engine = Box::leak(Box::new(Engine::new()));
    let progress = |o: &Outcome| {
        let line = match (&o.result, &o.out) {
            (Ok(()), Some(out)) => format!("built {} → {}", o.label, display_path(out)),
            (Ok(()), None) => format!("built {}", o.label),
            (Err(_), _) => format!("failed {}", o.label),
        };
        match &bar {
            Some(b) => {
                b.set_message(line);
                b.inc(1);
            }
            None if total > 1 => eprintln!("{line}"),
            None => {}
        }
    };
    let outcomes = batch::run(engine, jobs, &settings, format, threads, &progress);
    drop(lock);
    if let (true, Some(dir)) = (created, lock_dir) {
        // A folder this run created and left empty (every document failed) goes again.
        let _ = std::fs::remove_dir(dir);
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut failed = 0;
    for o in &outcomes {
        if let Err(diags) = &o.result {
            failed += 1;
            if total > 1 {
                eprintln!("failed: {}", o.label);
            }
            report(diags);
        }
    }
    let built = outcomes.len() - failed;
    if total > 1 || failed > 0 {
        let rss = match std::env::var_os("VANBAN_REPORT_RSS") {
            Some(_) => peak_rss()
                .map(|kb| format!(", peak RSS {} MB", kb / 1024))
                .unwrap_or_default(),
            None => String::new(),
        };
        eprintln!(
            "{built} built, {failed} failed in {:.2} s{rss}",
            start.elapsed().as_secs_f64()
        );
    } else if let Some(o) = outcomes.first().and_then(|o| o.out.as_ref()) {
        eprintln!("built {}", display_path(o));
    }
    if failed > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn check(a: CheckArgs) -> i32 {
    if let Err(code) = check_project(&a.project) {
        return code;
    }
    let settings = settings(&a.project);
    let jobs = batch::expand(&a.plans, &settings);
    let engine = Engine::new();
    let mut all: Vec<(String, Vec<Diagnostic>)> = Vec::new();
    let mut errors = 0;
    for job in jobs {
        let mut diags = Vec::new();
        match job
            .batch_output
            .clone()
            .unwrap_or(Ok(String::new()))
            .and_then(|_| job.load(&settings))
        {
            Err(d) => diags.extend(d),
            Ok(plan) => {
                diags.extend(vanban::lint::lint(&plan));
                // What `build` refuses, `check` reports: a character the fonts cannot draw.
                diags.extend(pipeline::coverage(&engine, &plan));
                diags.extend(pipeline::long_words(&plan));
                if let Err(d) = pipeline::prepare(&plan, &settings, &job.ident) {
                    diags.extend(d);
                }
            }
        }
        errors += diags.iter().filter(|d| d.is_error()).count();
        all.push((job.label, diags));
    }
    match a.format {
        ReportFormat::Json => {
            let items: Vec<serde_json::Value> = all
                .iter()
                .flat_map(|(label, ds)| ds.iter().map(move |d| json_diag(label, d)))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
            );
        }
        ReportFormat::Human => {
            for (label, ds) in &all {
                report(ds);
                if ds.is_empty() {
                    eprintln!("ok: {label}");
                }
            }
        }
    }
    if errors > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn json_diag(label: &str, d: &Diagnostic) -> serde_json::Value {
    let (file, line, column) = match &d.loc {
        Some(l) => {
            let (line, col) = l.file.line_col(l.span.start);
            (Some(l.file.display_path()), Some(line), Some(col))
        }
        None => (d.path.as_deref().map(display_path), None, None),
    };
    serde_json::json!({
        "document": label,
        "severity": if d.is_error() { "error" } else { "warning" },
        "code": d.code,
        "message": d.message,
        "file": file,
        "line": line,
        "column": column,
        "hint": d.hint,
        "notes": d.notes,
    })
}

fn new(a: NewArgs) -> i32 {
    let result = match (&a.from, &a.doc_type) {
        (Some(from), _) => vanban::scaffold::write(from, &a.out, a.force),
        (None, Some(key)) => {
            vanban::scaffold::write_type(key, &a.out, a.force, &Layouts::default())
        }
        (None, None) => return usage("give --from PLAN or --type KEY"),
    };
    match result {
        Ok(()) => {
            eprintln!(
                "wrote {}: fill in every «điền: …» marker, then run `vanban check {}`",
                display_path(&a.out),
                display_path(&a.out)
            );
            EXIT_OK
        }
        Err(d) => {
            report(&[d]);
            EXIT_FAILED
        }
    }
}

fn import(a: ImportArgs) -> i32 {
    match vanban::docx::import::import_file(&a.input, &a.output, a.force, &Layouts::default()) {
        Ok(s) => {
            eprintln!(
                "imported {} → {}{}",
                display_path(&a.input),
                display_path(&a.output),
                if s.vanban_styles {
                    " (vanban styles)"
                } else {
                    " (Decree-30 text patterns)"
                }
            );
            eprintln!("found: {}", s.found.join("; "));
            if s.unplaced > 0 {
                eprintln!(
                    "{} paragraphs could not be placed: they are kept as comments at the end",
                    s.unplaced
                );
            }
            eprintln!(
                "check every «điền: …» marker, then run `vanban check {}`",
                display_path(&a.output)
            );
            EXIT_OK
        }
        Err(d) => {
            report(&[d]);
            EXIT_FAILED
        }
    }
}

/// Peak resident memory of this process in kB (Linux), for the benchmark.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn usage(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    EXIT_USAGE
}

/// Text from a plan shown on a terminal: control characters (an ESC sequence that would
/// recolour or clear the screen, a bidi override) are replaced by a character of the same
/// UTF-8 length, so the spans into the text stay where they were.
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() && c.len_utf8() == 1 => '?',
            c if c.is_control() => '¿',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Prints diagnostics like rustc and typst do, with colour only on a terminal.
pub fn report(diags: &[Diagnostic]) {
    let diags: Vec<Diagnostic> = diags
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.message = visible(&d.message);
            d.hint = d.hint.as_deref().map(visible);
            d.notes = d.notes.iter().map(|n| visible(n)).collect();
            if let Some(loc) = &mut d.loc {
                let text = visible(&loc.file.text);
                if text != loc.file.text {
                    loc.file = vanban::diag::SourceFile::new(loc.file.path.clone(), text);
                }
            }
            d
        })
        .collect();
    let diags = &diags[..];
    let choice = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let mut out = termcolor::StandardStream::stderr(choice);
    let config = term::Config::default();
    for d in diags {
        let mut cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        }
        .with_code(d.code)
        .with_message(&d.message);
        let mut notes = Vec::new();
        if let Some(h) = &d.hint {
            notes.push(format!("hint: {h}"));
        }
        notes.extend(d.notes.iter().cloned());
        match &d.loc {
            Some(loc) => {
                let (line, col) = loc.file.line_col(loc.span.start);
                // Long lines (a 10 MB field) are named, not quoted.
                let line_text = loc.file.text.lines().nth(line - 1).unwrap_or("");
                if line_text.len() > 2000 {
                    let _ = writeln!(
                        out,
                        "{}:{line}:{col}: {}[{}]: {}",
                        loc.file.display_path(),
                        sev(d),
                        d.code,
                        d.message
                    );
                    for n in &notes {
                        let _ = writeln!(out, "  = {n}");
                    }
                    continue;
                }
                let file =
                    SimpleFile::new(loc.file.display_path().to_string(), loc.file.text.as_str());
                let span = loc.span.start.min(loc.file.text.len())
                    ..loc
                        .span
                        .end
                        .min(loc.file.text.len())
                        .max(loc.span.start.min(loc.file.text.len()));
                cs = cs
                    .with_labels(vec![Label::primary((), span)])
                    .with_notes(notes);
                if term::emit(&mut out, &config, &file, &cs).is_err() {
                    let _ = writeln!(out, "{d}");
                }
            }
            None => {
                if let Some(p) = &d.path {
                    notes.insert(0, format!("in {}", display_path(p)));
                }
                cs = cs.with_notes(notes);
                let file = SimpleFile::new(String::new(), "");
                if term::emit(&mut out, &config, &file, &cs).is_err() {
                    let _ = writeln!(out, "{d}");
                }
            }
        }
    }
}

fn sev(d: &Diagnostic) -> &'static str {
    if d.is_error() {
        "error"
    } else {
        "warning"
    }
}
