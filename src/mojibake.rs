//! Legacy Vietnamese encodings pasted as Unicode ("mojibake").
//!
//! Old documents typed with the ABC keyboard in `.VnTime` fonts (TCVN3, TCVN 5712:1993 VN3) or
//! with VNI fonts store one byte per character; copied out of such a file, the bytes arrive as
//! Latin-1/Windows-1252 letters: `Céng hoµ x· héi` is "Cộng hoà xã hội" in TCVN3, `Coäng hoøa
//! xaõ hoäi` is "Cộng hòa xã hội" in VNI. Printed in a Unicode font they are gibberish.
//!
//! Detection must never fire on real Vietnamese: a word is a *trigger* only when, read as
//! Unicode, it is not a Vietnamese syllable, and decoded from the legacy encoding it is one
//! ([`crate::tone::parse`]). The run reported around a trigger is extended over the
//! neighbouring words of the same line that decode as well, so the hint can quote the phrase.

use std::ops::Range;

use crate::tone::{self, Tone};

/// Which legacy encoding a run of text was typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// TCVN3 (ABC keyboard, `.VnTime` fonts): one byte per precomposed lower-case letter.
    Tcvn3,
    /// VNI Windows (`VNI-Times` fonts): base letter followed by a mark byte.
    Vni,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tcvn3 => "TCVN3 (ABC)",
            Kind::Vni => "VNI",
        }
    }

    pub fn decode(self, s: &str) -> Option<String> {
        match self {
            Kind::Tcvn3 => decode_tcvn3(s),
            Kind::Vni => decode_vni(s),
        }
    }
}

/// TCVN3 (VN3): the byte of each letter, read as Latin-1, and the letter. The 67 lower-case
/// letters and the 7 upper-case base letters; upper-case letters with a tone have no code in
/// VN3 (the `.VnTimeH` fonts draw the lower-case codes as capitals), so they decode to lower
/// case.
const TCVN3: &[(char, char)] = &[
    ('\u{A1}', 'Ă'),
    ('\u{A2}', 'Â'),
    ('\u{A3}', 'Ê'),
    ('\u{A4}', 'Ô'),
    ('\u{A5}', 'Ơ'),
    ('\u{A6}', 'Ư'),
    ('\u{A7}', 'Đ'),
    ('\u{A8}', 'ă'),
    ('\u{A9}', 'â'),
    ('\u{AA}', 'ê'),
    ('\u{AB}', 'ô'),
    ('\u{AC}', 'ơ'),
    ('\u{AD}', 'ư'),
    ('\u{AE}', 'đ'),
    ('\u{B5}', 'à'),
    ('\u{B6}', 'ả'),
    ('\u{B7}', 'ã'),
    ('\u{B8}', 'á'),
    ('\u{B9}', 'ạ'),
    ('\u{BB}', 'ằ'),
    ('\u{BC}', 'ẳ'),
    ('\u{BD}', 'ẵ'),
    ('\u{BE}', 'ắ'),
    ('\u{C6}', 'ặ'),
    ('\u{C7}', 'ầ'),
    ('\u{C8}', 'ẩ'),
    ('\u{C9}', 'ẫ'),
    ('\u{CA}', 'ấ'),
    ('\u{CB}', 'ậ'),
    ('\u{CC}', 'è'),
    ('\u{CE}', 'ẻ'),
    ('\u{CF}', 'ẽ'),
    ('\u{D0}', 'é'),
    ('\u{D1}', 'ẹ'),
    ('\u{D2}', 'ề'),
    ('\u{D3}', 'ể'),
    ('\u{D4}', 'ễ'),
    ('\u{D5}', 'ế'),
    ('\u{D6}', 'ệ'),
    ('\u{D7}', 'ì'),
    ('\u{D8}', 'ỉ'),
    ('\u{DC}', 'ĩ'),
    ('\u{DD}', 'í'),
    ('\u{DE}', 'ị'),
    ('\u{DF}', 'ò'),
    ('\u{E1}', 'ỏ'),
    ('\u{E2}', 'õ'),
    ('\u{E3}', 'ó'),
    ('\u{E4}', 'ọ'),
    ('\u{E5}', 'ồ'),
    ('\u{E6}', 'ổ'),
    ('\u{E7}', 'ỗ'),
    ('\u{E8}', 'ố'),
    ('\u{E9}', 'ộ'),
    ('\u{EA}', 'ờ'),
    ('\u{EB}', 'ở'),
    ('\u{EC}', 'ỡ'),
    ('\u{ED}', 'ớ'),
    ('\u{EE}', 'ợ'),
    ('\u{EF}', 'ù'),
    ('\u{F1}', 'ủ'),
    ('\u{F2}', 'ũ'),
    ('\u{F3}', 'ú'),
    ('\u{F4}', 'ụ'),
    ('\u{F5}', 'ừ'),
    ('\u{F6}', 'ử'),
    ('\u{F7}', 'ữ'),
    ('\u{F8}', 'ứ'),
    ('\u{F9}', 'ự'),
    ('\u{FA}', 'ỳ'),
    ('\u{FB}', 'ỷ'),
    ('\u{FC}', 'ỹ'),
    ('\u{FD}', 'ý'),
    ('\u{FE}', 'ỵ'),
];

/// Windows-1252 punctuation in 0x80–0x9F (and the no-break space): legacy text keeps them as
/// they are, so they neither decode nor stop a run.
fn cp1252_punct(c: char) -> bool {
    matches!(
        c,
        '\u{A0}'
            | '€'
            | '‚'
            | '„'
            | '…'
            | '†'
            | '‡'
            | '‰'
            | '‹'
            | '‘'
            | '’'
            | '“'
            | '”'
            | '•'
            | '–'
            | '—'
            | '™'
            | '›'
    )
}

fn tcvn3_char(c: char) -> Option<char> {
    // Every TCVN3 code is one byte (0xA1–0xFE): a table by code, not a search per character
    // (the linter asks for every character of every text).
    static BY_CODE: std::sync::LazyLock<[Option<char>; 256]> = std::sync::LazyLock::new(|| {
        let mut t = [None; 256];
        for (k, v) in TCVN3 {
            if let Some(slot) = t.get_mut(*k as usize) {
                *slot = Some(*v);
            }
        }
        t
    });
    BY_CODE.get(c as usize).copied().flatten()
}

/// Decodes text typed in TCVN3 and pasted as Unicode: `C«ng v¨n sè` → `Công văn số`.
/// `None` when the text holds characters that cannot come from TCVN3 bytes (e.g. `ư`).
pub fn decode_tcvn3(s: &str) -> Option<String> {
    s.chars()
        .map(|c| {
            if c.is_ascii() || cp1252_punct(c) {
                Some(c)
            } else {
                tcvn3_char(c)
            }
        })
        .collect()
}

#[cfg(test)] // the encoders exist to test the decoders on real text
/// Encodes Unicode Vietnamese as TCVN3 bytes read as Latin-1 (upper-case letters with a tone
/// become the lower-case codes, as typed for `.VnTimeH`). Characters outside TCVN3 are kept.
pub fn encode_tcvn3(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            let find = |c: char| TCVN3.iter().find(|(_, v)| *v == c).map(|(k, _)| *k);
            find(c)
                .or_else(|| c.to_lowercase().next().and_then(find))
                .unwrap_or(c)
        })
        .collect()
}

/// VNI marks for plain tones (lower case; upper case marks are the Latin-1 capitals).
#[cfg(test)]
fn vni_tone(t: Option<Tone>) -> char {
    match t {
        None => unreachable!("no mark for a toneless letter"),
        Some(Tone::Grave) => 'ø',
        Some(Tone::Acute) => 'ù',
        Some(Tone::Hook) => 'û',
        Some(Tone::Tilde) => 'õ',
        Some(Tone::Dot) => 'ï',
    }
}

#[cfg(test)]
fn vni_circumflex(t: Option<Tone>) -> char {
    match t {
        None => 'â',
        Some(Tone::Grave) => 'à',
        Some(Tone::Acute) => 'á',
        Some(Tone::Hook) => 'å',
        Some(Tone::Tilde) => 'ã',
        Some(Tone::Dot) => 'ä',
    }
}

#[cfg(test)]
fn vni_breve(t: Option<Tone>) -> char {
    match t {
        None => 'ê',
        Some(Tone::Grave) => 'è',
        Some(Tone::Acute) => 'é',
        Some(Tone::Hook) => 'ú',
        Some(Tone::Tilde) => 'ü',
        Some(Tone::Dot) => 'ë',
    }
}

/// What a VNI character does: a letter of its own, or a mark on the previous letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vni {
    Letter(char),
    Tone(Tone),
    Circumflex(Option<Tone>),
    Breve(Option<Tone>),
}

fn vni_char(c: char) -> Option<Vni> {
    let lower = c.to_lowercase().next()?;
    let upper = c.is_uppercase();
    let letter = |l: char, u: char| Some(Vni::Letter(if upper { u } else { l }));
    match lower {
        'ñ' => letter('đ', 'Đ'),
        'ô' => letter('ơ', 'Ơ'),
        'ö' => letter('ư', 'Ư'),
        'æ' => letter('ỉ', 'Ỉ'),
        'ó' => letter('ĩ', 'Ĩ'),
        'ò' => letter('ị', 'Ị'),
        'î' => letter('ỵ', 'Ỵ'),
        'ì' => letter('ì', 'Ì'),
        'í' => letter('í', 'Í'),
        'ø' => Some(Vni::Tone(Tone::Grave)),
        'ù' => Some(Vni::Tone(Tone::Acute)),
        'û' => Some(Vni::Tone(Tone::Hook)),
        'õ' => Some(Vni::Tone(Tone::Tilde)),
        'ï' => Some(Vni::Tone(Tone::Dot)),
        'â' => Some(Vni::Circumflex(None)),
        'à' => Some(Vni::Circumflex(Some(Tone::Grave))),
        'á' => Some(Vni::Circumflex(Some(Tone::Acute))),
        'å' => Some(Vni::Circumflex(Some(Tone::Hook))),
        'ã' => Some(Vni::Circumflex(Some(Tone::Tilde))),
        'ä' => Some(Vni::Circumflex(Some(Tone::Dot))),
        'ê' => Some(Vni::Breve(None)),
        'è' => Some(Vni::Breve(Some(Tone::Grave))),
        'é' => Some(Vni::Breve(Some(Tone::Acute))),
        'ú' => Some(Vni::Breve(Some(Tone::Hook))),
        'ü' => Some(Vni::Breve(Some(Tone::Tilde))),
        'ë' => Some(Vni::Breve(Some(Tone::Dot))),
        _ => None,
    }
}

/// Decodes text typed with VNI fonts and pasted as Unicode: `Nguyeãn Vaên A` → `Nguyễn Văn A`.
/// `None` when the text holds characters VNI cannot produce, or a mark with no letter to sit
/// on (`aø` is `à`, but `ø` alone or `iø` is not VNI).
pub fn decode_vni(s: &str) -> Option<String> {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() || cp1252_punct(c) {
            out.push(c);
            continue;
        }
        let prev = out.last().copied();
        match vni_char(c)? {
            Vni::Letter(l) => out.push(l),
            Vni::Tone(t) => {
                let p = prev?;
                let (bare, old) = tone::split_tone(p);
                let lower = bare.to_lowercase().next()?;
                if old.is_some() || !"aăâeêoôơuưy".contains(lower) {
                    return None;
                }
                *out.last_mut()? = tone::with_tone(bare, Some(t));
            }
            Vni::Circumflex(t) => {
                let p = prev?;
                let base = match p {
                    'a' => 'â',
                    'e' => 'ê',
                    'o' => 'ô',
                    'A' => 'Â',
                    'E' => 'Ê',
                    'O' => 'Ô',
                    _ => return None,
                };
                *out.last_mut()? = tone::with_tone(base, t);
            }
            Vni::Breve(t) => {
                let base = match prev? {
                    'a' => 'ă',
                    'A' => 'Ă',
                    _ => return None,
                };
                *out.last_mut()? = tone::with_tone(base, t);
            }
        }
    }
    Some(out.into_iter().collect())
}

#[cfg(test)] // the encoders exist to test the decoders on real text
/// Encodes Unicode Vietnamese as VNI bytes read as Latin-1. Characters outside VNI are kept.
pub fn encode_vni(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let upper = c.is_uppercase();
        let case = |m: char| {
            if upper {
                m.to_uppercase().next().unwrap_or(m)
            } else {
                m
            }
        };
        let (bare, t) = tone::split_tone(c);
        let lower = bare.to_lowercase().next().unwrap_or(bare);
        let base = if upper {
            lower.to_ascii_uppercase()
        } else {
            lower
        };
        match lower {
            'đ' => out.push(case('ñ')),
            'i' => out.push(match t {
                None => c,
                Some(Tone::Grave) => case('ì'),
                Some(Tone::Acute) => case('í'),
                Some(Tone::Hook) => case('æ'),
                Some(Tone::Tilde) => case('ó'),
                Some(Tone::Dot) => case('ò'),
            }),
            'y' if t == Some(Tone::Dot) => out.push(case('î')),
            'ơ' | 'ư' => {
                out.push(case(if lower == 'ơ' { 'ô' } else { 'ö' }));
                if t.is_some() {
                    out.push(case(vni_tone(t)));
                }
            }
            'â' | 'ê' | 'ô' => {
                let b = match lower {
                    'â' => 'a',
                    'ê' => 'e',
                    _ => 'o',
                };
                out.push(if upper { b.to_ascii_uppercase() } else { b });
                out.push(case(vni_circumflex(t)));
            }
            'ă' => {
                out.push(if upper { 'A' } else { 'a' });
                out.push(case(vni_breve(t)));
            }
            'a' | 'e' | 'o' | 'u' | 'y' if t.is_some() => {
                out.push(base);
                out.push(case(vni_tone(t)));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Characters that belong to words in legacy text although Unicode calls them symbols
/// (`µ` à, `¸` á, `·` ã, `¨` ă, `«` ô, soft hyphen ư, `®` đ, `§` Đ …).
fn word_char(c: char) -> bool {
    // The Vietnamese letters first: Unicode's general lookup is slow outside ASCII.
    let latin_letter =
        matches!(c, '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}') && !matches!(c, '×' | '÷');
    latin_letter || c.is_alphabetic() || tcvn3_char(c).is_some()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Not a Vietnamese word as Unicode, a Vietnamese word once decoded.
    Trigger,
    /// Decodes; may belong to a run.
    Pass,
    /// Ends a run: does not decode, or is real Vietnamese that decoding would break.
    Stop,
}

fn word_status(w: &str, kind: Kind) -> Status {
    let Some(d) = kind.decode(w) else {
        return Status::Stop;
    };
    if w.is_ascii() {
        return Status::Pass;
    }
    // A capital with a diacritic right after a small letter (`bÌ`, `chÐ`) is not how
    // Vietnamese is written; TCVN3 produces it, for its capitals are small letters' codes.
    let camel = w
        .chars()
        .zip(w.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase() && !b.is_ascii());
    let raw_ok = tone::is_syllable(w) && !camel;
    let dec_ok = tone::is_syllable(&d);
    if raw_ok && !dec_ok {
        return Status::Stop;
    }
    // Confusables that are not legacy text: Ð (Icelandic eth) typed for Đ, and µ in units
    // (µm, µg).
    let legacy: Vec<char> = w.chars().filter(|c| !c.is_ascii()).collect();
    let eth_only = legacy.iter().all(|c| matches!(c, 'Ð' | 'ð'));
    let unit = w.starts_with('µ') && w['µ'.len_utf8()..].is_ascii();
    let has_ascii_letter = w.chars().any(|c| c.is_ascii_alphabetic());
    if !raw_ok && dec_ok && d != w && has_ascii_letter && !eth_only && !unit {
        Status::Trigger
    } else {
        Status::Pass
    }
}

/// How many judged words [`judged`] keeps per thread before it starts over.
const JUDGED_WORDS: usize = 50_000;

/// [`word_status`], remembered: Vietnamese repeats its syllables ("của", "các", "và") within
/// a text, across the texts of a plan and across the documents of a batch.
fn judged(w: &str, kind: Kind) -> Status {
    // Looked up for every word of every text: FxHash, not SipHash (the words are the plan's
    // own, and the map is capped, so a collision flood costs nothing worse than time).
    type Judged = [rustc_hash::FxHashMap<Box<str>, Status>; 2];
    thread_local! {
        static JUDGED: std::cell::RefCell<Judged> = Default::default();
    }
    // What `word_status` would say, without a lookup: ASCII reads the same in both encodings
    // and is never legacy text; a letter neither encoding can produce (ế, ư, đ …) is real
    // Unicode Vietnamese.
    if w.is_ascii() {
        return Status::Pass;
    }
    if w.chars().any(beyond_legacy) {
        return Status::Stop;
    }
    let k = match kind {
        Kind::Tcvn3 => 0,
        Kind::Vni => 1,
    };
    JUDGED.with(|j| {
        let mut j = j.borrow_mut();
        let map = &mut j[k];
        if let Some(s) = map.get(w) {
            return *s;
        }
        let s = word_status(w, kind);
        if map.len() >= JUDGED_WORDS {
            map.clear();
        }
        map.insert(w.into(), s);
        s
    })
}

/// Latin letters past Latin-1 (ă, đ, ơ, ư and the precomposed letters with a tone): no
/// TCVN3 or VNI code reads as one, so a word holding one is not legacy text.
fn beyond_legacy(c: char) -> bool {
    matches!(c, '\u{100}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}') && !cp1252_punct(c)
}

/// The runs of one encoding: (byte range, number of trigger words).
fn runs(text: &str, kind: Kind) -> Vec<(Range<usize>, usize)> {
    // Tokens: words, and the separators between them (a line break always separates runs).
    let mut tokens: Vec<(Range<usize>, Status, bool)> = Vec::new();
    let mut start = 0;
    let mut cur: Option<bool> = None;
    let push = |tokens: &mut Vec<(Range<usize>, Status, bool)>, r: Range<usize>, word: bool| {
        let s = &text[r.clone()];
        let status = if word {
            judged(s, kind)
        } else if s.contains('\n') || (!s.is_ascii() && kind.decode(s).is_none()) {
            Status::Stop
        } else {
            Status::Pass
        };
        tokens.push((r, status, word));
    };
    for (i, c) in text.char_indices() {
        let w = word_char(c);
        match cur {
            Some(prev) if prev == w => {}
            Some(prev) => {
                push(&mut tokens, start..i, prev);
                start = i;
            }
            None => start = i,
        }
        cur = Some(w);
    }
    if let Some(prev) = cur {
        push(&mut tokens, start..text.len(), prev);
    }

    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].1 == Status::Stop {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut triggers = 0;
        while j < tokens.len() && tokens[j].1 != Status::Stop {
            if tokens[j].1 == Status::Trigger {
                triggers += 1;
            }
            j += 1;
        }
        if triggers > 0 {
            let words: Vec<&(Range<usize>, Status, bool)> =
                tokens[i..j].iter().filter(|t| t.2).collect();
            if let (Some(first), Some(last)) = (words.first(), words.last()) {
                out.push((first.0.start..last.0.end, triggers));
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// Every run of legacy-encoded words in `text`: byte range, encoding, decoded text.
pub fn detect_all(text: &str) -> Vec<(Range<usize>, Kind, String)> {
    let mut all: Vec<(Range<usize>, usize, Kind)> = Vec::new();
    for kind in [Kind::Tcvn3, Kind::Vni] {
        all.extend(runs(text, kind).into_iter().map(|(r, n)| (r, n, kind)));
    }
    // Where both encodings claim overlapping text, the one with more triggers wins.
    all.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.1.cmp(&a.1)));
    let mut kept: Vec<(Range<usize>, usize, Kind)> = Vec::new();
    for r in all {
        match kept.last_mut() {
            Some(last) if r.0.start < last.0.end => {
                if r.1 > last.1 {
                    *last = r;
                }
            }
            _ => kept.push(r),
        }
    }
    kept.into_iter()
        .filter_map(|(r, _, kind)| {
            let decoded = kind.decode(&text[r.clone()])?;
            Some((r, kind, decoded))
        })
        .collect()
}

/// The first run of legacy-encoded words in `text`: its byte range, the encoding, and what it
/// reads decoded. `None` for real Unicode Vietnamese.
pub fn detect(text: &str) -> Option<(Range<usize>, Kind, String)> {
    detect_all(text).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_legacy_code_reads_as_a_letter_beyond_latin_1() {
        let beyond: Vec<char> = ('\u{100}'..='\u{1EFF}')
            .filter(|&c| beyond_legacy(c))
            .collect();
        assert!(beyond.contains(&'ế') && beyond.contains(&'ư') && beyond.contains(&'đ'));
        for c in beyond {
            assert!(tcvn3_char(c).is_none(), "TCVN3 reads U+{:04X}", c as u32);
            assert!(vni_char(c).is_none(), "VNI reads U+{:04X}", c as u32);
            let w = format!("x{c}");
            assert_eq!(
                word_status(&w, Kind::Tcvn3),
                Status::Stop,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(
                word_status(&w, Kind::Vni),
                Status::Stop,
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn decodes_the_examples() {
        assert_eq!(
            decode_tcvn3("Céng hoµ x· héi chñ nghÜa ViÖt Nam").as_deref(),
            Some("Cộng hoà xã hội chủ nghĩa Việt Nam")
        );
        assert_eq!(decode_tcvn3("C«ng v¨n sè").as_deref(), Some("Công văn số"));
        assert_eq!(
            decode_vni("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam").as_deref(),
            Some("Cộng hòa xã hội chủ nghĩa Việt Nam")
        );
        assert_eq!(
            decode_vni("Nguyeãn Vaên A").as_deref(),
            Some("Nguyễn Văn A")
        );
        assert_eq!(decode_tcvn3("§¾k L¾k").as_deref(), Some("Đắk Lắk"));
        assert_eq!(
            decode_tcvn3("n\u{AD}íc, tr\u{AD}êng, ®\u{AD}îc").as_deref(),
            Some("nước, trường, được")
        );
        assert_eq!(
            decode_vni("ñöôïc Ñaék Laék").as_deref(),
            Some("được Đắk Lắk")
        );
        assert_eq!(decode_vni("UÛY BAN").as_deref(), Some("ỦY BAN"));
        // Not legacy text at all.
        assert_eq!(decode_tcvn3("được"), None);
        assert_eq!(decode_vni("Đắk"), None);
        assert_eq!(decode_vni("ø"), None);
        assert_eq!(decode_vni("iø"), None);
    }

    /// Every letter of the alphabet, both cases, survives a round trip (TCVN3 loses the case
    /// of capitals with a tone: VN3 has no code for them).
    #[test]
    fn round_trips() {
        let lower = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ";
        let upper = lower.to_uppercase();
        assert_eq!(lower.chars().count(), 89);
        for s in [lower, upper.as_str()] {
            assert_eq!(decode_vni(&encode_vni(s)).as_deref(), Some(s));
            for c in s.chars() {
                let one = c.to_string();
                assert_eq!(decode_vni(&encode_vni(&one)).as_deref(), Some(one.as_str()));
            }
        }
        assert_eq!(decode_tcvn3(&encode_tcvn3(lower)).as_deref(), Some(lower));
        let caps = decode_tcvn3(&encode_tcvn3(&upper)).unwrap();
        assert_eq!(caps.to_lowercase(), lower);
        assert_eq!(TCVN3.len(), 74);
        assert_eq!(encode_vni("Nguyễn Văn A"), "Nguyeãn Vaên A");
        assert_eq!(encode_tcvn3("Công văn số"), "C«ng v¨n sè");
    }

    #[test]
    fn detects_runs() {
        let s = "C«ng v¨n sè";
        let (r, k, d) = detect(s).unwrap();
        assert_eq!((r, k, d.as_str()), (0..s.len(), Kind::Tcvn3, "Công văn số"));

        let s = "Căn cứ C«ng v¨n sè 12 của Bộ";
        let (r, k, d) = detect(s).unwrap();
        assert_eq!(k, Kind::Tcvn3);
        assert_eq!(&s[r], "C«ng v¨n sè");
        assert_eq!(d, "Công văn số");

        let (_, k, d) = detect("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam").unwrap();
        assert_eq!(
            (k, d.as_str()),
            (Kind::Vni, "Cộng hòa xã hội chủ nghĩa Việt Nam")
        );
        let (_, k, d) = detect("Nguyeãn Vaên A").unwrap();
        assert_eq!((k, d.as_str()), (Kind::Vni, "Nguyễn Văn A"));
        let (_, k, d) = detect("Céng hoµ x· héi chñ nghÜa ViÖt Nam").unwrap();
        assert_eq!(
            (k, d.as_str()),
            (Kind::Tcvn3, "Cộng hoà xã hội chủ nghĩa Việt Nam")
        );

        let two = "Tỉnh §¾k L¾k.\nKý: Nguyeãn Vaên A";
        let all = detect_all(two);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].2, "Đắk Lắk");
        assert_eq!(all[1].1, Kind::Vni);
    }

    #[test]
    fn no_false_positives_on_unicode() {
        for s in [
            "Cộng hòa xã hội chủ nghĩa Việt Nam",
            "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Hoà bình, hoá học, Công an, Buôn Ma Thuột, Krông Pắc, H’Yim Kđoh, Ea Súp",
            "Toàn dân, Hoàng, Loan, Mão, Bà, Hùng, Thuý, Quân, Xuân, Tiên, Nguyên, là, và, có",
            "10 µm, café, José, über, Noël, naïve, España, São Paulo, Zoë, «điền: tên»",
            "Ðông, Ðo, ©2024, § 3, 3 × 4, ½",
            "ÔNG, BÀ, CÔNG, VÀ, LÀ, Ô TÔ, ÁO",
        ] {
            assert_eq!(detect(s), None, "{s}");
        }
    }

    /// Everything typed in the seed becomes detectable once encoded, and nothing in it is
    /// flagged as it is.
    #[test]
    fn seed_text() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/seeds/000_6ccbc1966dba784f.txt");
        let Ok(seed) = std::fs::read_to_string(&path) else {
            eprintln!("seed not found at {}: skipped", path.display());
            return;
        };
        let seed = crate::vietnamese::nfc(&seed);
        for line in seed.lines() {
            assert_eq!(detect(line), None, "flagged: {line}");
        }
        for line in seed
            .lines()
            .filter(|l| l.chars().filter(|c| !c.is_ascii()).count() >= 4)
        {
            let line = line.trim();
            let t = encode_tcvn3(line);
            let (_, k, d) = detect(&t).unwrap_or_else(|| panic!("TCVN3 not detected: {t}"));
            assert_eq!(k, Kind::Tcvn3, "{t}");
            assert!(
                line.to_lowercase().contains(&d.to_lowercase()),
                "{line} / {d}"
            );
            let v = encode_vni(line);
            let (_, k, d) = detect(&v).unwrap_or_else(|| panic!("VNI not detected: {v}"));
            assert_eq!(k, Kind::Vni, "{v}");
            assert!(line.contains(&d), "{line} / {d}");
        }
    }

    /// The real plans hold no legacy text, line by line.
    #[test]
    fn plans_are_clean() {
        for (name, text) in [
            (
                "tuan-le-hoc-tap-suot-doi.toml",
                include_str!("../plans/daklak-2024/tuan-le-hoc-tap-suot-doi.toml"),
            ),
            (
                "huyen-mau.toml",
                include_str!("../plans/daklak-2024/huyen-mau.toml"),
            ),
            (
                "huyen.toml",
                include_str!("../plans/daklak-2024/huyen.toml"),
            ),
        ] {
            let text = crate::vietnamese::nfc(text);
            for (i, line) in text.lines().enumerate() {
                assert_eq!(detect(line), None, "{name}:{}: {line}", i + 1);
            }
        }
    }

    /// Every syllable of the Vietnamese hunspell dictionary (Debian's `hunspell-vi`), in
    /// lower, title and upper case, is left alone. Skipped where the package is not installed.
    #[test]
    fn dictionary_has_no_false_positives() {
        let Ok(dic) = std::fs::read_to_string("/usr/share/hunspell/vi_VN.dic") else {
            eprintln!("hunspell-vi not installed: skipped");
            return;
        };
        let dic = crate::vietnamese::nfc(&dic);
        let words: Vec<&str> = dic
            .lines()
            .skip(1)
            .filter_map(|l| l.split('/').next())
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        assert!(words.len() > 6000);
        let mut flagged = Vec::new();
        for w in &words {
            let mut c = w.chars();
            let title: String = c
                .next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default();
            for form in [w.to_string(), title, w.to_uppercase()] {
                if detect(&form).is_some() {
                    flagged.push(form);
                }
            }
        }
        assert!(flagged.is_empty(), "{flagged:?}");
        assert_eq!(detect_all(&words.join(" ")), vec![]);
    }
}
