//! E-mail addresses, as carried in recovery QR codes and stored for accounts and users.

use std::fmt;

/// Longest address accepted (RFC 5321 path limit less the angle brackets).
pub const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address: `local@domain`, the domain folded to lower case.
///
/// Parsing accepts what people actually use (no quoted local parts, no IP-literal domains) and
/// keeps the local part as typed, since some mail systems treat its case as significant.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a string is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty or longer than [`EMAIL_MAX_LEN`].
    #[error("an e-mail address has 3 to {EMAIL_MAX_LEN} characters")]
    Length,
    /// Not of the form `name@domain.example`.
    #[error("an e-mail address looks like name@example.com")]
    Shape,
}

impl Email {
    /// Parses an address, trimming surrounding white space.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.len() < 3 || s.len() > EMAIL_MAX_LEN {
            return Err(EmailError::Length);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::Shape)?;
        // Checked after folding: lower-casing can lengthen the domain or leave a combining mark
        // (`İ` becomes `i̇`), and the stored address must parse again.
        let domain = domain.to_lowercase();
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                !crate::text::is_invisible(c) && !c.is_whitespace() && !"@<>()[]\\,;:\"".contains(c)
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(EmailError::Shape);
        }
        let address = format!("{local}@{domain}");
        if address.len() > EMAIL_MAX_LEN {
            return Err(EmailError::Length);
        }
        Ok(Self(address))
    }

    /// The key the address is compared under: [folded](crate::text::fold) (NFKC and lower
    /// case), so that a look-alike such as `\u{212A}ate@example.com` (KELVIN SIGN) is the same
    /// address as `kate@example.com`. Mail goes to an address as stored, never to a look-alike.
    pub fn key(&self) -> String {
        crate::text::fold(&self.0)
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part hidden but its first character: `a•••@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or(("", &self.0));
        let first: String = local.chars().take(1).collect();
        format!("{first}\u{2022}\u{2022}\u{2022}@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_addresses() {
        let e = Email::parse(" Taro.Yamada+nvr@Example.CO.JP ").unwrap();
        assert_eq!(e.as_str(), "Taro.Yamada+nvr@example.co.jp");
        assert_eq!(e.masked(), "T\u{2022}\u{2022}\u{2022}@example.co.jp");
        assert!(Email::parse("山田@例え.jp").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "a",
            "a@b",
            "@example.com",
            "a@@example.com",
            "a b@example.com",
            "a@example..com",
            "a@-example.com",
            "a.@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Email::parse("a@example.com\nb"), Err(EmailError::Shape));
        assert_eq!(
            Email::parse("a\u{202E}moc@example.com"),
            Err(EmailError::Shape)
        );
    }
}
