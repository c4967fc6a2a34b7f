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
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Png => "png",
            Format::Typ => "typ",
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

/// Writes `bytes` to `path` through a temporary file in the same folder, then renames: a
/// failed or interrupted build never leaves a half-written file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        Diagnostic::error(
            "output",
            format!(
                "cannot write {}: {what}: {e}",
                crate::diag::display_path(path)
            ),
        )
        .in_file(path)
        .hint("check that the folder is writable, or choose another with -o / --out-dir")
    };
    if path.is_dir() || path.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) {
        return Err(Diagnostic::error(
            "output",
            format!("{} is a folder", crate::diag::display_path(path)),
        )
        .in_file(path)
        .hint("give a file name with -o, or use --out-dir for a folder"));
    }
    std::fs::create_dir_all(&dir).map_err(|e| fail("cannot create the folder", &e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vanban-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| fail("cannot create a temporary file", &e))?;
    tmp.write_all(bytes).map_err(|e| fail("write failed", &e))?;
    tmp.persist(path)
        .map_err(|e| fail("rename failed", &e.error))?;
    Ok(())
}
