//! Word: `vanban build --format docx` ([`export`]) and `vanban import FILE.docx` ([`import`]).
//!
//! A .docx is a zip of XML parts. The body of `word/document.xml` is rendered by minijinja
//! from the layout folder's `docx.xml` on the shared macros of `templates/docx/core.xml`,
//! with the same context as `main.typ`; the other parts are fixed. Every element carries a
//! named paragraph style (`VBQuocHieu`, `VBTrichYeu`, `VBSection` …) and every layout field a
//! content control tagged with its plan key, so `import` reads vanban's own documents back
//! exactly and a clerk's edits keep their role.

pub mod export;
pub mod import;

/// Characters XML 1.0 does not allow in a document: C0 controls but TAB, LF, CR, and the
/// non-characters U+FFFE, U+FFFF. Surrogates cannot occur in a Rust string.
pub fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Escapes text for XML content and attribute values, dropping forbidden characters.
pub fn escape_xml(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if !xml_allowed(c) => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping_drops_forbidden_characters() {
        let mut s = String::new();
        escape_xml(&mut s, "a<b>&\"'\u{0}\u{7}\u{1b}[31m\u{FFFE}\tz");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;&apos;[31m\tz");
    }
}
