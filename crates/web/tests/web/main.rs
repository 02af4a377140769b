//! `rekey-web`'s integration tests: the message catalogs as files, against the documents that
//! say what they must contain.

mod glossary;
