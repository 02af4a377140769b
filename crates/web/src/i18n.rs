//! Languages and message catalogs. The catalogs are Fluent files under `crates/web/locales/`,
//! one folder per language, compiled into the binary; every user-facing string lives there.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static JA: LanguageIdentifier = langid!("ja");

/// The name of the cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the user interface speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Japanese.
    Ja,
    /// English.
    #[default]
    En,
}

impl Lang {
    /// Every language, in the order of the switcher.
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The BCP 47 code (`ja`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
        }
    }

    /// Parses a code such as `ja`, `ja-JP` or `en-US`.
    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language to use: a remembered choice wins, then the best match of an
    /// `Accept-Language` header (by q-value), then English.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(l) = cookie.and_then(Self::from_code) {
            return l;
        }
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::from_code) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// The message `key` in this language (the English one if missing, the key itself if
    /// missing everywhere, which the catalog tests forbid).
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message `key`, with the key (see [`Message`]).
    pub fn message(self, key: &'static str) -> Message {
        Message {
            key,
            text: self.t(key),
        }
    }

    /// The message `key` with named arguments, with the key (see [`Message`]).
    pub fn message_args(self, key: &'static str, args: &[(&'static str, Arg)]) -> Message {
        Message {
            key,
            text: self.t_args(key, args),
        }
    }

    /// The message `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Arg::Str(s) => FluentValue::from(s.clone()),
                    Arg::Num(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), v)
            })
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A message shown to the user, with its catalog key: a page shows the text and carries the
/// key (e.g. as `data-error`), so that what was said can be checked without its wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The catalog key.
    pub key: &'static str,
    /// The text in the page's language.
    pub text: String,
}

/// An argument of a catalog message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text.
    Str(String),
    /// A number (plural rules apply).
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

/// The message identifiers of one language's catalog files, for completeness checks.
pub fn catalog_keys(lang: Lang) -> Vec<String> {
    let files: &[&str] = match lang {
        Lang::En => &[
            include_str!("../locales/en/common.ftl"),
            include_str!("../locales/en/cloud.ftl"),
            include_str!("../locales/en/recorder.ftl"),
            include_str!("../locales/en/cli.ftl"),
        ],
        Lang::Ja => &[
            include_str!("../locales/ja/common.ftl"),
            include_str!("../locales/ja/cloud.ftl"),
            include_str!("../locales/ja/recorder.ftl"),
            include_str!("../locales/ja/cli.ftl"),
        ],
    };
    files
        .iter()
        .flat_map(|f| f.lines())
        .filter_map(|l| {
            let (id, _) = l.split_once(" =")?;
            let id = id.trim_end();
            (!l.starts_with([' ', '#', '.', '*', '[']) && !id.is_empty()).then(|| id.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_cookie_then_quality() {
        assert_eq!(
            Lang::negotiate(None, Some("ja-JP,ja;q=0.9,en;q=0.8")),
            Lang::Ja
        );
        assert_eq!(
            Lang::negotiate(None, Some("fr, en;q=0.5, ja;q=0.7")),
            Lang::Ja
        );
        assert_eq!(Lang::negotiate(Some("en"), Some("ja")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let mut en = catalog_keys(Lang::En);
        let mut ja = catalog_keys(Lang::Ja);
        en.sort();
        ja.sort();
        let missing_ja: Vec<_> = en.iter().filter(|k| !ja.contains(k)).collect();
        let missing_en: Vec<_> = ja.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_ja.is_empty(), "missing in ja: {missing_ja:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        let mut dedup = en.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), en.len(), "a key is defined twice");
    }

    #[test]
    fn messages_resolve_with_arguments() {
        assert_eq!(Lang::Ja.t("app-language"), "言語");
        assert_eq!(
            Lang::En.t_args("password-too-short", &[("min", Arg::Num(8))]),
            "Use at least 8 characters."
        );
    }
}
