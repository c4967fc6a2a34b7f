//! Reads facts back from the typeset document: where each text run and rule sits, its size
//! and weight. Tests assert the layout on these facts rather than on PDF bytes. (The signing
//! zones are read through Typst's introspector, in `sign`.)

use typst::layout::{Frame, FrameItem, Point, Transform};
use typst::text::FontStyle;
use typst::visualize::Geometry;
use typst_layout::PagedDocument;

/// A run of text as typeset. Coordinates in pt from the page's top-left corner.
#[derive(Debug, Clone)]
pub struct TextRun {
    /// 1-based page.
    pub page: usize,
    pub x: f64,
    /// Baseline.
    pub y: f64,
    pub width: f64,
    pub size: f64,
    pub bold: bool,
    pub italic: bool,
    pub text: String,
}

/// A straight rule (horizontal line shape).
#[derive(Debug, Clone)]
pub struct Rule {
    pub page: usize,
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub page_width: f64,
    pub page_height: f64,
    pub pages: usize,
    pub runs: Vec<TextRun>,
    pub rules: Vec<Rule>,
}

impl Layout {
    pub fn of(doc: &PagedDocument) -> Layout {
        let mut out = Layout::default();
        for (i, page) in doc.pages().iter().enumerate() {
            out.page_width = page.frame.width().to_pt();
            out.page_height = page.frame.height().to_pt();
            walk(&page.frame, Transform::identity(), i + 1, &mut out);
        }
        out.pages = doc.pages().len();
        out
    }

    /// Text placed outside its page (a block taller than the page, a word wider than it):
    /// (page, text) of every such run. Each page is measured by its own size, so a landscape
    /// page is judged as landscape.
    pub fn off_page(doc: &PagedDocument) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, page) in doc.pages().iter().enumerate() {
            let (w, h) = (page.frame.width().to_pt(), page.frame.height().to_pt());
            let mut one = Layout::default();
            walk(&page.frame, Transform::identity(), i + 1, &mut one);
            for r in one.runs {
                // A baseline below the page, or a run crossing its sides (1 pt of slack for the
                // optical overhang of punctuation).
                if r.y > h || r.y - r.size * 0.7 < 0.0 || r.x < -1.0 || r.x + r.width > w + 1.0 {
                    out.push((i + 1, r.text));
                }
            }
        }
        out
    }

    /// Runs of one page merged into lines (same baseline within 0.5 pt), left to right.
    pub fn lines(&self, page: usize) -> Vec<Line> {
        let mut runs: Vec<&TextRun> = self.runs.iter().filter(|r| r.page == page).collect();
        runs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let mut lines: Vec<Line> = Vec::new();
        for r in runs {
            match lines.last_mut() {
                Some(l) if (l.y - r.y).abs() < 0.5 => {
                    let gap = r.x - l.x1;
                    if gap > 0.5 && !l.text.ends_with(' ') && !r.text.starts_with(' ') {
                        l.text.push(' ');
                    }
                    l.text.push_str(&r.text);
                    l.x1 = l.x1.max(r.x + r.width);
                    l.runs.push(r.clone());
                }
                _ => lines.push(Line {
                    page,
                    y: r.y,
                    x0: r.x,
                    x1: r.x + r.width,
                    text: r.text.clone(),
                    runs: vec![r.clone()],
                }),
            }
        }
        lines
    }

    /// The first run whose text contains `needle`.
    pub fn find(&self, needle: &str) -> Option<&TextRun> {
        self.runs.iter().find(|r| r.text.contains(needle))
    }

    /// The shortest sequence of neighbouring runs on one baseline whose text contains
    /// `needle`: a header cell's line without the other cell that shares its baseline.
    pub fn find_line(&self, needle: &str) -> Option<Line> {
        for p in 1..=self.pages {
            for line in self.lines(p) {
                if !line.text.contains(needle) {
                    continue;
                }
                let n = line.runs.len();
                let mut best: Option<Line> = None;
                for i in 0..n {
                    for j in i..n {
                        let part = Line::from_runs(p, &line.runs[i..=j]);
                        if part.text.contains(needle) {
                            if best.as_ref().is_none_or(|b| part.runs.len() < b.runs.len()) {
                                best = Some(part);
                            }
                            break;
                        }
                    }
                }
                return best;
            }
        }
        None
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    pub page: usize,
    pub y: f64,
    pub x0: f64,
    pub x1: f64,
    pub text: String,
    pub runs: Vec<TextRun>,
}

impl Line {
    fn from_runs(page: usize, runs: &[TextRun]) -> Line {
        let mut l = Line {
            page,
            y: runs[0].y,
            x0: runs[0].x,
            x1: runs[0].x + runs[0].width,
            text: runs[0].text.clone(),
            runs: vec![runs[0].clone()],
        };
        for r in &runs[1..] {
            if r.x - l.x1 > 0.5 && !l.text.ends_with(' ') && !r.text.starts_with(' ') {
                l.text.push(' ');
            }
            l.text.push_str(&r.text);
            l.x1 = l.x1.max(r.x + r.width);
            l.runs.push(r.clone());
        }
        l
    }

    pub fn center(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }
}

/// Advance width without trailing spaces: a justified line's last run ends in a space that
/// hangs into the margin but draws nothing.
fn ink_width(t: &typst::text::TextItem) -> f64 {
    let trailing = t
        .text
        .chars()
        .rev()
        .take_while(|c| c.is_whitespace())
        .count();
    let n = t.glyphs.len().saturating_sub(trailing);
    t.glyphs[..n]
        .iter()
        .map(|g| g.x_advance.at(t.size).to_pt())
        .sum()
}

fn walk(frame: &Frame, ts: Transform, page: usize, out: &mut Layout) {
    for (pos, item) in frame.items() {
        let at = |p: Point| (p + *pos).transform(ts);
        match item {
            FrameItem::Group(g) => {
                let inner = Transform::translate(pos.x, pos.y).pre_concat(g.transform);
                walk(&g.frame, ts.pre_concat(inner), page, out);
            }
            FrameItem::Text(t) => {
                let p = at(Point::zero());
                let variant = t.font.font().info().variant;
                out.runs.push(TextRun {
                    page,
                    x: p.x.to_pt(),
                    y: p.y.to_pt(),
                    width: ink_width(t),
                    size: t.size.to_pt(),
                    bold: variant.weight.to_number() >= 600,
                    italic: variant.style != FontStyle::Normal,
                    text: t.text.to_string(),
                });
            }
            FrameItem::Shape(shape, _) => {
                if let Geometry::Line(to) = &shape.geometry {
                    let a = at(Point::zero());
                    let b = at(*to);
                    if (a.y - b.y).to_pt().abs() < 0.01 {
                        out.rules.push(Rule {
                            page,
                            x0: a.x.to_pt().min(b.x.to_pt()),
                            x1: a.x.to_pt().max(b.x.to_pt()),
                            y: a.y.to_pt(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}
