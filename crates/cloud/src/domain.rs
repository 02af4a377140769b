//! Domain values of the cloud, parsed once: user names, regions, verification codes.

use std::fmt;

use rekey_web::random_array;

/// A cloud account's user name (its login ID besides the e-mail address): 3 to 32 characters,
/// letters, digits, `.`, `_` and `-`, starting with a letter or digit; compared without case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

/// Why a string is not a user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Shorter than 3 or longer than 32 characters.
    #[error("a user name has 3 to 32 characters")]
    Length,
    /// A character other than the allowed ones, or a bad first character.
    #[error("a user name has letters, digits, '.', '_' and '-', and starts with a letter or digit")]
    Character,
    /// Contains `@`, which would make it look like an e-mail address.
    #[error("a user name must not look like an e-mail address")]
    LooksLikeEmail,
}

impl UsernameError {
    /// The message catalog key.
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Length => "cloud-username-length",
            Self::Character => "cloud-username-character",
            Self::LooksLikeEmail => "cloud-username-email",
        }
    }
}

impl Username {
    /// Parses a user name, folding it to lower case.
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let s = input.trim();
        if s.contains('@') {
            return Err(UsernameError::LooksLikeEmail);
        }
        if !(3..=32).contains(&s.chars().count()) {
            return Err(UsernameError::Length);
        }
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !first_ok
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(UsernameError::Character);
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    /// A user name for an account made by the phone order: `user` and 8 random digits.
    pub fn generate() -> Self {
        let n = u64::from_be_bytes(random_array::<8>()) % 100_000_000;
        Self(format!("user{n:08}"))
    }

    /// The user name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

/// A 6-digit e-mail verification code as typed (spaces ignored, full-width digits folded).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailCode(String);

impl fmt::Debug for EmailCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailCode([redacted])")
    }
}

impl EmailCode {
    /// A fresh random code.
    pub fn generate() -> Self {
        let n = u32::from_be_bytes(random_array::<4>()) % 1_000_000;
        Self(format!("{n:06}"))
    }

    /// Reads a typed code; `None` unless it is exactly six digits.
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                other => other,
            })
            .collect();
        (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(Self(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_parse_once() {
        assert_eq!(
            Username::parse(" Taro_01 ").map(|u| u.0),
            Ok("taro_01".into())
        );
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse("_taro"), Err(UsernameError::Character));
        assert_eq!(
            Username::parse("taro yamada"),
            Err(UsernameError::Character)
        );
        assert_eq!(
            Username::parse("a@b.jp"),
            Err(UsernameError::LooksLikeEmail)
        );
        assert!(Username::parse(Username::generate().as_str()).is_ok());
    }

    #[test]
    fn email_codes_are_six_digits() {
        assert_eq!(
            EmailCode::parse(" 012 345 ").map(|c| c.0),
            Some("012345".into())
        );
        assert_eq!(
            EmailCode::parse("０１２３４５").map(|c| c.0),
            Some("012345".into())
        );
        assert!(EmailCode::parse("12345").is_none());
        assert!(EmailCode::parse("12345a").is_none());
        assert_eq!(EmailCode::generate().as_str().len(), 6);
    }
}

/// A device name as its owner gave it: 1 to 64 characters, no control or invisible formatting
/// characters (bidirectional controls would make it read differently in a mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName(String);

/// Why a device name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a device name has 1 to 64 characters and no control or invisible characters")]
pub struct DeviceNameError;

impl DeviceName {
    /// Parses a name (surrounding spaces trimmed).
    pub fn parse(input: &str) -> Result<Self, DeviceNameError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 64 || rekey_proto::text::has_invisible(s) {
            return Err(DeviceNameError);
        }
        Ok(Self(s.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
