//! The human-typeable symbol alphabet shared by register codes and temporary passwords.
//!
//! Crockford's base32: `0-9` and `A-Z` without `I`, `L`, `O` and `U`. On entry, letters are
//! case-insensitive, `O` reads as `0`, `I` and `L` read as `1`, spaces and hyphens are ignored, and
//! full-width forms (as typed by a Japanese input method) read as their ASCII counterparts.

use std::fmt;

/// The 32 symbols, in value order.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Symbols per display group (`XXXX-XXXX-…`).
pub const GROUP: usize = 4;

/// Why a typed code could not be read as symbols.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// A character that is neither a symbol nor a separator.
    #[error("character {character:?} at position {position} is not part of a code")]
    InvalidCharacter {
        /// The character as typed.
        character: char,
        /// 1-based position among the typed characters.
        position: usize,
    },
    /// Too few or too many symbols.
    #[error("a code has {expected} characters, this one has {found}")]
    WrongLength {
        /// Symbols a code of this kind has.
        expected: usize,
        /// Symbols found in the input.
        found: usize,
    },
}

/// Folds a full-width form (U+FF01..U+FF5E) to ASCII and the ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        // Katakana prolonged sound mark and other dashes that Japanese keyboards produce.
        '\u{30FC}' | '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

/// The value of one typed character, `None` if it is not a symbol.
pub fn symbol_value(c: char) -> Option<u8> {
    let c = fold_width(c).to_ascii_uppercase();
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    if !c.is_ascii() {
        return None;
    }
    ALPHABET.iter().position(|&a| a == c as u8).map(|p| p as u8)
}

fn is_separator(c: char) -> bool {
    matches!(fold_width(c), ' ' | '-' | '\t')
}

/// Reads exactly `expected` symbols from `input`, ignoring separators.
pub fn parse(input: &str, expected: usize) -> Result<Vec<u8>, SymbolError> {
    let mut out = Vec::with_capacity(expected);
    for (i, c) in input.trim().chars().enumerate() {
        if is_separator(c) {
            continue;
        }
        match symbol_value(c) {
            Some(v) => out.push(v),
            None => {
                return Err(SymbolError::InvalidCharacter {
                    character: c,
                    position: i + 1,
                });
            }
        }
    }
    if out.len() != expected {
        return Err(SymbolError::WrongLength {
            expected,
            found: out.len(),
        });
    }
    Ok(out)
}

/// Writes symbols in groups of [`GROUP`] separated by hyphens.
pub fn write_grouped(f: &mut fmt::Formatter<'_>, symbols: &[u8]) -> fmt::Result {
    for (i, chunk) in symbols.chunks(GROUP).enumerate() {
        if i > 0 {
            f.write_str("-")?;
        }
        for &s in chunk {
            write!(f, "{}", ALPHABET[usize::from(s)] as char)?;
        }
    }
    Ok(())
}

/// The symbols as one string without separators.
pub fn to_compact(symbols: &[u8]) -> String {
    symbols
        .iter()
        .map(|&s| ALPHABET[usize::from(s)] as char)
        .collect()
}

/// Splits the low `5 * n` bits of `value` into `n` symbols, most significant first.
pub fn pack(value: u128, n: usize) -> Vec<u8> {
    (0..n)
        .rev()
        .map(|i| ((value >> (5 * i)) & 0x1f) as u8)
        .collect()
}

/// The inverse of [`pack`].
pub fn unpack(symbols: &[u8]) -> u128 {
    symbols
        .iter()
        .fold(0u128, |acc, &s| (acc << 5) | u128::from(s & 0x1f))
}

/// Multiplication by `x` in GF(32) = GF(2)[x] / (x^5 + x^2 + 1).
fn gf32_mul_x(a: u8) -> u8 {
    let a = a << 1;
    if a & 0x20 != 0 { (a ^ 0x25) & 0x1f } else { a }
}

/// The check symbol over `symbols`: `sum(x^(i+1) * s_i)` in GF(32).
///
/// Every single-symbol substitution and every transposition of two different neighbouring
/// symbols changes the check symbol (for up to 30 symbols), see `docs/protocol.md`.
pub fn check_symbol(symbols: &[u8]) -> u8 {
    let mut weight = 1u8;
    let mut acc = 0u8;
    for &s in symbols {
        weight = gf32_mul_x(weight);
        acc ^= gf32_mul(weight, s & 0x1f);
    }
    acc
}

fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        a = gf32_mul_x(a);
        b >>= 1;
    }
    product
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_separators_fold() {
        assert_eq!(parse("o1-iL ab", 6), parse("0111AB", 6));
        assert_eq!(parse("ＡＢ－ｃ０", 4), parse("ab-c0", 4));
    }

    #[test]
    fn u_is_not_a_symbol() {
        assert_eq!(
            parse("AU", 2),
            Err(SymbolError::InvalidCharacter {
                character: 'U',
                position: 2
            })
        );
    }

    #[test]
    fn pack_round_trips() {
        let v = 0x1234_5678_9abc_def0_1122u128;
        assert_eq!(unpack(&pack(v, 16)), v);
    }

    #[test]
    fn gf32_x_has_order_31() {
        let mut w = 1u8;
        for i in 1..=31 {
            w = gf32_mul_x(w);
            assert_eq!(w == 1, i == 31, "x^{i}");
        }
    }

    #[test]
    fn check_symbol_catches_every_substitution_and_transposition() {
        let base: Vec<u8> = (0..11).map(|i| (i * 7 + 3) % 32).collect();
        let c = check_symbol(&base);
        for i in 0..base.len() {
            for v in 0..32u8 {
                if v == base[i] {
                    continue;
                }
                let mut m = base.clone();
                m[i] = v;
                assert_ne!(check_symbol(&m), c);
            }
            if i + 1 < base.len() && base[i] != base[i + 1] {
                let mut m = base.clone();
                m.swap(i, i + 1);
                assert_ne!(check_symbol(&m), c);
            }
        }
    }
}
