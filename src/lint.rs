//! Warnings about a plan that would still build but embarrass a signed document.

use crate::diag::Diagnostic;
use crate::plan::{Plan, Text};

/// Every text field of a plan with its name.
pub fn texts(plan: &Plan) -> Vec<(String, &Text)> {
    let mut v: Vec<(String, &Text)> = vec![
        ("title".into(), &plan.title),
        ("basis".into(), &plan.basis),
        ("closing".into(), &plan.closing),
        ("date".into(), &plan.date),
        ("issuer.place".into(), &plan.place),
        ("signer.title".into(), &plan.signer_title),
        ("signer.name".into(), &plan.signer_name),
    ];
    for t in &plan.name {
        v.push(("issuer.name".into(), t));
    }
    for s in &plan.sections {
        let id = s.id.clone().unwrap_or_default();
        v.push((format!("sections[{id}].title"), &s.title));
        v.push((format!("sections[{id}].text"), &s.text));
    }
    for t in &plan.to {
        v.push(("recipients.to".into(), t));
    }
    v
}

pub fn lint(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    stale_year(plan, &mut out);
    out
}

/// A literal edition year in plan text goes stale next year: `--set year=2025` would not
/// change it.
fn stale_year(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(year) = plan.vars.get("year").and_then(|v| v.as_integer()) else {
        return;
    };
    let y = year.to_string();
    for (field, t) in texts(plan) {
        let v = &t.value;
        let mut from = 0;
        while let Some(i) = v[from..].find(&y) {
            let at = from + i;
            from = at + y.len();
            let before = v[..at].chars().last();
            let after = v[at + y.len()..].chars().next();
            // Part of a longer number, a date (13/3/2024), or a range (2023-2030): not the edition.
            let digitish =
                |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '/' || c == '-');
            if digitish(before) || digitish(after) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    "stale-year",
                    format!("`{field}` has the literal year {y}, which is the edition year"),
                )
                .at_opt(t.loc_at(at))
                .hint("write {{ year }} so --set year=… updates it next year"),
            );
        }
    }
}
