//! `vanban new --from PLAN OUT.toml`: the starting point of a derived plan. It extends the
//! parent and lists, marked «điền: …», the fields every deriving office must change; `check`
//! and `build` refuse the plan until no marker is left.

use std::path::{Component, Path, PathBuf};

use crate::diag::{display_path, Diagnostic};
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

pub fn scaffold(parent_path: &Path, out: &Path) -> Result<String, Diagnostic> {
    let file = plan::read_source(parent_path)?;
    let layer = plan::parse_layer(&file)?;
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
        "# Derived from {} by `vanban new`.\n# Fill in every field marked «điền»; everything not set here comes from the parent plan.\n# Sections can be changed by id: [[sections]] id = \"...\" with title/text, remove = true, or after/before.\n",
        display_path(parent_path)
    ));
    s.push_str(&format!("extends = {}\n\n", toml_str(&rel)));
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
    let text = scaffold(parent_path, out)?;
    crate::export::write_atomic(out, text.as_bytes())
}
