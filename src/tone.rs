//! Tone marks: the "old" (`hòa`, `thủy`) and "new" (`hoà`, `thuỷ`) placement in the open
//! syllables oa, oe, uy (nd30.md §8), and a small model of the Vietnamese syllable that the
//! mojibake detector uses to tell real words from legacy-encoded ones.
//!
//! Both placements are correct Vietnamese and different NFC strings; nothing here is applied
//! silently. [`rewrite`] exists for a user who asks for one style.

use unicode_normalization::char::decompose_canonical;
use unicode_normalization::UnicodeNormalization;

/// Where the tone mark of an open oa/oe/uy syllable sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// On the first vowel: `hòa`, `khỏe`, `thủy`, `Ủy` (most legal texts, Decree 30's headers).
    Old,
    /// On the second vowel: `hoà`, `khoẻ`, `thuỷ`, `Uỷ` (Bộ GD&ĐT 2018 rule for textbooks).
    New,
}

impl Style {
    pub fn label(self) -> &'static str {
        match self {
            Style::Old => "old",
            Style::New => "new",
        }
    }
}

/// The five marked tones (the sixth, ngang, has no mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    Grave,
    Acute,
    Hook,
    Tilde,
    Dot,
}

impl Tone {
    /// The combining mark of the tone.
    pub fn mark(self) -> char {
        match self {
            Tone::Grave => '\u{300}',
            Tone::Acute => '\u{301}',
            Tone::Hook => '\u{309}',
            Tone::Tilde => '\u{303}',
            Tone::Dot => '\u{323}',
        }
    }

    pub fn from_mark(c: char) -> Option<Tone> {
        Some(match c {
            '\u{300}' => Tone::Grave,
            '\u{301}' => Tone::Acute,
            '\u{309}' => Tone::Hook,
            '\u{303}' => Tone::Tilde,
            '\u{323}' => Tone::Dot,
            _ => return None,
        })
    }
}

/// Splits a letter into its toneless form and its tone: `ộ` → (`ô`, dot), `Ủ` → (`U`, hook).
/// Case and the other diacritics (circumflex, breve, horn) are kept.
pub fn split_tone(c: char) -> (char, Option<Tone>) {
    if c.is_ascii() {
        return (c, None);
    }
    let mut tone = None;
    let mut rest = String::new();
    decompose_canonical(c, |d| match Tone::from_mark(d) {
        Some(t) => tone = Some(t),
        None => rest.push(d),
    });
    if tone.is_none() {
        return (c, None);
    }
    let base: String = rest.nfc().collect();
    let mut it = base.chars();
    match (it.next(), it.next()) {
        (Some(b), None) => (b, tone),
        _ => (c, None),
    }
}

/// Puts a tone on a toneless letter: (`ô`, dot) → `ộ`. Returns the letter unchanged when
/// there is no precomposed result.
pub fn with_tone(c: char, tone: Option<Tone>) -> char {
    let Some(t) = tone else { return c };
    let s: String = [c, t.mark()].iter().collect::<String>().nfc().collect();
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(r), None) => r,
        _ => c,
    }
}

const VOWELS: &str = "aăâeêioôơuưy";
const LETTERS: &str = "aăâbcdđeêghiklmnoôơpqrstuưvxy";

fn is_vowel(c: char) -> bool {
    VOWELS.contains(c)
}

/// Initial consonants, longest first.
const ONSETS: &[&str] = &[
    "ngh", "ng", "gh", "gi", "kh", "ch", "nh", "ph", "th", "tr", "qu", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Every rhyme (vowel nucleus with its glide and final), without tone.
const RIMES: &[&str] = &[
    // open
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo",
    "êu", "ia", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưa", "ua", "uy", "ưu", "iêu", "yêu", "ươi",
    "ươu", "uôi", "oa", "oe", "uê", "uơ", "oai", "oay", "oao", "oeo", "uây", "uya", "uyu",
    // closed
    "ac", "ach", "am", "an", "ang", "anh", "ap", "at", "ăc", "ăm", "ăn", "ăng", "ăp", "ăt", "âc",
    "âm", "ân", "âng", "âp", "ât", "ec", "em", "en", "eng", "ep", "et", "êch", "êm", "ên", "ênh",
    "êp", "êt", "ich", "im", "in", "inh", "ip", "it", "oc", "om", "on", "ong", "op", "ot", "ooc",
    "oong", "ôc", "ôm", "ôn", "ông", "ôp", "ôt", "ơm", "ơn", "ơp", "ơt", "uc", "um", "un", "ung",
    "up", "ut", "ưc", "ưm", "ưn", "ưng", "ưt", "iêc", "iêm", "iên", "iêng", "iêp", "iêt", "yêm",
    "yên", "yêng", "yêt", "uôc", "uôm", "uôn", "uông", "uôt", "ươc", "ươm", "ươn", "ương", "ươp",
    "ươt", "oac", "oach", "oam", "oan", "oang", "oanh", "oap", "oat", "oăc", "oăm", "oăn", "oăng",
    "oăt", "oen", "oet", "uân", "uâng", "uât", "uêch", "uênh", "uych", "uyn", "uynh", "uyp", "uyt",
    "uyên", "uyêt",
    // final k, in names from the Central Highlands languages (Đắk Lắk, Pắk)
    "ak", "ăk", "âk", "ek", "êk", "ik", "ok", "ôk", "ơk", "uk", "ưk",
];

/// After `qu` the u is taken: `quân` = qu + ân, `quyết` = qu + yêt, `quý` = qu + y.
const QU_EXTRA: &[&str] = &["ych", "ynh", "yn", "yt", "yp"];

/// A parsed syllable: lower-case toneless letters, where the rhyme starts (in characters) and
/// which letter carries the tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syllable {
    pub onset: String,
    pub rime: String,
    pub tone: Option<Tone>,
    /// Index (in characters of the word) of the letter with the tone mark.
    pub tone_at: Option<usize>,
}

impl Syllable {
    pub fn onset_len(&self) -> usize {
        self.onset.chars().count()
    }
}

/// Parses one written syllable (`Nghiêng`, `quý`, `HÒA`); `None` when it is not a Vietnamese
/// syllable (a foreign word, a name like `Krông`, a typo, or legacy-encoded text).
pub fn parse(word: &str) -> Option<Syllable> {
    let mut letters = String::new();
    let mut tone = None;
    let mut tone_at = None;
    for (i, c) in word.chars().enumerate() {
        let mut lower = c.to_lowercase();
        let l = lower.next()?;
        if lower.next().is_some() {
            return None;
        }
        let (base, t) = split_tone(l);
        if t.is_some() {
            if tone.is_some() {
                return None;
            }
            tone = t;
            tone_at = Some(i);
        }
        if !LETTERS.contains(base) {
            return None;
        }
        letters.push(base);
    }
    let chars: Vec<char> = letters.chars().collect();
    let vowel_at = |i: usize| chars.get(i).is_some_and(|c| is_vowel(*c));
    let onset: &str = if letters.starts_with("gi") {
        // `gi` is the onset before another vowel (già, giữ, giêng); before a consonant or
        // nothing it is g + i (gì, gìn).
        if vowel_at(2) {
            "gi"
        } else {
            "g"
        }
    } else if letters.starts_with('q') {
        if letters.starts_with("qu") && vowel_at(2) {
            "qu"
        } else {
            return None;
        }
    } else {
        ONSETS
            .iter()
            .copied()
            .find(|o| letters.starts_with(o))
            .unwrap_or("")
    };
    let rime = &letters[onset.len()..];
    let first = rime.chars().next()?;
    if !is_vowel(first) {
        return None;
    }
    let front = matches!(first, 'e' | 'ê' | 'i' | 'y');
    let spelling_ok = match onset {
        "c" => !front,
        "k" => front,
        "gh" | "ngh" => matches!(first, 'e' | 'ê' | 'i'),
        "g" => !matches!(first, 'e' | 'ê'),
        "ng" => !matches!(first, 'e' | 'ê' | 'i'),
        _ => true,
    };
    if !spelling_ok {
        return None;
    }
    let rime_ok = match onset {
        "qu" => RIMES.contains(&rime) || QU_EXTRA.contains(&rime),
        "gi" => RIMES.contains(&rime) || RIMES.contains(&format!("i{rime}").as_str()),
        _ => RIMES.contains(&rime),
    };
    if !rime_ok {
        return None;
    }
    let onset_len = onset.chars().count();
    if let Some(at) = tone_at {
        if at < onset_len || !vowel_at(at) {
            return None;
        }
        // Syllables closed by a stop take only the sắc or nặng tone.
        let stop = rime.ends_with(['p', 't', 'c', 'k']) || rime.ends_with("ch");
        if stop && !matches!(tone, Some(Tone::Acute | Tone::Dot)) {
            return None;
        }
        if !tone_position_ok(rime, at - onset_len) {
            return None;
        }
    }
    Some(Syllable {
        onset: onset.to_string(),
        rime: rime.to_string(),
        tone,
        tone_at,
    })
}

/// Whether the tone mark may sit on the `at`-th letter of a (toneless) rhyme, in either the old
/// or the new style: on the only vowel; on the last vowel before a final consonant (`hoàn`,
/// `thuyền`); on the last vowel with a diacritic (`người`, `mưa`, `đầu`); on either vowel of
/// open oa, oe, uy; on the middle of three (`ngoài`, `khuỷu`); else on the first (`tài`, `mùa`).
fn tone_position_ok(rime: &str, at: usize) -> bool {
    let chars: Vec<char> = rime.chars().collect();
    let nv = chars.iter().take_while(|c| is_vowel(**c)).count();
    if at >= nv {
        return false;
    }
    if nv == 1 {
        return at == 0;
    }
    if chars.len() > nv {
        return at == nv - 1;
    }
    if let Some(p) = chars[..nv].iter().rposition(|c| "ăâêôơư".contains(*c)) {
        return at == p;
    }
    match rime {
        "oa" | "oe" | "uy" => at <= 1,
        _ if nv == 3 => at == 1,
        _ => at == 0,
    }
}

/// Whether a word is one written Vietnamese syllable.
pub fn is_syllable(word: &str) -> bool {
    parse(word).is_some()
}

/// The style of a word whose tone placement varies: open oa, oe, uy with a tone mark (`hòa`
/// → old, `hoà` → new). `None` for every other word, including those whose placement is fixed
/// (`quý`, `hoàn`, `toán`, `thuyền`, `khuya`, `giúp`).
pub fn classify_word(word: &str) -> Option<Style> {
    let s = parse(word)?;
    classify(&s)
}

fn classify(s: &Syllable) -> Option<Style> {
    if !matches!(s.rime.as_str(), "oa" | "oe" | "uy") {
        return None;
    }
    match s.tone_at? - s.onset_len() {
        0 => Some(Style::Old),
        1 => Some(Style::New),
        _ => None,
    }
}

/// Rewrites every open oa/oe/uy syllable of `text` to `style`, keeping case: `Hòa bình, thuỷ
/// lợi` → (old) `Hòa bình, thủy lợi`. Other words and characters are left as they are.
pub fn rewrite(text: &str, style: Style) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(&rewrite_word(word, style));
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn rewrite_word(word: &str, style: Style) -> String {
    let Some(s) = parse(word) else {
        return word.to_string();
    };
    match (classify(&s), s.tone_at) {
        (Some(cur), Some(from)) if cur != style => {
            let mut chars: Vec<char> = word.chars().collect();
            let to = match style {
                Style::Old => from - 1,
                Style::New => from + 1,
            };
            let (bare, tone) = split_tone(chars[from]);
            chars[from] = bare;
            chars[to] = with_tone(chars[to], tone);
            chars.into_iter().collect()
        }
        _ => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join_tones() {
        assert_eq!(split_tone('ộ'), ('ô', Some(Tone::Dot)));
        assert_eq!(split_tone('Ủ'), ('U', Some(Tone::Hook)));
        assert_eq!(split_tone('ặ'), ('ă', Some(Tone::Dot)));
        assert_eq!(split_tone('ư'), ('ư', None));
        assert_eq!(split_tone('a'), ('a', None));
        assert_eq!(with_tone('ô', Some(Tone::Dot)), 'ộ');
        assert_eq!(with_tone('Y', Some(Tone::Hook)), 'Ỷ');
        assert_eq!(with_tone('ơ', Some(Tone::Tilde)), 'ỡ');
        assert_eq!(with_tone('x', Some(Tone::Acute)), 'x');
    }

    #[test]
    fn syllables() {
        for w in [
            "nghiêng",
            "Nghĩa",
            "quý",
            "quỳnh",
            "quyết",
            "quốc",
            "già",
            "giữ",
            "gì",
            "gìn",
            "giêng",
            "khuya",
            "thuyền",
            "HÒA",
            "hoà",
            "Ủy",
            "uỷ",
            "đường",
            "Đắk",
            "Lắk",
            "được",
            "người",
            "khoẻ",
            "khỏe",
            "xã",
            "hội",
            "chủ",
            "Việt",
            "Nam",
            "oà",
            "ý",
            "yêu",
            "kỹ",
            "ngoài",
            "xoáy",
            "hoặc",
            "huỳnh",
            "huýt",
            "khuỵu",
            "thuở",
            "boong",
            "Buôn",
            "Súp",
        ] {
            assert!(is_syllable(w), "{w} should be a syllable");
        }
        for w in [
            "Krông",
            "Kđoh",
            "Céng",
            "kan",
            "ghô",
            "ngê",
            "qúy",
            "hoá́",
            "Coäng",
            "Vaên",
            "nghÜa",
            "hoµ",
            "x·",
            "Nguyeãn",
            "tat̀",
            "hàt",
            "online",
            "Mnông",
            "",
            "qu",
            "baù",
            "hòan",
            "muà",
            "ngòai",
            "thúyền",
            "ngừơi",
            "mưà",
        ] {
            assert!(!is_syllable(w), "{w} should not be a syllable");
        }
    }

    #[test]
    fn classify_words() {
        use Style::*;
        for (w, s) in [
            ("hòa", Some(Old)),
            ("hoà", Some(New)),
            ("HÒA", Some(Old)),
            ("HOÀ", Some(New)),
            ("thủy", Some(Old)),
            ("thuỷ", Some(New)),
            ("Ủy", Some(Old)),
            ("Uỷ", Some(New)),
            ("khỏe", Some(Old)),
            ("khoẻ", Some(New)),
            ("tọa", Some(Old)),
            ("hóa", Some(Old)),
            ("hoá", Some(New)),
            ("hoa", None),
            ("quý", None),
            ("quỳ", None),
            ("hoàn", None),
            ("toán", None),
            ("thuyền", None),
            ("khuya", None),
            ("giúp", None),
            ("ngoài", None),
            ("Krông", None),
        ] {
            assert_eq!(classify_word(w), s, "{w}");
        }
    }

    #[test]
    fn rewrite_both_ways() {
        let old = "Cộng hòa, hóa học, tai họa, hỏa tốc, hõa; khỏe, xòe, lòe, hòe, nhòe, \
                   thủy lợi, Ủy ban, ỦY BAN, lũy kế, tụy, Thùy, tùy; HÒA BÌNH, Hóa";
        let new = "Cộng hoà, hoá học, tai hoạ, hoả tốc, hoã; khoẻ, xoè, loè, hoè, nhoè, \
                   thuỷ lợi, Uỷ ban, UỶ BAN, luỹ kế, tuỵ, Thuỳ, tuỳ; HOÀ BÌNH, Hoá";
        assert_eq!(rewrite(old, Style::New), new);
        assert_eq!(rewrite(new, Style::Old), old);
        assert_eq!(rewrite(&rewrite(old, Style::New), Style::Old), old);
        assert_eq!(rewrite(old, Style::Old), old);
        assert_eq!(rewrite(new, Style::New), new);
    }

    #[test]
    fn rewrite_leaves_fixed_placements() {
        let fixed = "quý, quỳ, quỷ, hoàn thành, toán, thuyền, khuya, giúp, ngoài, xoáy, \
                     hoạch, khuỷu, Quý Hòa";
        assert_eq!(
            rewrite(fixed, Style::New),
            fixed.replace("Quý Hòa", "Quý Hoà")
        );
        assert_eq!(
            rewrite("H’Yim Kđoh, Krông Pắc", Style::New),
            "H’Yim Kđoh, Krông Pắc"
        );
    }
}
