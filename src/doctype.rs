//! The 29 administrative document types of Decree 30 (Art. 7, Annex III §I) as data, so the
//! printed name, the symbol and the layout model come from one table instead of from code.

/// Which model of Annex III the decree gives the type; the layout folder that builds it is
/// found through `templates/*/layout.toml` (see [`crate::layout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Nghị quyết (Mẫu 1.1).
    M1_1,
    /// Quyết định (Mẫu 1.2 / 1.3).
    M1_2,
    /// The 17 types that share the Kế hoạch layout (Mẫu 1.4).
    M1_4,
    /// Công văn (Mẫu 1.5).
    M1_5,
    /// Công điện (Mẫu 1.6).
    M1_6,
    /// Giấy mời (Mẫu 1.7).
    M1_7,
    /// Giấy giới thiệu (Mẫu 1.8).
    M1_8,
    /// Biên bản (Mẫu 1.9).
    M1_9,
    /// Giấy nghỉ phép (Mẫu 1.10).
    M1_10,
    /// Types for which the decree gives no model (Hợp đồng, Bản ghi nhớ, …).
    None,
}

impl Model {
    pub fn label(self) -> &'static str {
        match self {
            Model::M1_1 => "Mẫu 1.1",
            Model::M1_2 => "Mẫu 1.2/1.3",
            Model::M1_4 => "Mẫu 1.4",
            Model::M1_5 => "Mẫu 1.5",
            Model::M1_6 => "Mẫu 1.6",
            Model::M1_7 => "Mẫu 1.7",
            Model::M1_8 => "Mẫu 1.8",
            Model::M1_9 => "Mẫu 1.9",
            Model::M1_10 => "Mẫu 1.10",
            Model::None => "no model in Annex III",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocType {
    /// Key used in plans (`type = "ke-hoach"`).
    pub key: &'static str,
    /// Name as printed in the title block.
    pub name: &'static str,
    /// Abbreviation in the symbol (`KH` in `KH-UBND`); empty for Công văn and Thư công.
    pub abbrev: &'static str,
    pub model: Model,
}

macro_rules! t {
    ($key:literal, $name:literal, $abbrev:literal, $model:ident) => {
        DocType {
            key: $key,
            name: $name,
            abbrev: $abbrev,
            model: Model::$model,
        }
    };
}

/// Decree 30, Art. 7 and Annex III §I, in the decree's order.
pub const TYPES: [DocType; 29] = [
    t!("nghi-quyet", "NGHỊ QUYẾT", "NQ", M1_1),
    t!("quyet-dinh", "QUYẾT ĐỊNH", "QĐ", M1_2),
    t!("chi-thi", "CHỈ THỊ", "CT", M1_4),
    t!("quy-che", "QUY CHẾ", "QC", M1_4),
    t!("quy-dinh", "QUY ĐỊNH", "QyĐ", M1_4),
    t!("thong-cao", "THÔNG CÁO", "TC", M1_4),
    t!("thong-bao", "THÔNG BÁO", "TB", M1_4),
    t!("huong-dan", "HƯỚNG DẪN", "HD", M1_4),
    t!("chuong-trinh", "CHƯƠNG TRÌNH", "CTr", M1_4),
    t!("ke-hoach", "KẾ HOẠCH", "KH", M1_4),
    t!("phuong-an", "PHƯƠNG ÁN", "PA", M1_4),
    t!("de-an", "ĐỀ ÁN", "ĐA", M1_4),
    t!("du-an", "DỰ ÁN", "DA", M1_4),
    t!("bao-cao", "BÁO CÁO", "BC", M1_4),
    t!("bien-ban", "BIÊN BẢN", "BB", M1_9),
    t!("to-trinh", "TỜ TRÌNH", "TTr", M1_4),
    t!("hop-dong", "HỢP ĐỒNG", "HĐ", None),
    t!("cong-van", "CÔNG VĂN", "", M1_5),
    t!("cong-dien", "CÔNG ĐIỆN", "CĐ", M1_6),
    t!("ban-ghi-nho", "BẢN GHI NHỚ", "BGN", None),
    t!("ban-thoa-thuan", "BẢN THỎA THUẬN", "BTT", None),
    t!("giay-uy-quyen", "GIẤY ỦY QUYỀN", "GUQ", M1_4),
    t!("giay-moi", "GIẤY MỜI", "GM", M1_7),
    t!("giay-gioi-thieu", "GIẤY GIỚI THIỆU", "GGT", M1_8),
    t!("giay-nghi-phep", "GIẤY NGHỈ PHÉP", "GNP", M1_10),
    t!("phieu-gui", "PHIẾU GỬI", "PG", M1_4),
    t!("phieu-chuyen", "PHIẾU CHUYỂN", "PC", M1_4),
    t!("phieu-bao", "PHIẾU BÁO", "PB", M1_4),
    t!("thu-cong", "THƯ CÔNG", "", None),
];

pub fn lookup(key: &str) -> Option<&'static DocType> {
    TYPES.iter().find(|t| t.key == key)
}

pub fn keys() -> impl Iterator<Item = &'static str> {
    TYPES.iter().map(|t| t.key)
}

impl DocType {
    /// The symbol of a document with a type name: type abbreviation + issuer abbreviation
    /// (Annex I, II.3): `KH-UBND`, `BC-SGDĐT`.
    pub fn symbol(&self, issuer_abbrev: &str) -> String {
        if self.abbrev.is_empty() {
            issuer_abbrev.to_string()
        } else {
            format!("{}-{}", self.abbrev, issuer_abbrev)
        }
    }
}

/// The types with the layout that builds each, as the README's Markdown table.
pub fn types_table(layouts: &crate::layout::Layouts) -> String {
    let mut s = String::from(
        "| type | printed name | symbol | model | layout folder |\n|---|---|---|---|---|\n",
    );
    for t in TYPES.iter() {
        let (model, folder) = match layouts.for_type(t.key) {
            Some(l) => (
                format!("Mẫu {}", l.spec.model),
                format!("`templates/{}/`", l.name),
            ),
            None => ("—".to_string(), "—".to_string()),
        };
        let symbol = if t.abbrev.is_empty() {
            "UBND-…".to_string()
        } else {
            format!("{}-UBND", t.abbrev)
        };
        let model = if t.model == Model::None {
            format!("{model} (closest; no model in Phụ lục III)")
        } else {
            model
        };
        s.push_str(&format!(
            "| `{}` | {} | {symbol} | {model} | {folder} |\n",
            t.key, t.name
        ));
    }
    s
}

/// The types for a terminal: key, name, model, and the keys the layout adds.
pub fn types_text(layouts: &crate::layout::Layouts) -> String {
    let mut s = String::new();
    for t in TYPES.iter() {
        let Some(l) = layouts.for_type(t.key) else {
            s.push_str(&format!("{:<16} {:<16} (no layout)\n", t.key, t.name));
            continue;
        };
        let keys: Vec<&str> = l.spec.fields.keys().map(String::as_str).collect();
        s.push_str(&format!(
            "{:<16} {:<16} Mẫu {:<5} templates/{}/{}\n",
            t.key,
            t.name,
            l.spec.model,
            l.name,
            if keys.is_empty() {
                String::new()
            } else {
                format!("  keys: {}", keys.join(", "))
            }
        ));
    }
    s.push_str("\n`vanban new --type KEY OUT.toml` writes a plan of any type to fill in.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_unique() {
        assert_eq!(TYPES.len(), 29);
        let mut keys: Vec<_> = keys().collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 29);
        assert_eq!(TYPES.iter().filter(|t| t.model == Model::M1_4).count(), 17);
    }

    #[test]
    fn symbols() {
        assert_eq!(lookup("ke-hoach").unwrap().symbol("UBND"), "KH-UBND");
        assert_eq!(lookup("bao-cao").unwrap().symbol("UBND"), "BC-UBND");
        assert_eq!(lookup("ke-hoach").unwrap().symbol("SGDĐT"), "KH-SGDĐT");
        assert_eq!(lookup("quy-dinh").unwrap().symbol("UBND"), "QyĐ-UBND");
    }
}
