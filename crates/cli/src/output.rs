//! What commands print: aligned tables and fields for people, JSON (`--json`) for scripts.
//!
//! Text that comes from the cloud (device names, messages) is cleaned of control characters
//! before it reaches a terminal, so that it cannot move the cursor or change the terminal.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where results go: stdout, as text or as JSON.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Prints JSON if `json`, text otherwise.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether results are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a result: `json` as one pretty JSON document, or `human` as text.
    pub fn print<T: Serialize>(&self, human: &str, json: &T) {
        println!("{}", self.render(human, json));
    }

    /// What [`Output::print`] prints.
    pub fn render<T: Serialize>(&self, human: &str, json: &T) -> String {
        if self.json {
            serde_json::to_string_pretty(json).unwrap_or_else(|e| {
                serde_json::json!({ "error": "cli-json", "message": e.to_string() }).to_string()
            })
        } else {
            human.trim_end().to_string()
        }
    }

    /// Prints a note for people on stderr (nothing with `--json`).
    pub fn note(&self, text: &str) {
        if !self.json {
            eprintln!("{text}");
        }
    }
}

/// Replaces control characters other than line breaks with `�`.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Replaces every control character, line breaks included, with `�`: for table cells.
pub fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// Columns a string takes in a terminal: East Asian wide and full-width characters take two.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    let zero = matches!(u, 0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F);
    let wide = matches!(u,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD);
    if zero {
        0
    } else if wide {
        2
    } else {
        1
    }
}

fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// A table: a header row, then one row per entry, columns separated by two spaces and aligned
/// by display width; no trailing spaces.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cells: Vec<Vec<String>> = std::iter::once(headers.iter().map(|h| h.to_string()).collect())
        .chain(
            rows.iter()
                .map(|r| r.iter().map(|c| clean_line(c)).collect()),
        )
        .collect();
    let columns = headers.len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            cells
                .iter()
                .map(|r| r.get(i).map_or(0, |c| display_width(c)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = (0..columns)
            .map(|i| pad(row.get(i).map_or("", String::as_str), widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Labelled values, one per line, values aligned: `Username:  taro`.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(k, _)| display_width(k) + 1)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(&pad(&format!("{k}:"), width));
        out.push_str("  ");
        out.push_str(&clean_line(v));
        out.push('\n');
    }
    out
}

/// An RFC 3339 time from the cloud as `YYYY-MM-DD HH:MM UTC`; text that is not one is shown as
/// it is (cleaned).
pub fn time(rfc3339: &str) -> String {
    time_in(rfc3339, &rekey_web::TimeZone::utc())
}

/// An RFC 3339 time from the cloud in `zone`, as the portal shows it
/// (`2026-12-07 02:52 JST (Asia/Tokyo)`); text that is not one is shown as it is (cleaned).
pub fn time_in(rfc3339: &str, zone: &rekey_web::TimeZone) -> String {
    match OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => zone.format(t.unix_timestamp()),
        Err(_) => clean_line(rfc3339),
    }
}

/// A number of seconds in words, in English: `45 seconds`, `10 minutes`, `2 hours` (see
/// [`crate::lang::duration`]).
pub fn duration(secs: u64) -> String {
    crate::lang::duration(rekey_web::Lang::En, secs)
}
