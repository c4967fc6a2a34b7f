//! `vanban new --from PLAN OUT.toml`: the starting point of a derived plan. It extends the
//! parent and lists, marked «điền: …», the fields every deriving office must change; `check`
//! and `build` refuse the plan until no marker is left.

use std::path::{Component, Path, PathBuf};

use crate::diag::{display_path, Diagnostic};
use crate::layout::{BasisPolicy, FieldSpec, Kind, Layout, Layouts, Policy};
use crate::plan::{self, absolute, RawPlan};

/// The path of `target` relative to the folder `from` (both absolute, normalised).
pub fn relative(target: &Path, from: &Path) -> PathBuf {
    let t: Vec<Component> = target.components().collect();
    let f: Vec<Component> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

pub fn scaffold(parent_path: &Path, out: &Path, layouts: &Layouts) -> Result<String, Diagnostic> {
    let file = plan::read_source(parent_path)?;
    let layer = plan::parse_layer(&file, layouts).map_err(first)?;
    let raw: &RawPlan = &layer.raw;
    let rel = relative(
        &absolute(parent_path),
        &absolute(out)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    );
    let rel = rel.to_string_lossy().replace('\\', "/");
    let first_name = raw
        .issuer
        .as_ref()
        .and_then(|i| i.name.as_ref())
        .and_then(|n| match n.get_ref() {
            toml::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_string),
            toml::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "Ủy ban nhân dân".to_string());
    let mut s = String::new();
    s.push_str(&format!(
        "# Derived from {} by `vanban new`. Fill in every field marked «điền»; everything not set here\n# comes from the parent plan. Sections change by id: [[sections]] id = \"...\" with title/text, remove = true, or after/before.\n",
        display_path(parent_path)
    ));
    s.push_str(&format!("extends = {}\n", toml_str(&rel)));
    // The parent's number and date are its own issue: the derived document is a new draft.
    s.push_str("number = \"\"\n");
    let has_year = layer.tree.get("vars").and_then(|v| v.get("year")).is_some();
    s.push_str(if has_year {
        "date = \"{{ year }}\"\n"
    } else {
        "date = \"«điền: năm ban hành, ví dụ 2025»\"\n"
    });
    s.push_str("[issuer]\n");
    s.push_str(&format!(
        "name = [{}, \"«điền: tên đơn vị, ví dụ huyện Krông Pắc hoặc xã Ea Tu»\"]\n",
        toml_str(&first_name)
    ));
    s.push_str("place = \"«điền: địa danh của dòng ngày tháng»\"\n\n");
    s.push_str("[signer]\n");
    s.push_str("authority = [\"KT. Chủ tịch\"]\n");
    s.push_str("title = \"«điền: chức vụ người ký, ví dụ Phó Chủ tịch»\"\n");
    s.push_str("name = \"«điền: họ và tên người ký»\"\n\n");
    s.push_str("[recipients]\n");
    s.push_str("to = [\"«điền: nơi nhận, mỗi nơi một dòng»\"]\n");
    s.push_str("archive = [\"VT\"]\n");
    Ok(s)
}

fn first(mut d: Vec<Diagnostic>) -> Diagnostic {
    if d.is_empty() {
        Diagnostic::error("toml", "the plan cannot be read")
    } else {
        d.swap_remove(0)
    }
}

fn marker(what: &str) -> String {
    toml_str(&format!("«điền: {what}»"))
}

/// A value for a layout field: its `example`, else a marker naming what to write.
fn field_value(key: &str, f: &FieldSpec) -> String {
    if let Some(e) = &f.example {
        return e.to_string();
    }
    let what = if f.doc.is_empty() {
        key.to_string()
    } else {
        f.doc.clone()
    };
    match f.kind {
        Kind::Int => "1".to_string(),
        Kind::Bool => "false".to_string(),
        Kind::Date => marker("ngày, dạng YYYY-MM-DD"),
        Kind::Lines => format!("[{}]", marker(&what)),
        Kind::Body => format!("\"\"\"\n«điền: {what}»\n\"\"\""),
        _ => marker(&what),
    }
}

/// `vanban new --type KEY`: a complete plan of any type, every value to write marked «điền».
pub fn for_type(key: &str, layouts: &Layouts) -> Result<String, Diagnostic> {
    let Some(d) = crate::doctype::lookup(key) else {
        let hint = match crate::diag::did_you_mean(key, crate::doctype::keys()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`vanban types` lists the types".to_string(),
        };
        return Err(
            Diagnostic::error("unknown-type", format!("unknown document type `{key}`")).hint(hint),
        );
    };
    let Some(layout) = layouts.for_type(key) else {
        return Err(Diagnostic::error(
            "type-not-built",
            format!("no layout lays out {}", d.name),
        ));
    };
    Ok(plan_text(d, layout))
}

fn plan_text(d: &crate::doctype::DocType, layout: &Layout) -> String {
    let spec = &layout.spec;
    let mut s = format!(
        "# {} ({}, Mẫu {}) — made by `vanban new --type {}`.\n# Replace every «điền: …»; `vanban check` lists those left.\n\n",
        d.name, spec.name, spec.model, d.key
    );
    s.push_str(&format!(
        "type = {}\nnumber = \"\"\ndate = \"{{{{ year }}}}\"\n",
        toml_str(d.key)
    ));
    if spec.title != Policy::None {
        s.push_str(&format!("title = {}\n", marker("trích yếu nội dung")));
    }
    match spec.addressees {
        Policy::Required => s.push_str(&format!(
            "addressees = [{}]\n",
            marker("nơi được gửi (Kính gửi)")
        )),
        Policy::Optional => {
            s.push_str("# addressees = [\"…\"]   # Kính gửi, when sent to a superior body\n")
        }
        Policy::None => {}
    }
    match spec.basis {
        BasisPolicy::List => s.push_str(&format!(
            "basis = [{}]\n",
            marker("Căn cứ …, mỗi căn cứ một dòng")
        )),
        BasisPolicy::Text | BasisPolicy::Any => {
            s.push_str(&format!("basis = {}\n", marker("căn cứ ban hành")))
        }
        BasisPolicy::None => {}
    }
    let mut tables = String::new();
    for (key, f) in &spec.fields {
        match f.kind {
            Kind::Table => {
                tables.push_str(&format!("\n[{key}]\n"));
                for (k, sub) in &f.fields {
                    if sub.required || sub.example.is_some() {
                        tables.push_str(&format!("{k} = {}\n", field_value(k, sub)));
                    }
                }
            }
            Kind::Articles | Kind::Sections => {
                for n in 1..=2 {
                    tables.push_str(&format!(
                        "\n[[{key}]]\nid = \"{}-{n}\"\ntext = {}\n",
                        if f.kind == Kind::Articles {
                            "dieu"
                        } else {
                            "muc"
                        },
                        marker(&format!(
                            "nội dung {} {n}",
                            if f.kind == Kind::Articles {
                                "Điều"
                            } else {
                                "mục"
                            }
                        ))
                    ));
                }
            }
            _ if f.required || f.example.is_some() => {
                s.push_str(&format!("{key} = {}\n", field_value(key, f)));
            }
            _ => {}
        }
    }
    if spec.closing {
        s.push_str(&format!(
            "closing = {}\n",
            marker("đoạn kết, kết thúc bằng ./.")
        ));
    }
    s.push_str("\n[vars]\nyear = 2024\n\n[issuer]\n");
    s.push_str(&format!(
        "name = [{}]\nabbrev = {}\nplace = {}\n",
        marker("tên cơ quan ban hành"),
        marker("chữ viết tắt, ví dụ UBND"),
        marker("địa danh")
    ));
    s.push_str(&tables);
    if spec.sections {
        s.push_str(&format!(
            "\n[[sections]]\nid = \"muc-1\"\ntitle = {}\ntext = {}\n",
            marker("tên mục"),
            marker("nội dung mục")
        ));
    }
    if spec.signer == Policy::Required {
        s.push_str(&format!(
            "\n[signer]\nauthority = [\"KT. Chủ tịch\"]\ntitle = {}\nname = {}\n",
            marker("chức vụ người ký"),
            marker("họ và tên người ký")
        ));
    }
    s.push_str(&format!(
        "\n[recipients]\nto = [{}]\narchive = [\"VT\"]\n",
        marker("nơi nhận")
    ));
    s
}

/// Writes a new plan of a type (`vanban new --type`).
pub fn write_type(key: &str, out: &Path, force: bool, layouts: &Layouts) -> Result<(), Diagnostic> {
    if out.exists() && !force {
        return Err(
            Diagnostic::error("output", format!("{} already exists", display_path(out)))
                .in_file(out)
                .hint("choose another name, or pass --force to overwrite"),
        );
    }
    let text = for_type(key, layouts)?;
    crate::export::write_atomic(out, text.as_bytes())
}

pub fn write(parent_path: &Path, out: &Path, force: bool) -> Result<(), Diagnostic> {
    if out.exists() && !force {
        return Err(
            Diagnostic::error("output", format!("{} already exists", display_path(out)))
                .in_file(out)
                .hint("choose another name, or pass --force to overwrite"),
        );
    }
    if absolute(out) == absolute(parent_path) {
        return Err(Diagnostic::error(
            "output",
            "the new plan would overwrite the plan it extends",
        )
        .in_file(out));
    }
    let layouts = Layouts::default();
    let text = scaffold(parent_path, out, &layouts)?;
    crate::export::write_atomic(out, text.as_bytes())
}
