//! Signing-ready output. The leader signs first (a visible signature image between title and
//! name), then the records clerk applies the organisation's certificate: "thêm số", "thêm
//! ngày", "đóng dấu" (Decree 30, Phụ lục I II.7–II.8, Art. 15). This module tells signing
//! tools where each stamp goes (a manifest read back from the typeset document, never
//! recomputed), and can add empty signature fields there as one incremental update.

use std::collections::BTreeMap;

use serde::Serialize;
use typst::foundations::{Label, Selector, Value};
use typst::introspection::{Introspector, MetadataElem};
use typst::utils::PicoStr;
use typst_layout::PagedDocument;

use crate::diag::Diagnostic;

/// A rectangle in PDF points, origin bottom-left, as signing APIs take it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Zone {
    /// 1-based page.
    pub page: usize,
    /// `[x0, y0, x1, y1]`.
    pub rect: [f64; 4],
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub file: String,
    pub pages: usize,
    pub zones: BTreeMap<String, Zone>,
}

fn length_pt(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Length(l) => Some(l.abs.to_pt()),
        _ => None,
    }
}

/// The zones as typeset: every `metadata` labelled `<vanban-zone>` sits at the top-left corner
/// of its box and carries the box's name and size.
pub fn zones(doc: &PagedDocument) -> BTreeMap<String, Zone> {
    let mut out = BTreeMap::new();
    let Some(label) = Label::new(PicoStr::intern("vanban-zone")) else {
        return out;
    };
    let intro = doc.introspector();
    for content in intro.query(&Selector::Label(label)) {
        let Some(meta) = content.to_packed::<MetadataElem>() else {
            continue;
        };
        let Value::Dict(dict) = &meta.value else {
            continue;
        };
        let name = match dict.get("name") {
            Ok(Value::Str(s)) => s.to_string(),
            _ => continue,
        };
        let (Some(w), Some(h)) = (
            length_pt(dict.get("width").ok()),
            length_pt(dict.get("height").ok()),
        ) else {
            continue;
        };
        let Some(loc) = content.location() else {
            continue;
        };
        let Some(pos) = intro.position(loc) else {
            continue;
        };
        let page = pos.page.get();
        let page_h = doc
            .pages()
            .get(page - 1)
            .map(|p| p.frame.height().to_pt())
            .unwrap_or(0.0);
        let (x, y) = (pos.point.x.to_pt(), pos.point.y.to_pt());
        let r = |v: f64| (v * 100.0).round() / 100.0;
        out.insert(
            name,
            Zone {
                page,
                rect: [r(x), r(page_h - (y + h)), r(x + w), r(page_h - y)],
            },
        );
    }
    out
}

pub fn manifest(doc: &PagedDocument, file: &str) -> Manifest {
    let mut zones = zones(doc);
    // The year blank only exists when the plan has no year at all; signing tools stamp
    // number, day and month.
    zones.remove("year");
    Manifest {
        file: file.to_string(),
        pages: doc.pages().len(),
        zones,
    }
}

/// Field names per zone, as the clerk's signing tool shows them.
pub const FIELDS: [(&str, &str); 4] = [
    ("leader_signature", "SigLeader"),
    ("number", "VT_So"),
    ("day", "VT_Ngay"),
    ("seal", "VT_Dau"),
];

/// Appends empty signature fields (`SigLeader`, `VT_So`, `VT_Ngay`, `VT_Dau`) at the zones as one
/// incremental update: the bytes Typst wrote stay untouched, so a PDF/A identification and
/// anything computed over them remain valid.
pub fn add_signature_fields(
    pdf: &[u8],
    zones: &BTreeMap<String, Zone>,
) -> Result<Vec<u8>, Diagnostic> {
    use lopdf::{dictionary, IncrementalDocument, Object, ObjectId};
    let fail = |e: &dyn std::fmt::Display| {
        Diagnostic::error(
            "signature-fields",
            format!("cannot add signature fields: {e}"),
        )
    };
    let prev = lopdf::Document::load_mem(pdf).map_err(|e| fail(&e))?;
    let pages: BTreeMap<u32, ObjectId> = prev.get_pages();
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| fail(&e))?;
    let mut doc = IncrementalDocument::create_from(pdf.to_vec(), prev);
    let mut field_ids = Vec::new();
    let mut per_page: BTreeMap<ObjectId, Vec<ObjectId>> = BTreeMap::new();
    for (zone_name, field_name) in FIELDS {
        let Some(mut z) = zones.get(zone_name).copied() else {
            continue;
        };
        // "Thêm ngày" stamps day and month: its field spans both blanks.
        if zone_name == "day" {
            if let Some(m) = zones.get("month").filter(|m| m.page == z.page) {
                z.rect = [
                    z.rect[0].min(m.rect[0]),
                    z.rect[1].min(m.rect[1]),
                    z.rect[2].max(m.rect[2]),
                    z.rect[3].max(m.rect[3]),
                ];
            }
        }
        let Some(&page_id) = pages.get(&(z.page as u32)) else {
            continue;
        };
        let rect: Vec<Object> = z.rect.iter().map(|v| Object::Real(*v as f32)).collect();
        // An empty appearance stream: PDF/A wants every widget to have one.
        let ap = doc.new_document.add_object(lopdf::Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), Object::Real((z.rect[2] - z.rect[0]) as f32), Object::Real((z.rect[3] - z.rect[1]) as f32)],
            },
            Vec::new(),
        ));
        let id = doc.new_document.add_object(dictionary! {
            "Type" => "Annot",
            "Subtype" => "Widget",
            "FT" => "Sig",
            "T" => Object::string_literal(field_name),
            "Rect" => rect,
            "F" => 4,
            "P" => page_id,
            "AP" => dictionary! { "N" => ap },
        });
        field_ids.push(id);
        per_page.entry(page_id).or_default().push(id);
    }
    if field_ids.is_empty() {
        return Ok(pdf.to_vec());
    }
    // An object changed by the update is first copied into the new revision, then edited there.
    fn revised(
        doc: &mut IncrementalDocument,
        id: ObjectId,
    ) -> lopdf::Result<&mut lopdf::Dictionary> {
        doc.opt_clone_object_to_new_document(id)?;
        doc.new_document
            .get_object_mut(id)
            .and_then(Object::as_dict_mut)
    }
    for (page_id, ids) in per_page {
        let page = revised(&mut doc, page_id).map_err(|e| fail(&e))?;
        let mut annots = match page.get(b"Annots") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(_) => return Err(fail(&"a page's /Annots is not a plain array")),
            Err(_) => Vec::new(),
        };
        annots.extend(ids.into_iter().map(Object::Reference));
        page.set("Annots", annots);
    }
    let catalog = revised(&mut doc, catalog_id).map_err(|e| fail(&e))?;
    catalog.set(
        "AcroForm",
        dictionary! {
            "Fields" => field_ids.iter().map(|id| Object::Reference(*id)).collect::<Vec<_>>(),
            "SigFlags" => 1,
        },
    );
    let mut out = Vec::with_capacity(pdf.len() + 4096);
    doc.save_to(&mut out).map_err(|e| fail(&e))?;
    Ok(out)
}
