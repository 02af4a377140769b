//! The progress spinner shown on stderr while waiting on the network.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Answers quicker than this show no spinner, so that it does not flicker.
const SHOW_AFTER: Duration = Duration::from_millis(150);

/// Shows a spinner while a future runs, when stderr is a terminal and JSON output is off.
#[derive(Debug, Clone, Copy)]
pub struct Spinner {
    enabled: bool,
}

impl Spinner {
    /// A spinner shown only if `!json` and stderr is a terminal.
    pub fn new(json: bool) -> Self {
        Self {
            enabled: !json && std::io::stderr().is_terminal(),
        }
    }

    /// A spinner that never shows.
    pub fn hidden() -> Self {
        Self { enabled: false }
    }

    /// Whether the spinner is shown.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Awaits `fut`; if it takes longer than a moment, shows the spinner with `message` until it
    /// is done, then clears the line.
    pub async fn wait<F: Future>(&self, message: &str, fut: F) -> F::Output {
        if !self.enabled {
            return fut.await;
        }
        let mut fut = std::pin::pin!(fut);
        tokio::select! {
            out = &mut fut => return out,
            () = tokio::time::sleep(SHOW_AFTER) => {}
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::default_spinner());
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        let out = fut.await;
        bar.finish_and_clear();
        out
    }
}
