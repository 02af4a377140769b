//! Where a page may send the browser after a form: local paths only.

/// Whether `next` is a path on this site: it starts with one `/`, and has no backslash, no
/// control character or space (browsers drop tabs and newlines, so `/\t/evil.example` would
/// become `//evil.example`) and no encoded slash or backslash that could turn it into another
/// host.
pub fn is_local_path(next: &str) -> bool {
    let lower = next.to_ascii_lowercase();
    next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        && !lower.contains("%5c")
        && !lower.starts_with("/%2f")
        && !lower.starts_with("/%09")
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_followed() {
        for ok in [
            "/",
            "/devices",
            "/m/add?v=1&code=ABCD",
            "/login?next=%2Fdevices",
        ] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "devices",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/%5Cevil.example",
            "/%2F/evil.example",
            "https://evil.example",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
