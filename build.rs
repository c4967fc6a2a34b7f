//! Embeds every file of `templates/` (the Decree-30 core and one folder per layout) in the
//! binary, so adding a layout folder needs no Rust change and a fresh machine needs no files.

use std::fmt::Write as _;
use std::path::Path;

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            // Fixture tests live beside a layout but are not part of it.
            if name != "tests" {
                walk(&path, &rel_name, out);
            }
        } else if name.ends_with(".typ") || name.ends_with(".toml") || name.ends_with(".xml") {
            out.push(rel_name);
        }
    }
}

fn main() {
    // Read at run time: a build script compiled in another checkout that shares the target
    // folder must still read this one's templates.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("templates");
    println!("cargo:rerun-if-changed=templates");
    let mut files = Vec::new();
    walk(&root, "", &mut files);
    // A binary without its layouts would build nothing: fail the build instead.
    assert!(
        files.iter().any(|f| f == "nd30.typ"),
        "no templates/nd30.typ under {}",
        root.display()
    );
    let mut code = String::from("/// Every built-in template file: (path under templates/, text).\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        let _ = writeln!(
            code,
            "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/\", {f:?}))),"
        );
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_templates.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
