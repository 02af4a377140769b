//! The language `rekey` speaks: its own messages come from the `cli-*` entries of the catalogs
//! (`crates/web/locales/{en,ja}/cli.ftl`), and the cloud is asked to answer in it.

use rekey_web::Lang;

use crate::cli::LangArg;

/// The language, chosen once at start: `--lang` if given, else `REKEY_LANG` if it names a
/// language, else the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty
/// (`ja_JP.UTF-8` → Japanese), else English.
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
    if let Some(lang) = env("REKEY_LANG").and_then(|v| Lang::from_code(&v)) {
        return lang;
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

/// A number of seconds in words, in `lang`: `45 seconds`, `10 minutes`, `2 hours`.
pub fn duration(lang: Lang, secs: u64) -> String {
    let (key, n) = if secs < 120 {
        ("cli-duration-seconds", secs)
    } else if secs < 2 * 3600 {
        ("cli-duration-minutes", secs.div_ceil(60))
    } else {
        ("cli-duration-hours", secs.div_ceil(3600))
    };
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    lang.t_args(key, &[("n", n.into())])
}
