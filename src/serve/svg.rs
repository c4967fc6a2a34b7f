//! Makes typst-svg's page SVG cheap for a browser to show, without changing what it shows.
//!
//! typst-svg writes every glyph once as a `<symbol>` and every glyph on the page as a `<use>`
//! of it (about 1,700 on a page of the seed plan). Chromium builds a shadow tree for each
//! `<use>`, and that, not the transfer, is most of the time between an edit's response and the
//! new page on screen (measured: ~80–100 ms for such a page on the 2-core build machine, ~35 ms
//! for the compacted one). [`compact`] writes each run of text as one `<path>`: the glyph
//! outlines of the run placed where the `<use>`s put them. The outlines are typst-svg's own;
//! their coordinates are written as whole thousandths of a point (0.35 µm, far below a pixel at
//! any zoom), every point within 0.001 pt of typst-svg's (the rounding error is carried along
//! an outline, not accumulated).
//! Anything not of that shape (strokes on text, gradients, image glyphs) is left as it is.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// One glyph outline: typst-svg writes `M 0 0` and then relative commands only. Kept as those
/// commands in whole thousandths of a point, written once a glyph: each use of the glyph then
/// costs a copy and its `M x y`.
struct Outline {
    rel: String,
}

impl Outline {
    /// Parses `M 0 0` followed by relative `m l h v c q Z` commands; anything else is `None`
    /// (the glyph then stays a `<use>`).
    fn parse(d: &str) -> Option<Outline> {
        let rest = d.trim_start().strip_prefix("M 0 0")?;
        let mut cmds: Vec<(u8, Vec<f64>)> = Vec::new();
        // typst-svg writes `0.53q 0.52 …`: a command letter may follow a number directly.
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c.is_ascii_alphabetic() {
                if !b"mlhvcqZz".contains(&c) {
                    return None;
                }
                cmds.push((c, Vec::new()));
                i += 1;
            } else {
                let start = i;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !bytes[i].is_ascii_alphabetic()
                {
                    i += 1;
                }
                let n: f64 = rest.get(start..i)?.parse().ok()?;
                if !n.is_finite() {
                    return None;
                }
                cmds.last_mut()?.1.push(n);
            }
        }
        let arity = |c: u8| match c {
            b'm' | b'l' => 2,
            b'h' | b'v' => 1,
            b'c' => 6,
            b'q' => 4,
            _ => 0,
        };
        // SVG lets a command repeat its arguments; typst-svg writes one set a command.
        if !cmds.iter().all(|(c, a)| a.len() == arity(*c)) {
            return None;
        }
        Some(Outline {
            rel: Self::milli(&cmds),
        })
    }

    /// The commands in thousandths of a point, from an origin at (0, 0), with the rounding
    /// error carried from point to point: every point within 0.0005 pt of the exact one.
    fn milli(cmds: &[(u8, Vec<f64>)]) -> String {
        let milli = |v: f64| (v * 1000.0).round() as i64;
        let mut out = String::new();
        // The exact current point, the written (rounded) one, and the subpath's start of both.
        let (mut px, mut py) = (0.0, 0.0);
        let (mut rx, mut ry) = (0i64, 0i64);
        let (mut sx, mut sy, mut srx, mut sry) = (px, py, rx, ry);
        for (c, a) in cmds {
            let c = *c;
            out.push(c as char);
            // Relative to the current point: each coordinate written as the rounded absolute
            // minus the rounded current point.
            let pair = |out: &mut String, dx: f64, dy: f64| {
                num(out, milli(px + dx) - rx);
                num(out, milli(py + dy) - ry);
            };
            match c {
                b'm' | b'l' => {
                    pair(&mut out, a[0], a[1]);
                    px += a[0];
                    py += a[1];
                }
                b'h' => {
                    num(&mut out, milli(px + a[0]) - rx);
                    px += a[0];
                }
                b'v' => {
                    num(&mut out, milli(py + a[0]) - ry);
                    py += a[0];
                }
                b'c' => {
                    pair(&mut out, a[0], a[1]);
                    pair(&mut out, a[2], a[3]);
                    pair(&mut out, a[4], a[5]);
                    px += a[4];
                    py += a[5];
                }
                b'q' => {
                    pair(&mut out, a[0], a[1]);
                    pair(&mut out, a[2], a[3]);
                    px += a[2];
                    py += a[3];
                }
                _ => {
                    // Z: back to the subpath's start.
                    (px, py, rx, ry) = (sx, sy, srx, sry);
                    continue;
                }
            }
            rx = milli(px);
            ry = milli(py);
            if c == b'm' {
                (sx, sy, srx, sry) = (px, py, rx, ry);
            }
        }
        out
    }

    /// Appends the outline with its origin at (x, y) rounded to a thousandth of a point (so a
    /// point is within 0.001 pt of typst-svg's: 0.35 µm, far below a pixel at any zoom).
    fn write(&self, out: &mut String, x: f64, y: f64) {
        out.push('M');
        num(out, (x * 1000.0).round() as i64);
        num(out, (y * 1000.0).round() as i64);
        out.push_str(&self.rel);
    }
}

/// Writes v (thousandths of a point) as an integer: the path is drawn at `scale(.001)`.
/// Integers are about 40 % shorter than decimals, and parsing the path data is most of what
/// the browser spends on the page. A minus sign separates numbers by itself.
fn num(out: &mut String, v: i64) {
    if v >= 0 && !out.ends_with(|c: char| c.is_ascii_alphabetic()) {
        out.push(' ');
    }
    if v < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        out.push(*d as char);
    }
}

/// The value of an attribute of one tag's text; `key` is ` name="` (leading space, quote).
fn attr<'a>(tag: &'a str, key: &str) -> Option<&'a str> {
    let at = tag.find(key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(&tag[at..at + len])
}

/// The compacted SVG: every `<g transform=…>` that holds only plain filled glyph `<use>`s
/// becomes that `<g>` with one `<path>`; symbols no longer used are dropped. Returns the input
/// unchanged when it is not laid out as typst-svg writes it.
pub fn compact(svg: &str) -> String {
    let Some(defs_at) = svg.find("<defs>") else {
        return svg.to_string();
    };
    // The glyph symbols: <symbol id="ID" overflow="visible"><path d="D"/></symbol>.
    let mut outlines: HashMap<&str, Outline> = HashMap::new();
    let mut rest = &svg[defs_at..];
    while let Some(at) = rest.find("<symbol id=\"") {
        rest = &rest[at..];
        let Some(end) = rest.find("</symbol>") else {
            break;
        };
        let sym = &rest[..end];
        rest = &rest[end..];
        let (Some(id), Some(d)) = (attr(sym, " id=\""), sym.split("<path d=\"").nth(1)) else {
            continue;
        };
        let Some(d) = d.strip_suffix("\"/>") else {
            continue;
        };
        if let Some(o) = Outline::parse(d) {
            outlines.insert(id, o);
        }
    }
    let body = &svg[..defs_at];
    let mut out = String::with_capacity(svg.len());
    let mut pos = 0;
    while let Some(rel) = body[pos..].find("<g transform=\"") {
        let start = pos + rel;
        out.push_str(&body[pos..start]);
        let Some(head_len) = body[start..].find('>') else {
            pos = start;
            break;
        };
        let head = &body[start..=start + head_len];
        let inner_at = start + head_len + 1;
        match glyph_run(&body[inner_at..], &outlines) {
            Some((uses, fill, len)) => {
                out.push_str(head);
                let _ = write!(out, "<path fill=\"{fill}\" transform=\"scale(.001)\" d=\"");
                for (id, x, y) in uses {
                    if let Some(o) = outlines.get(id) {
                        o.write(&mut out, x, y);
                    }
                }
                out.push_str("\"/></g>");
                pos = inner_at + len;
            }
            None => {
                out.push_str(head);
                pos = inner_at;
            }
        }
    }
    out.push_str(&body[pos..]);
    // The references left (glyphs kept as <use>, clip paths): their definitions stay.
    let mut used: HashSet<String> = HashSet::new();
    let mut refs = out.as_str();
    while let Some(at) = refs.find("href=\"#") {
        refs = &refs[at + 7..];
        if let Some(end) = refs.find('"') {
            used.insert(refs[..end].to_string());
        }
    }
    let defs = &svg[defs_at..];
    let mut d = defs;
    while let Some(at) = d.find("<symbol id=\"") {
        out.push_str(&d[..at]);
        d = &d[at..];
        let end = d
            .find("</symbol>")
            .map_or(d.len(), |e| e + "</symbol>".len());
        let keep = attr(&d[..end], " id=\"").is_none_or(|id| used.contains(id));
        if keep {
            out.push_str(&d[..end]);
        }
        d = &d[end..];
    }
    out.push_str(d);
    match out.find("<defs></defs>") {
        Some(at) => {
            out.replace_range(at..at + "<defs></defs>".len(), "");
            out
        }
        None => out,
    }
}

/// One text run: its glyphs (symbol id, x, y), its one fill, and the bytes it took.
type Run<'a> = (Vec<(&'a str, f64, f64)>, &'a str, usize);

/// The glyph `<use>`s of one text run up to its `</g>`: (symbol, x, y) each, the one fill, and
/// the length consumed (through `</g>`). `None` when the group holds anything else.
fn glyph_run<'a>(s: &'a str, outlines: &HashMap<&str, Outline>) -> Option<Run<'a>> {
    let mut uses = Vec::new();
    let mut fill: Option<&str> = None;
    let mut at = 0;
    loop {
        let t = &s[at..];
        if t.starts_with("</g>") {
            return (!uses.is_empty()).then(|| (uses, fill.unwrap_or("#000000"), at + 4));
        }
        if !t.starts_with("<use ") {
            return None;
        }
        let end = t.find("/>")?;
        let tag = &t[..end];
        // Exactly xlink:href, x, y, fill (a plain colour) and fill-rule="nonzero".
        if tag.matches('=').count() != 5 || attr(tag, " fill-rule=\"") != Some("nonzero") {
            return None;
        }
        let id = attr(tag, " xlink:href=\"")?.strip_prefix('#')?;
        let x: f64 = attr(tag, " x=\"")?.parse().ok()?;
        let y: f64 = attr(tag, " y=\"")?.parse().ok()?;
        let f = attr(tag, " fill=\"")?;
        if !f.starts_with('#') || fill.is_some_and(|g| g != f) || !outlines.contains_key(id) {
            return None;
        }
        fill = Some(f);
        uses.push((id, x, y));
        at += end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_uses_becomes_one_path() {
        let svg = "<svg><g transform=\"matrix(1 0 0 -1 10 20)\"><use xlink:href=\"#gA\" x=\"0\" y=\"0\" fill=\"#000000\" fill-rule=\"nonzero\"/><use xlink:href=\"#gA\" x=\"5.1234567\" y=\"0\" fill=\"#000000\" fill-rule=\"nonzero\"/></g><defs><symbol id=\"gA\" overflow=\"visible\"><path d=\"M 0 0m 1.0004 2 l 0.0004 0.0004 h 0.0004 Z \"/></symbol></defs></svg>";
        let c = compact(svg);
        assert_eq!(
            c,
            "<svg><g transform=\"matrix(1 0 0 -1 10 20)\"><path fill=\"#000000\" transform=\"scale(.001)\" d=\"M0 0m1000 2000l1 0h0ZM5123 0m1000 2000l1 0h0Z\"/></g></svg>"
        );
    }

    #[test]
    fn anything_else_is_left_alone() {
        let svg = "<svg><g transform=\"matrix(1 0 0 -1 10 20)\"><use xlink:href=\"#gA\" x=\"0\" y=\"0\" fill=\"#000000\" fill-rule=\"nonzero\" stroke=\"#ff0000\"/></g><defs><symbol id=\"gA\" overflow=\"visible\"><path d=\"M 0 0m 1 2 Z \"/></symbol></defs></svg>";
        assert_eq!(compact(svg), svg);
        assert_eq!(compact("<svg/>"), "<svg/>");
    }
}
