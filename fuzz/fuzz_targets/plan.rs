//! Fuzzes the plan pipeline up to the generated Typst source.
//!
//! bytes → `source_from_bytes` → `parse_layer` → `load_layers` (root does not exist, so
//! `extends` fails fast without reading files) → `render::document` → `render::typst_source`,
//! and the generated source must parse as Typst without syntax errors: an error there means
//! plan text escaped from a string literal into code. Also `markup::parse` on the raw input and
//! the `render::typst_string` round trip. Nothing may panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use typst_syntax::ast;
use vanban::{markup, plan, render};

const ROOT: &str = "/nonexistent-vanban-root";
const PATH: &str = "/nonexistent-vanban-root/fuzz.toml";

/// `VANBAN_FUZZ_STAGE=1` prints how far each input got (to check a corpus reaches the end).
fn stage(name: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("VANBAN_FUZZ_STAGE").is_some()) {
        eprintln!("vanban-fuzz-stage: {name}");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // The body markup parser on anything.
    let _ = markup::parse(&text);
    let _ = markup::parse_articles(&text);

    // Any string as a Typst string literal: must parse, and give the same string back.
    check_string_literal(&text);

    // The plan pipeline.
    let Ok(file) = plan::source_from_bytes(Path::new(PATH), data.to_vec()) else {
        return stage("not-utf8");
    };
    let layouts = vanban::layout::Layouts::default();
    let Ok(layer) = plan::parse_layer(&file, &layouts) else {
        return stage("toml-error");
    };
    let Ok(plan) = plan::load_layers(layer, Path::new(ROOT), &[], &layouts) else {
        return stage("invalid-plan");
    };
    let text_env = render::text_env();
    let Ok(doc) = render::document(&plan, &text_env) else {
        return stage("document-error");
    };
    let env = render::doc_env(None);
    let Ok((src, _spans)) = render::typst_source(&env, &plan.template, &doc, None) else {
        return stage("template-error");
    };
    stage("typst-source");
    let root = typst_syntax::parse(&src);
    let (errors, _warnings) = root.errors_and_warnings();
    assert!(
        errors.is_empty(),
        "generated Typst source has syntax errors: {errors:#?}\n--- source ---\n{src}"
    );
});

fn check_string_literal(s: &str) {
    let mut lit = String::new();
    render::typst_string(&mut lit, s);
    let src = format!("#let x = {lit}\n");
    let root = typst_syntax::parse(&src);
    let (errors, _warnings) = root.errors_and_warnings();
    assert!(
        errors.is_empty(),
        "typst_string({s:?}) = {lit} does not parse: {errors:#?}"
    );
    // The literal's value is the string itself.
    let value = root
        .children()
        .find_map(|n| n.cast::<ast::LetBinding>())
        .and_then(|b| b.init())
        .and_then(|e| match e {
            ast::Expr::Str(lit) => Some(lit.get()),
            _ => None,
        });
    assert_eq!(
        value.as_deref(),
        Some(s),
        "typst_string({s:?}) = {lit} reads back differently"
    );
}
