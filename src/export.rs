//! Output: PDF (fixed creator and identifier, so the same plan gives the same bytes), PNG
//! previews and the generated Typst source; files are written atomically.

use std::io::Write;
use std::path::Path;

use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::diag::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Pdf,
    Png,
    Typ,
    /// An editable Word document (`crate::docx`).
    Docx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Png => "png",
            Format::Typ => "typ",
            Format::Docx => "docx",
        }
    }
}

/// Renders the PDF. `ident` names the document stably (the plan's file name), so the PDF's
/// /ID does not depend on anything but the input; `archival` asks for PDF/A-2b with the given
/// creation date (PDF/A requires one; it comes from the plan, never from the clock).
pub fn pdf(
    doc: &PagedDocument,
    ident: &str,
    archival: Option<Datetime>,
) -> Result<Vec<u8>, Diagnostic> {
    let mut options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("vanban {}", env!("CARGO_PKG_VERSION")))),
        timestamp: None,
        ..PdfOptions::default()
    };
    if let Some(date) = archival {
        options.timestamp = Some(Timestamp::new_utc(date));
        options.standards = PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| {
            Diagnostic::error("pdf", format!("PDF/A setup failed: {}", e.message()))
        })?;
    }
    typst_pdf::pdf(doc, &options).map_err(|errors| {
        let msg = errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        Diagnostic::error("pdf", format!("PDF export failed: {msg}"))
    })
}

/// All pages stacked into one image at 2 px per pt (144 dpi), for a quick look.
pub fn png(doc: &PagedDocument) -> Result<Vec<u8>, Diagnostic> {
    let opts = typst_render::RenderOptions::default();
    let pixmap = typst_render::render_merged(
        doc,
        &opts,
        typst::layout::Abs::pt(10.0),
        Some(typst::visualize::Color::from_u8(128, 128, 128, 255)),
    );
    pixmap
        .encode_png()
        .map_err(|e| Diagnostic::error("png", format!("PNG encoding failed: {e}")))
}

/// Temporary files being written right now, so an interrupted run can remove them
/// ([`remove_in_flight`], called from the CLI's signal handler).
static IN_FLIGHT: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
/// Folders already swept of stale temporary files in this run.
static SWEPT: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Set when the run is being interrupted: no new output is started.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Held (shared) by a writer from its look at [`STOPPING`] until its temporary file is
/// tracked, and (exclusive) by [`remove_in_flight`] to set it: so every temporary file is
/// either tracked before the flag is set, or never created. (A file created after the sweep,
/// just before the process exits, was left behind.)
static CREATING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Leave to create a temporary file: held until the file is tracked; None once the run is
/// being interrupted.
fn may_create() -> Option<std::sync::RwLockReadGuard<'static, ()>> {
    let guard = CREATING.read().unwrap_or_else(|e| e.into_inner());
    (!STOPPING.load(std::sync::atomic::Ordering::SeqCst)).then_some(guard)
}

const TMP_PREFIX: &str = ".vanban-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files of writes still in progress (SIGINT, SIGTERM): the tracked
/// ones, and any file in a folder this run wrote into whose name carries this run's pid (one
/// created in the instant before it was tracked).
pub fn remove_in_flight() {
    {
        let _no_writer_creating = CREATING.write().unwrap_or_else(|e| e.into_inner());
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    let list = IN_FLIGHT.lock().map(|l| l.clone()).unwrap_or_default();
    for p in list {
        let _ = std::fs::remove_file(p);
    }
    let own = format!("{TMP_PREFIX}{}-", std::process::id());
    let dirs = SWEPT.lock().map(|l| l.clone()).unwrap_or_default();
    for d in dirs {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&own) && name.ends_with(TMP_SUFFIX) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn track(path: &Path, on: bool) {
    if let Ok(mut l) = IN_FLIGHT.lock() {
        if on {
            l.push(path.to_path_buf());
        } else {
            l.retain(|p| p != path);
        }
    }
}

/// Whether a process with this id is running (Linux `/proc`); elsewhere assume it is, so
/// nothing another run may still own is removed.
pub fn pid_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes `.vanban-<pid>-….tmp` files of runs that are gone (killed with SIGKILL): the pid
/// in the name proves the file is ours and that no one is writing it any more.
fn sweep_stale(dir: &Path) {
    if let Ok(mut swept) = SWEPT.lock() {
        if swept.iter().any(|d| d == dir) {
            return;
        }
        swept.push(dir.to_path_buf());
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(TMP_PREFIX)
            .and_then(|r| r.strip_suffix(TMP_SUFFIX))
        else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !pid_alive(pid) && e.path().is_file() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// What a failed write means for the user: a full disk is not a permission problem.
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(28) => "the disk is full: free some space, or write elsewhere with -o / --out-dir",
        Some(122) => "the disk quota is exceeded: free some space, or write elsewhere",
        Some(30) => "the file system is read-only: write elsewhere with -o / --out-dir",
        _ => "check that the folder is writable, or choose another with -o / --out-dir",
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, then renames: a
/// failed or interrupted build never leaves a half-written file behind. The file gets the
/// umask's permissions (an existing file keeps its own mode), and anything that is not a
/// regular file — a FIFO, a device, `/dev/null` — is never replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let fail = |what: &str, e: &std::io::Error| {
        Diagnostic::error(
            "output",
            format!(
                "cannot write {}: {what}: {e}",
                crate::diag::display_path(path)
            ),
        )
        .in_file(path)
        .hint(io_hint(e))
    };
    if path.is_dir() || path.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) {
        return Err(Diagnostic::error(
            "output",
            format!("{} is a folder", crate::diag::display_path(path)),
        )
        .in_file(path)
        .hint("give a file name with -o, or use --out-dir for a folder"));
    }
    let existing = std::fs::metadata(path).ok();
    if let Some(m) = &existing {
        let t = m.file_type();
        if !t.is_file() {
            let kind = if t.is_fifo() {
                "a named pipe"
            } else if t.is_char_device() || t.is_block_device() {
                "a device"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            };
            return Err(Diagnostic::error(
                "output",
                format!(
                    "{} is {kind}; vanban only replaces regular files",
                    crate::diag::display_path(path)
                ),
            )
            .in_file(path)
            .hint("write to a file name with -o, then copy it where it must go"));
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| fail("cannot create the folder", &e))?;
    sweep_stale(&dir);
    let mode = existing
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o666);
    let Some(creating) = may_create() else {
        return Err(Diagnostic::error("output", "the run was interrupted").in_file(path));
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TMP_PREFIX}{}-", std::process::id()))
        .suffix(TMP_SUFFIX)
        // Created with 0666: the umask takes away what the user does not share.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)
        .map_err(|e| fail("cannot create a temporary file", &e))?;
    let tmp_path = tmp.path().to_path_buf();
    track(&tmp_path, true);
    drop(creating);
    let result = (|| {
        tmp.write_all(bytes).map_err(|e| fail("write failed", &e))?;
        if mode != 0o666 {
            // An existing file keeps its own mode.
            std::fs::set_permissions(&tmp_path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| fail("cannot set the permissions", &e))?;
        }
        tmp.persist(path)
            .map_err(|e| fail("rename failed", &e.error))?;
        Ok(())
    })();
    track(&tmp_path, false);
    result
}

/// A lock on an output folder, so two runs never mix their editions in one folder. The lock
/// file holds the pid; a lock whose process is gone is taken over.
#[derive(Debug)]
pub struct DirLock {
    path: std::path::PathBuf,
}

static LOCKS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

impl DirLock {
    pub const NAME: &'static str = ".vanban.lock";

    pub fn acquire(dir: &Path) -> Result<DirLock, Diagnostic> {
        let path = dir.join(Self::NAME);
        std::fs::create_dir_all(dir).map_err(|e| {
            Diagnostic::error(
                "output",
                format!("cannot create {}: {e}", crate::diag::display_path(dir)),
            )
            .hint(io_hint(&e))
        })?;
        // The lock is linked into place fully written, so its content is always a whole pid,
        // and it is registered before it exists, so a signal at any moment finds it.
        let own = std::process::id().to_string();
        let staged = dir.join(format!("{TMP_PREFIX}{own}-lock{TMP_SUFFIX}"));
        let Some(creating) = may_create() else {
            return Err(Diagnostic::error("output", "the run was interrupted").in_file(dir));
        };
        track(&staged, true);
        if let Err(e) = std::fs::write(&staged, &own) {
            track(&staged, false);
            return Err(Diagnostic::error(
                "output",
                format!("cannot write into {}: {e}", crate::diag::display_path(dir)),
            )
            .hint(io_hint(&e)));
        }
        drop(creating);
        // The whole take-over happens under the registry's mutex, which the signal handler
        // takes too: a lock is either made and registered before the handler looks, or not
        // made at all once it has.
        let result = match LOCKS.lock() {
            Ok(mut l) if !STOPPING.load(std::sync::atomic::Ordering::SeqCst) => {
                let r = Self::link(&path, &staged, dir);
                if r.is_ok() {
                    l.push(path.clone());
                }
                r
            }
            _ => Err(Diagnostic::error("output", "the run was interrupted").in_file(dir)),
        };
        let _ = std::fs::remove_file(&staged);
        track(&staged, false);
        result
    }

    fn link(path: &Path, staged: &Path, dir: &Path) -> Result<DirLock, Diagnostic> {
        let held = |pid: &str| {
            Diagnostic::error(
                "output",
                format!(
                    "another vanban run (process {pid}) is writing into {}",
                    crate::diag::display_path(dir)
                ),
            )
            .in_file(dir)
            .hint("wait for it to finish, or write into another folder with --out-dir")
        };
        for _ in 0..2 {
            match std::fs::hard_link(staged, path) {
                Ok(()) => {
                    return Ok(DirLock {
                        path: path.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = std::fs::read_to_string(path).unwrap_or_default();
                    match pid.trim().parse::<u32>() {
                        Ok(p) if pid_alive(p) && p != std::process::id() => {
                            return Err(held(pid.trim()))
                        }
                        // A stale lock of a killed run (or an unreadable one): take it over.
                        _ => {
                            let _ = std::fs::remove_file(path);
                        }
                    }
                }
                Err(e) => {
                    return Err(Diagnostic::error(
                        "output",
                        format!("cannot lock {}: {e}", crate::diag::display_path(dir)),
                    )
                    .hint(io_hint(&e)))
                }
            }
        }
        Err(held("?"))
    }

    /// Removes every lock this process holds (signal handler); a lock whose file names
    /// another process is not ours and stays.
    pub fn release_all() {
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
        let own = std::process::id().to_string();
        // Held until the process exits: no lock is made after this.
        let guard = LOCKS.lock();
        let list = guard.as_ref().map(|l| (*l).clone()).unwrap_or_default();
        for p in list {
            if std::fs::read_to_string(&p).is_ok_and(|c| c.trim() == own) {
                let _ = std::fs::remove_file(p);
            }
        }
        std::mem::forget(guard);
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Ok(mut l) = LOCKS.lock() {
            l.retain(|p| p != &self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_not_called_a_permission_problem() {
        let full = std::io::Error::from_raw_os_error(28);
        assert!(io_hint(&full).starts_with("the disk is full"));
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(io_hint(&denied).starts_with("check that the folder is writable"));
    }

    #[test]
    fn stale_temporary_files_of_dead_runs_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".vanban-999999999-abc.tmp");
        let mine = dir
            .path()
            .join(format!(".vanban-{}-abc.tmp", std::process::id()));
        let other = dir.path().join(".vanban-notapid.tmp");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        write_atomic(&dir.path().join("out.pdf"), b"%PDF").unwrap();
        assert!(!dead.exists(), "a dead run's file goes");
        assert!(
            mine.exists() && other.exists(),
            "what may still be written stays"
        );
    }
}
