//! Time zones: an IANA time zone parsed once into a [`TimeZone`], and the one way both
//! applications show a time (`2026-12-07 02:52 JST (Asia/Tokyo)`) and find a local date.
//!
//! The zone rules come from the IANA database bundled into the binary (jiff's
//! `tzdb-bundle-always`): a container without `/usr/share/zoneinfo` knows every zone, and every
//! node of a cloud the same version of the rules. Daylight saving time is followed; there are no
//! fixed offsets.

use std::fmt;

/// A name that is not an IANA time zone (such as `+09:00`, `JST` or a misspelling).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IANA time zone name such as Asia/Tokyo")]
pub struct UnknownTimeZone(pub String);

/// An IANA time zone (`Asia/Tokyo`, `Europe/Berlin`, `UTC`), by its canonical name.
#[derive(Clone)]
pub struct TimeZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl TimeZone {
    /// Parses an IANA name, ignoring case (`asia/tokyo` is `Asia/Tokyo`). Fixed offsets and
    /// abbreviations are refused: a zone's offset changes with its rules.
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        let name = name.trim();
        let unknown = || UnknownTimeZone(name.to_string());
        // Only names: jiff reads nothing but the database here, yet a path-like name is
        // refused before it is looked up at all.
        if name.is_empty() || name.len() > 64 || name.contains("..") || name.starts_with('/') {
            return Err(unknown());
        }
        let tz = jiff::tz::TimeZone::get(name).map_err(|_| unknown())?;
        let canonical = tz.iana_name().ok_or_else(unknown)?.to_string();
        Ok(Self {
            name: canonical,
            tz,
        })
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn zoned(&self, unix: i64) -> jiff::ZonedDateTime {
        jiff::Timestamp::from_second(unix)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.tz.clone())
    }

    /// A time as every page and mail shows it: the local date and time to the minute, the
    /// abbreviation in force then (`JST`, `CEST`, `+08` where the zone has none) and the zone's
    /// name, e.g. `2026-12-07 02:52 JST (Asia/Tokyo)`; for UTC just `2026-12-06 17:52 UTC`.
    pub fn format(&self, unix: i64) -> String {
        let zoned = self.zoned(unix);
        let local = zoned.strftime("%Y-%m-%d %H:%M %Z").to_string();
        let abbreviation = local.rsplit(' ').next().unwrap_or_default();
        if abbreviation == self.name {
            local
        } else {
            format!("{local} ({})", self.name)
        }
    }

    /// The local calendar date of a Unix time in this zone.
    pub fn date(&self, unix: i64) -> time::Date {
        let d = self.zoned(unix).date();
        time::Month::try_from(d.month() as u8)
            .ok()
            .and_then(|m| {
                time::Date::from_calendar_date(i32::from(d.year()), m, d.day() as u8).ok()
            })
            .unwrap_or(time::Date::MIN)
    }

    /// The names a person chooses from: every `Area/Location` zone of the database (not the
    /// old aliases such as `Japan` or `US/Eastern`), sorted, and `UTC`.
    pub fn choices() -> &'static [String] {
        static CHOICES: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(TimeZone::list_choices);
        &CHOICES
    }

    fn list_choices() -> Vec<String> {
        const AREAS: [&str; 10] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Arctic/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| AREAS.iter().any(|a| n.starts_with(a)))
            .collect();
        names.sort();
        names.push("UTC".into());
        names
    }
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZone {}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.name)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl std::str::FromStr for TimeZone {
    type Err = UnknownTimeZone;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).expect("a zone of the database")
    }

    #[test]
    fn names_parse_to_their_canonical_form_and_nothing_else_does() {
        assert_eq!(zone("asia/TOKYO").name(), "Asia/Tokyo");
        assert_eq!(zone(" UTC ").name(), "UTC");
        for bad in [
            "",
            "+09:00",
            "JST",
            "Asia/Tokio",
            "../etc/passwd",
            "/etc/localtime",
        ] {
            assert!(TimeZone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_show_the_local_time_the_abbreviation_and_the_name() {
        // 2026-12-06T17:52:00Z.
        let t = 1_796_579_520;
        assert_eq!(
            zone("Asia/Tokyo").format(t),
            "2026-12-07 02:52 JST (Asia/Tokyo)"
        );
        assert_eq!(TimeZone::utc().format(t), "2026-12-06 17:52 UTC");
        assert_eq!(
            zone("America/New_York").format(t),
            "2026-12-06 12:52 EST (America/New_York)"
        );
    }

    #[test]
    fn local_dates_follow_daylight_saving_time() {
        let berlin = zone("Europe/Berlin");
        // 2026-03-28T23:30Z is 00:30 CET on the 29th; 2026-07-01T22:30Z is 00:30 CEST on the
        // 2nd, a fixed +01:00 would still say the 1st.
        assert_eq!(berlin.date(1_774_740_600).to_string(), "2026-03-29");
        assert_eq!(berlin.date(1_782_945_000).to_string(), "2026-07-02");
        assert!(berlin.format(1_782_945_000).contains("CEST"));
        // After midnight in Japan it is still the day before in UTC.
        assert_eq!(
            zone("Asia/Tokyo").date(1_796_579_520).to_string(),
            "2026-12-07"
        );
        assert_eq!(
            TimeZone::utc().date(1_796_579_520).to_string(),
            "2026-12-06"
        );
    }

    #[test]
    fn the_choices_are_areas_and_utc_without_aliases() {
        let choices = TimeZone::choices();
        assert!(choices.iter().any(|c| c == "Asia/Tokyo"));
        assert!(choices.iter().any(|c| c == "UTC"));
        assert!(!choices.iter().any(|c| c == "Japan" || c.starts_with("US/")));
        assert!(choices.iter().all(|c| TimeZone::parse(c).is_ok()));
    }
}
