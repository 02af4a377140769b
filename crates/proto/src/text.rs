//! Text that people type and other people read: folding for comparison, and the invisible
//! characters that make one string look like another.

use unicode_normalization::UnicodeNormalization;

/// Folds text for comparison: NFKC, lower case, NFKC again (close to Unicode's
/// `NFKC_Casefold`). Two strings that fold alike are the same name or address: `K` (KELVIN
/// SIGN), fullwidth `Ｋ` and `K` all fold to `k`.
pub fn fold(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase().nfkc().collect()
}

/// Whether `c` is invisible formatting (Unicode category Cf: bidirectional controls, zero-width
/// characters, the byte-order mark, tag characters, …) or a control character. Such characters
/// let a name shown in a page or a mail read differently from what it is.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// Whether `s` holds any [invisible](is_invisible) character.
pub fn has_invisible(s: &str) -> bool {
    s.chars().any(is_invisible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_fold_alike() {
        assert_eq!(fold("\u{212A}ate@Example.com"), "kate@example.com");
        assert_eq!(fold("ＫＡＴＥ"), "kate");
        assert_ne!(fold("kate"), fold("kāte"));
    }

    #[test]
    fn bidi_and_zero_width_are_invisible() {
        for c in [
            '\u{202E}',
            '\u{2066}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{E0041}',
            '\n',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        assert!(!has_invisible("山田 太郎 NVR-1"));
    }
}
