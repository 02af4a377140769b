//! Issue 4, recovery (manual p.18–27).
