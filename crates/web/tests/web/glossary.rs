//! The catalogs use the manual's words: `docs/glossary.md` maps each of the manual's names to
//! the catalog keys that carry it, and lists the words we no longer use. These tests read that
//! file and the catalog files (`crates/web/locales/{en,ja}/*.ftl`) and check one against the
//! other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rekey_web::Lang;
use rekey_web::i18n::catalog_keys;

/// A row of the glossary's "Names" table.
#[derive(Debug)]
struct Name {
    pages: String,
    ja: String,
    en: String,
    keys: Vec<String>,
}

/// A row of the glossary's "Words we do not use" table.
#[derive(Debug)]
struct Banned {
    lang: Lang,
    word: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn glossary() -> String {
    let path = repo_root().join("docs/glossary.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of the Markdown table under `## {heading}`, as cells, after checking its header.
fn table(doc: &str, heading: &str, header: &[&str]) -> Vec<Vec<String>> {
    let start = doc
        .lines()
        .position(|l| l.trim() == format!("## {heading}"))
        .unwrap_or_else(|| panic!("the glossary has no section \"## {heading}\""));
    let mut rows = doc
        .lines()
        .skip(start + 1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_start_matches('|')
                .trim_end_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        });
    let head = rows.next().expect("a table header");
    assert_eq!(
        head, header,
        "the columns of the table under \"## {heading}\""
    );
    let rows: Vec<_> = rows.skip(1).collect();
    for row in &rows {
        assert_eq!(
            row.len(),
            header.len(),
            "a row of \"## {heading}\": {row:?}"
        );
    }
    assert!(
        !rows.is_empty(),
        "the table under \"## {heading}\" is empty"
    );
    rows
}

fn names() -> Vec<Name> {
    table(&glossary(), "Names", &["pages", "ja", "en", "keys", "note"])
        .into_iter()
        .map(|mut row| {
            let keys = row[3]
                .split(',')
                .map(|k| k.trim().trim_matches('`').to_owned())
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>();
            assert!(!keys.is_empty(), "a name without keys: {row:?}");
            Name {
                pages: std::mem::take(&mut row[0]),
                ja: std::mem::take(&mut row[1]),
                en: std::mem::take(&mut row[2]),
                keys,
            }
        })
        .collect()
}

fn banned() -> Vec<Banned> {
    table(
        &glossary(),
        "Words we do not use",
        &["lang", "word", "instead"],
    )
    .into_iter()
    .map(|row| Banned {
        lang: Lang::from_code(&row[0]).unwrap_or_else(|| panic!("not a language: {:?}", row[0])),
        word: row[1].clone(),
    })
    .collect()
}

/// Every message of one language's catalog files, by key, with its text as written (a value
/// that spans several lines is joined; placeables such as `{ $code }` stay as they are).
fn catalog(lang: Lang) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang.code());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    let mut messages = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a catalog file");
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            // Indented lines, and the lines of a select expression, belong to the message above.
            let continues = line.is_empty() || line.starts_with([' ', '}', '[', '*', '.']);
            if continues {
                if let Some((_, value)) = current.as_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                continue;
            }
            if let Some((key, value)) = current.take() {
                messages.insert(key, value.trim().to_owned());
            }
            if line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{}: not a message: {line:?}", file.display()));
            current = Some((key.trim().to_owned(), value.trim().to_owned()));
        }
        if let Some((key, value)) = current.take() {
            messages.insert(key, value.trim().to_owned());
        }
    }
    messages
}

/// A text as compared: Japanese without white space; English also without case and hyphens.
fn normalized(lang: Lang, text: &str) -> String {
    let text = text.chars().filter(|c| !c.is_whitespace());
    match lang {
        Lang::Ja => text.collect(),
        Lang::En => text
            .filter(|c| *c != '-')
            .flat_map(char::to_lowercase)
            .collect(),
    }
}

fn contains(lang: Lang, text: &str, word: &str) -> bool {
    normalized(lang, text).contains(&normalized(lang, word))
}

#[test]
fn the_glossary_parses_and_names_the_manuals_key_words() {
    let names = names();
    let ja: Vec<&str> = names.iter().map(|n| n.ja.as_str()).collect();
    for word in [
        "仮パスワード",
        "確認コード",
        "セキュリティコード",
        "パスワードをお忘れですか？",
        "サインアップ",
        "読んだ上、同意します",
        "パスワードの復旧",
        "Retrieve",
        "Acquire",
        "Valid Date",
    ] {
        assert!(ja.contains(&word), "the glossary does not name {word}");
    }
    for n in &names {
        assert!(
            !n.pages.is_empty() && !n.ja.is_empty() && !n.en.is_empty(),
            "{n:?}"
        );
    }
    assert!(!banned().is_empty());
}

#[test]
fn every_glossary_key_carries_the_manuals_word_in_both_languages() {
    let mut wrong = Vec::new();
    for lang in Lang::ALL {
        let keys = catalog_keys(lang);
        let messages = catalog(lang);
        for name in names() {
            let word = match lang {
                Lang::Ja => &name.ja,
                Lang::En => &name.en,
            };
            for key in &name.keys {
                match messages.get(key) {
                    None => wrong.push(format!("{lang}: {key} is not in the catalog files")),
                    Some(_) if !keys.contains(key) => {
                        wrong.push(format!("{lang}: {key} is not in rekey-web's catalogs"))
                    }
                    Some(text) if !contains(lang, text, word) => wrong.push(format!(
                        "{lang}: {key} (p.{}) does not say {word:?}: {text:?}",
                        name.pages
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_catalog_text_uses_a_word_we_replaced() {
    let mut found = Vec::new();
    for banned in banned() {
        for (key, text) in catalog(banned.lang) {
            if contains(banned.lang, &text, &banned.word) {
                found.push(format!(
                    "{}: {key} says {:?}: {text:?}",
                    banned.lang, banned.word
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn retrieve_and_acquire_are_two_different_buttons_in_both_languages() {
    for lang in Lang::ALL {
        let messages = catalog(lang);
        let retrieve = &messages["cloud-retrieve-button"];
        let acquire = &messages["cloud-acquire-button"];
        assert_ne!(
            normalized(lang, retrieve),
            normalized(lang, acquire),
            "{lang}: Retrieve and Acquire read the same"
        );
        // The recorder tells the user which button to press: it must be the portal's.
        assert!(
            contains(lang, &messages["rec-recovery-scan"], retrieve),
            "{lang}: the recorder's recovery screen does not name the portal's {retrieve:?}"
        );
    }
}

#[test]
fn the_catalog_files_are_what_the_crate_loads() {
    for lang in Lang::ALL {
        let mut parsed: Vec<String> = catalog(lang).into_keys().collect();
        let mut loaded = catalog_keys(lang);
        parsed.sort();
        loaded.sort();
        assert_eq!(
            parsed, loaded,
            "{lang}: the files and the crate's catalogs differ"
        );
        for key in ["cloud-retrieve-button", "rec-recovery-title"] {
            assert_eq!(lang.t(key), catalog(lang)[key], "{lang}: {key}");
        }
    }
}
