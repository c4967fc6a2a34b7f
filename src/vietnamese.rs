//! Vietnamese text rules that Decree 30 and everyday typing impose on every plan.
//!
//! Kept free of any layout concern so each rule can be unit-tested against the decree's own
//! examples.

use unicode_normalization::UnicodeNormalization;

/// Normalises to NFC: text pasted from old Word files or macOS arrives decomposed, and a
/// decomposed PDF text layer breaks copy, search and comparison with the signed original.
pub fn nfc(s: &str) -> String {
    // Almost every plan text is Latin with precomposed Vietnamese letters: those are stable
    // under NFC by a range test, where Unicode's quick check looks each character up.
    if s.chars().all(nfc_stable) {
        return s.to_string();
    }
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

/// Characters that NFC leaves alone wherever they stand: none combines with its neighbours
/// (canonical combining class 0, NFC quick check Yes). Below U+0300 (Latin-1, Latin
/// Extended-A/B: ă, đ, ơ, ư), the precomposed Vietnamese letters of U+1EA0–U+1EF9, and the
/// dashes, quotes and ellipsis of U+2010–U+2027 (U+2000 and U+2001 are not: they decompose).
fn nfc_stable(c: char) -> bool {
    c < '\u{300}'
        || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
        || ('\u{2010}'..='\u{2027}').contains(&c)
}

/// Uppercases Vietnamese text. Rust's Unicode tables already map every precomposed letter
/// (ệ → Ệ, đ → Đ); the result is re-normalised because a few letters only exist decomposed.
pub fn upper(s: &str) -> String {
    nfc(&s.to_uppercase())
}

/// "GIẤY GIỚI THIỆU" → "Giấy giới thiệu": a printed type name as running text.
pub fn sentence_case(s: &str) -> String {
    let lower = nfc(&s.to_lowercase());
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => nfc(&(c.to_uppercase().collect::<String>() + chars.as_str())),
        None => String::new(),
    }
}

/// A calendar date, validated: plans carry dates as text and `2024-02-30` must be refused,
/// not printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD` strictly (four-digit year, two-digit month and day).
    pub fn parse(s: &str) -> Result<Date, String> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(format!("`{s}` is not a date of the form YYYY-MM-DD"));
        }
        let year: i32 = s[0..4].parse().map_err(|_| format!("bad year in `{s}`"))?;
        let month: u32 = s[5..7].parse().map_err(|_| format!("bad month in `{s}`"))?;
        let day: u32 = s[8..10].parse().map_err(|_| format!("bad day in `{s}`"))?;
        if year == 0 {
            return Err(format!("`{s}` has year 0, which does not exist"));
        }
        if !(1..=12).contains(&month) {
            return Err(format!("`{s}` has month {month}; months run from 01 to 12"));
        }
        let max = days_in_month(year, month);
        if day == 0 || day > max {
            return Err(format!(
                "`{s}` does not exist: month {month} of {year} has {max} days"
            ));
        }
        Ok(Date { year, month, day })
    }

    /// Day number 0 = Monday … 6 = Sunday (Sakamoto's method; proleptic Gregorian).
    pub fn weekday_index(&self) -> u32 {
        const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let mut y = self.year;
        if self.month < 3 {
            y -= 1;
        }
        let sunday0 = (y + y / 4 - y / 100 + y / 400 + T[self.month as usize - 1] + self.day as i32)
            .rem_euclid(7) as u32;
        (sunday0 + 6) % 7
    }

    /// The weekday as written in documents: "Thứ Hai" … "Chủ nhật".
    pub fn weekday(&self) -> &'static str {
        [
            "Thứ Hai",
            "Thứ Ba",
            "Thứ Tư",
            "Thứ Năm",
            "Thứ Sáu",
            "Thứ Bảy",
            "Chủ nhật",
        ][self.weekday_index() as usize]
    }

    /// Short form used inside body text: `09/9/2024`, `01/10/2024`, `03/02/2024`.
    pub fn short(&self) -> String {
        format!(
            "{}/{}/{}",
            pad_day(self.day),
            pad_month(self.month),
            self.year
        )
    }

    /// Long form of the date line: `ngày 05 tháng 01 năm 2020`.
    pub fn long(&self) -> String {
        format!(
            "ngày {} tháng {} năm {}",
            pad_day(self.day),
            pad_month(self.month),
            self.year
        )
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Decree 30 (Annex I, II.4): days below 10 take a leading zero.
pub fn pad_day(day: u32) -> String {
    format!("{day:02}")
}

/// Decree 30 (Annex I, II.4): only months 1 and 2 take a leading zero.
pub fn pad_month(month: u32) -> String {
    if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    }
}

/// Decree 30 (Annex I, II.3): document numbers below 10 take a leading zero.
pub fn pad_number(n: u64) -> String {
    format!("{n:02}")
}

/// Roman numerals for section numbers (I., II., …).
pub fn roman(mut n: usize) -> String {
    const TABLE: [(usize, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// The Vietnamese alphabet used for điểm (a), b), …, đ), …): Decree 30 uses the letters of
/// the Vietnamese alphabet, which has no f, j, w, z and has đ after d.
pub fn letter(n: usize) -> String {
    const LETTERS: [&str; 23] = [
        "a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o", "p", "q", "r", "s",
        "t", "u", "v", "x", "y",
    ];
    if n == 0 {
        return String::new();
    }
    let i = n - 1;
    if i < LETTERS.len() {
        LETTERS[i].to_string()
    } else {
        format!(
            "{}{}",
            letter(i / LETTERS.len()),
            LETTERS[i % LETTERS.len()]
        )
    }
}

/// File-name form of a Vietnamese name: "Krông Pắc" → "krong-pac", "Cư M'gar" → "cu-mgar".
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c.is_whitespace() || c == '-' || c == '_' || c == '/' || c == '.' || c == ',' {
            dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The range test may skip NFC only for characters that neither compose with what comes
    /// before (quick check Yes, not Maybe) nor reorder (combining class 0).
    #[test]
    fn nfc_stable_characters_are_left_alone_by_nfc() {
        use unicode_normalization::char::canonical_combining_class;
        let stable: Vec<char> = (0..=0x2FFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| nfc_stable(c))
            .collect();
        assert_eq!(stable.len(), 0x300 + 0x5A + 0x18);
        for c in stable {
            assert_eq!(
                unicode_normalization::is_nfc_quick(std::iter::once(c)),
                unicode_normalization::IsNormalized::Yes,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
        }
        // Text outside the ranges still goes through Unicode's rules.
        assert_eq!(nfc("Vie\u{0323}\u{0302}t"), "Việt");
        assert_eq!(nfc("\u{2000}"), "\u{2002}");
    }

    #[test]
    fn decree_examples_of_dates() {
        assert_eq!(
            Date::parse("2020-01-05").unwrap().long(),
            "ngày 05 tháng 01 năm 2020"
        );
        assert_eq!(
            Date::parse("2019-06-29").unwrap().long(),
            "ngày 29 tháng 6 năm 2019"
        );
        assert_eq!(Date::parse("2024-09-09").unwrap().short(), "09/9/2024");
        assert_eq!(Date::parse("2024-10-01").unwrap().short(), "01/10/2024");
        assert_eq!(Date::parse("2024-02-03").unwrap().short(), "03/02/2024");
    }

    #[test]
    fn weekdays_are_computed() {
        assert_eq!(Date::parse("2024-10-01").unwrap().weekday(), "Thứ Ba");
        assert_eq!(Date::parse("2025-10-01").unwrap().weekday(), "Thứ Tư");
        assert_eq!(Date::parse("2024-09-25").unwrap().weekday(), "Thứ Tư");
        assert_eq!(Date::parse("2000-02-29").unwrap().weekday(), "Thứ Ba");
        assert_eq!(Date::parse("2026-12-06").unwrap().weekday(), "Chủ nhật");
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(Date::parse("2024-02-30").unwrap_err().contains("29 days"));
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2024-13-01").is_err());
        assert!(Date::parse("2024-9-1").is_err());
        assert!(Date::parse("２０２４-01-01").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
    }

    #[test]
    fn numbers_and_labels() {
        assert_eq!(pad_number(5), "05");
        assert_eq!(pad_number(235), "235");
        assert_eq!(roman(4), "IV");
        assert_eq!(roman(9), "IX");
        assert_eq!(roman(14), "XIV");
        assert_eq!(letter(1), "a");
        assert_eq!(letter(5), "đ");
        assert_eq!(letter(6), "e");
        assert_eq!(letter(24), "aa");
    }

    #[test]
    fn upper_and_nfc() {
        assert_eq!(
            upper("Ủy ban nhân dân tỉnh Đắk Lắk"),
            "ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK"
        );
        assert_eq!(upper("KT. Chủ tịch"), "KT. CHỦ TỊCH");
        let nfd: String = "Tiếng Việt".nfd().collect();
        assert_ne!(nfd, "Tiếng Việt");
        assert_eq!(nfc(&nfd), "Tiếng Việt");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Krông Pắc"), "krong-pac");
        assert_eq!(slug("Cư M'gar"), "cu-mgar");
        assert_eq!(slug("Thành phố Buôn Ma Thuột"), "thanh-pho-buon-ma-thuot");
        assert_eq!(slug("M'Đrắk"), "mdrak");
    }
}
