//! The .docx writer: minijinja renders the body from `templates/<layout>/docx.xml`, the fixed
//! parts come from `templates/docx/`, and the zip is written with a fixed timestamp and a
//! fixed part order, so the same plan gives the same bytes.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::LazyLock;

use minijinja::value::Value;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use crate::diag::Diagnostic;
use crate::render::Document;

/// The text width of the page in twips (A4 210 mm less 30 + 20 mm margins).
pub const TEXT_WIDTH: i64 = 9071;
/// The issuer column of the header and signer grids (62 mm), as in `nd30.typ`.
pub const LEFT_WIDTH: i64 = 3515;

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSerif-Bold.ttf");

static FACES: LazyLock<[Option<ttf_parser::Face<'static>>; 2]> = LazyLock::new(|| {
    [
        ttf_parser::Face::parse(REGULAR, 0).ok(),
        ttf_parser::Face::parse(BOLD, 0).ok(),
    ]
});

/// The advance width of a line of text in twips at `size` points, Liberation Serif (Times New
/// Roman metrics): what the rules under the issuer, the motto and the trích yếu are sized on.
pub fn text_width(text: &str, size: f64, bold: bool) -> i64 {
    let Some(face) = &FACES[usize::from(bold)] else {
        // Without the face, an average Times glyph.
        return (text.chars().count() as f64 * size * 0.5 * 20.0) as i64;
    };
    let upem = f64::from(face.units_per_em());
    let mut units = 0.0;
    for c in text.chars() {
        units += face
            .glyph_index(c)
            .and_then(|g| face.glyph_hor_advance(g))
            .map(f64::from)
            .unwrap_or(upem / 2.0);
    }
    (units / upem * size * 20.0).round() as i64
}

/// The environment for Word templates: `.xml` templates escape every value for XML.
pub fn docx_env(project_templates: Option<PathBuf>) -> Environment<'static> {
    // The same step limit as the Typst templates: a project's docx.xml is code too.
    let mut env = crate::render::escaping_env("xml", false, |out, value| {
        if !(value.is_none() || value.is_undefined()) {
            super::escape_xml(out, &value.to_string());
        }
        Ok(())
    });
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.add_function("width", |text: Value, size: f64, bold: bool| -> i64 {
        if text.is_none() || text.is_undefined() {
            return 0;
        }
        text_width(&text.to_string(), size, bold)
    });
    env.set_unknown_method_callback(py_methods);
    // Bookmark ids, numbered in document order: one environment renders one document.
    let ids = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    env.add_function("bm_id", move || {
        ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    });
    env.add_global("TEXTW", TEXT_WIDTH);
    env.add_global("LEFTW", LEFT_WIDTH);
    env.add_filter("upper", |v: String| crate::vietnamese::upper(&v));
    env.add_filter("lower_first", |v: String| {
        let mut cs = v.chars();
        match cs.next() {
            Some(c) => c.to_lowercase().collect::<String>() + cs.as_str(),
            None => v,
        }
    });
    env.add_filter("upper_first", |v: String| {
        let mut cs = v.chars();
        match cs.next() {
            Some(c) => c.to_uppercase().collect::<String>() + cs.as_str(),
            None => v,
        }
    });
    env.set_loader(move |name| {
        if let Some(dir) = &project_templates {
            if let Some(path) = crate::render::template_path(dir, name).filter(|p| p.is_file()) {
                return crate::plan::read_limited(&path)
                    .map(Some)
                    .map_err(|d| minijinja::Error::new(ErrorKind::TemplateNotFound, d.message));
            }
        }
        Ok(crate::layout::builtin_file(name).map(str::to_string))
    });
    env
}

/// The few Python string and dict methods the Word templates use (`startswith`, `endswith`,
/// `rstrip`, `split`, `get`).
fn py_methods(
    _state: &mut minijinja::State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, minijinja::Error> {
    let arg = |i: usize| args.get(i).map(|a| a.to_string()).unwrap_or_default();
    if let Some(s) = value.as_str() {
        return match method {
            "startswith" => Ok(Value::from(s.starts_with(arg(0).as_str()))),
            "endswith" => Ok(Value::from(s.ends_with(arg(0).as_str()))),
            "rstrip" => {
                let chars: Vec<char> = arg(0).chars().collect();
                Ok(Value::from(s.trim_end_matches(&chars[..])))
            }
            "split" => Ok(Value::from(
                s.split(arg(0).as_str())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )),
            _ => Err(minijinja::Error::from(ErrorKind::UnknownMethod)),
        };
    }
    if method == "get" {
        let v = value.get_item(args.first().unwrap_or(&Value::UNDEFINED))?;
        return Ok(if v.is_undefined() {
            args.get(1).cloned().unwrap_or(Value::from(()))
        } else {
            v
        });
    }
    Err(minijinja::Error::from(ErrorKind::UnknownMethod))
}

/// The body of `word/document.xml` for a document of `layout`.
pub fn body_xml(
    doc: &Document,
    layout: &str,
    project_templates: Option<PathBuf>,
) -> Result<String, Diagnostic> {
    let env = docx_env(project_templates);
    let name = format!("{layout}/docx.xml");
    let tmpl = env.get_template(&name).map_err(|e| {
        if e.kind() == ErrorKind::TemplateNotFound {
            Diagnostic::error(
                "docx",
                format!("the layout `{layout}` has no Word template ({name})"),
            )
            .hint("add templates/<layout>/docx.xml on the macros of templates/docx/core.xml")
        } else {
            template_diag(&e, &name)
        }
    })?;
    tmpl.render(crate::render::template_context(doc))
        .map_err(|e| template_diag(&e, &name))
}

fn template_diag(e: &minijinja::Error, name: &str) -> Diagnostic {
    let mut msg = format!(
        "Word template `{}`: {}",
        e.name().unwrap_or(name),
        e.detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string())
    );
    if let Some(line) = e.line() {
        msg.push_str(&format!(" (line {line})"));
    }
    Diagnostic::error("docx", msg)
}

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape""#;

fn header_part(page_number: bool) -> String {
    let body = if page_number {
        r#"<w:p><w:pPr><w:pStyle w:val="VBPageNumber"/></w:pPr><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>"#
    } else {
        r#"<w:p><w:pPr><w:pStyle w:val="VBPageNumber"/></w:pPr></w:p>"#
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:hdr {NS}>{body}</w:hdr>\n"
    )
}

fn core_props(doc: &Document) -> String {
    let mut title = String::new();
    super::escape_xml(&mut title, &doc.meta.title);
    let mut author = String::new();
    super::escape_xml(&mut author, &doc.meta.author);
    let mut subject = String::new();
    super::escape_xml(&mut subject, &doc.meta.subject);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{title}</dc:title><dc:creator>{author}</dc:creator><dc:subject>{subject}</dc:subject><dc:language>vi-VN</dc:language></cp:coreProperties>\n"
    )
}

/// What a model may not print but a plan needs (a Biên bản has no place line and no [signer]
/// block), as custom document properties `vanban.*`, shown by Word under File › Properties.
fn custom_props(doc: &Document) -> String {
    let props = [
        ("vanban.place", doc.issuer.place.clone()),
        (
            "vanban.date",
            match (&doc.date.year, &doc.date.month, &doc.date.day) {
                (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
                (Some(y), _, _) => y.clone(),
                _ => String::new(),
            },
        ),
        ("vanban.signer.authority", doc.signer.authority.join("\n")),
        ("vanban.signer.title", doc.signer.title.clone()),
        ("vanban.signer.name", doc.signer.name.clone()),
    ];
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">");
    for (i, (name, value)) in props.iter().enumerate() {
        let mut v = String::new();
        super::escape_xml(&mut v, value);
        s.push_str(&format!(
            "<property fmtid=\"{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}\" pid=\"{}\" name=\"{name}\"><vt:lpwstr>{v}</vt:lpwstr></property>",
            i + 2
        ));
    }
    s.push_str("</Properties>\n");
    s
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/><Override PartName="/word/header2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>
"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>
"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rIdHeaderDefault" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/><Relationship Id="rIdHeaderFirst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header2.xml"/></Relationships>
"#;

const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:defaultTabStop w:val="567"/><w:characterSpacingControl w:val="doNotCompress"/><w:themeFontLang w:val="vi-VN"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>
"#;

/// The .docx of a document: the parts in a fixed order, each deflated, all dated 1980-01-01.
pub fn docx(
    doc: &Document,
    layout: &str,
    project_templates: Option<PathBuf>,
) -> Result<Vec<u8>, Diagnostic> {
    let body = body_xml(doc, layout, project_templates)?;
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {NS}><w:body>{body}</w:body></w:document>\n"
    );
    let styles = crate::layout::builtin_file("docx/styles.xml").unwrap_or_default();
    let parts: [(&str, String); 10] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("docProps/core.xml", core_props(doc)),
        ("docProps/custom.xml", custom_props(doc)),
        ("word/_rels/document.xml.rels", DOC_RELS.to_string()),
        ("word/document.xml", document),
        ("word/styles.xml", styles.to_string()),
        ("word/settings.xml", SETTINGS.to_string()),
        ("word/header1.xml", header_part(true)),
        ("word/header2.xml", header_part(false)),
    ];
    zip_parts(&parts)
}

/// Writes parts into a zip: deflate, the DOS epoch as every timestamp, given order.
pub fn zip_parts(parts: &[(&str, String)]) -> Result<Vec<u8>, Diagnostic> {
    let err = |e: &dyn std::fmt::Display| {
        Diagnostic::error("docx", format!("writing the .docx failed: {e}"))
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, text) in parts {
        w.start_file(*name, opts).map_err(|e| err(&e))?;
        w.write_all(text.as_bytes()).map_err(|e| err(&e))?;
    }
    let cursor = w.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}
