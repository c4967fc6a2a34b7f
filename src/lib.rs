// Diagnostics travel on the error path only; boxing them would cost clarity, not speed.
#![allow(clippy::result_large_err)]

//! vanban: Vietnamese administrative documents (Nghị định 30/2020/NĐ-CP) from TOML plans.
//!
//! Pipeline: [`plan`] (TOML layers, `extends`, validation, NFC) → [`render`] (plan texts as
//! minijinja templates, the document model, Typst source through `templates/`) →
//! [`typeset`] (typst in-process with our own `World`) → [`export`] (PDF, PNG).

pub mod batch;
pub mod diag;
pub mod doctype;
pub mod docx;
pub mod export;
pub mod inspect;
pub mod layout;
pub mod lint;
pub mod markup;
pub mod mojibake;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod serve;
pub mod sign;
pub mod tone;
pub mod tree;
pub mod typeset;
pub mod vietnamese;

pub use diag::{Diagnostic, Error, Severity};
