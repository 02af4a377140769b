//! The language the cloud is asked to answer in.

use rekey_web::Lang;

use crate::cli::LangArg;

/// The language: `--lang` if given, else the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is
/// set and not empty (`ja_JP.UTF-8` → Japanese), else English.
pub fn resolve(arg: Option<LangArg>) -> Lang {
    resolve_with(arg, |name| std::env::var(name).ok())
}

/// [`resolve`] with the environment looked up through `env` (for tests).
pub fn resolve_with(arg: Option<LangArg>, env: impl Fn(&str) -> Option<String>) -> Lang {
    match arg {
        Some(LangArg::Ja) => return Lang::Ja,
        Some(LangArg::En) => return Lang::En,
        None => {}
    }
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| env(name))
        .find(|v| !v.is_empty())
        .and_then(|v| Lang::from_code(&v))
        .unwrap_or(Lang::En)
}

/// The `Accept-Language` header value for a language.
pub fn accept_language(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}
