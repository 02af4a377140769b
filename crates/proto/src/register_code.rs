//! The register code a recorder shows on its cloud page and a user types into the cloud.

use std::fmt;

use crate::symbols::{self, SymbolError};

/// Symbols in a register code: [`REGISTER_CODE_RANDOM_SYMBOLS`] random ones and one check symbol.
pub const REGISTER_CODE_LEN: usize = 12;
/// Random symbols in a register code (55 bits).
pub const REGISTER_CODE_RANDOM_SYMBOLS: usize = REGISTER_CODE_LEN - 1;
/// Random bytes [`RegisterCode::from_random`] takes; only the low 55 bits are used.
pub const REGISTER_CODE_RANDOM_BYTES: usize = 7;

/// A register code: 11 random symbols and a check symbol, shown as `XXXX-XXXX-XXXX`.
///
/// Issued by the cloud to one device and consumed when an account binds that device. The check
/// symbol tells a mistyped code from an unknown one without asking the cloud.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegisterCode([u8; REGISTER_CODE_LEN]);

/// Why typed text is not a register code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterCodeError {
    /// Wrong length or a character outside the alphabet.
    #[error(transparent)]
    Malformed(#[from] SymbolError),
    /// The check symbol does not match: a character was mistyped or two were swapped.
    #[error("the code is mistyped; check each character")]
    Mistyped,
}

impl RegisterCode {
    /// Makes a code from 7 bytes of a cryptographically secure random source.
    pub fn from_random(random: [u8; REGISTER_CODE_RANDOM_BYTES]) -> Self {
        let mut wide = [0u8; 16];
        wide[16 - REGISTER_CODE_RANDOM_BYTES..].copy_from_slice(&random);
        let value = u128::from_be_bytes(wide) & ((1u128 << 55) - 1);
        let data = symbols::pack(value, REGISTER_CODE_RANDOM_SYMBOLS);
        let mut code = [0u8; REGISTER_CODE_LEN];
        code[..REGISTER_CODE_RANDOM_SYMBOLS].copy_from_slice(&data);
        code[REGISTER_CODE_RANDOM_SYMBOLS] = symbols::check_symbol(&data);
        Self(code)
    }

    /// Reads a typed code: case-insensitive, spaces and hyphens ignored, `O`/`I`/`L` read as
    /// `0`/`1`/`1`.
    pub fn parse(input: &str) -> Result<Self, RegisterCodeError> {
        let s = symbols::parse(input, REGISTER_CODE_LEN)?;
        let (data, check) = s.split_at(REGISTER_CODE_RANDOM_SYMBOLS);
        if symbols::check_symbol(data) != check[0] {
            return Err(RegisterCodeError::Mistyped);
        }
        let mut code = [0u8; REGISTER_CODE_LEN];
        code.copy_from_slice(&s);
        Ok(Self(code))
    }

    /// The canonical form without separators, as stored and put in QR codes.
    pub fn compact(&self) -> String {
        symbols::to_compact(&self.0)
    }
}

/// Displays the grouped form, `XXXX-XXXX-XXXX`.
impl fmt::Display for RegisterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        symbols::write_grouped(f, &self.0)
    }
}

impl fmt::Debug for RegisterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegisterCode({self})")
    }
}

impl std::str::FromStr for RegisterCode {
    type Err = RegisterCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
