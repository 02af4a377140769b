//! A real browser for the end-to-end suite: Debian's headless Chromium, driven through its
//! `chromedriver` over WebDriver (`fantoccini`), at a desktop or a phone's size and in one
//! language. Every screen a walk reaches is checked with axe-core (injected into the page) for
//! serious and critical accessibility violations and photographed; when a step fails, the
//! photographs of every screen so far, the failing screen and its HTML are saved under
//! `target/browser-screens/<walk>/` and the path is printed.
//!
//! The programs are found where Debian's packages put them (`chromium`, `chromium-driver`)
//! and axe-core where `npm install -g axe-core` puts it, or at `REKEY_AXE_CORE`; the build
//! script marks their absence (outside CI) so that the suite is built ignored
//! ([`skip_unless_browser!`](crate::skip_unless_browser)).

use std::future::Future;
use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

/// The smallest tap target on a phone, in CSS pixels (Apple's and WCAG 2.5.5's 44).
const MIN_TAP: u32 = 44;

/// How long a page may take to appear, or a condition to hold.
const DEADLINE: Duration = Duration::from_secs(30);

/// The size the walk is seen at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// A PC's browser window, 1280×800.
    Desktop,
    /// A small phone held upright, 360×800 CSS pixels at three device pixels each, touch, with
    /// a phone's user agent (what fits 360 pixels fits the common 390 too).
    Phone,
}

impl Viewport {
    /// Its name in file names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone",
        }
    }

    /// Width and height in CSS pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Viewport::Desktop => (1280, 800),
            Viewport::Phone => (360, 800),
        }
    }
}

/// Where the programs are: Debian's wrapper runs `/usr/lib/chromium/chromium`.
fn chromium_binary() -> &'static str {
    "/usr/lib/chromium/chromium"
}

fn chromedriver_binary() -> &'static str {
    "/usr/bin/chromedriver"
}

/// The axe-core script, as found when the test kit was built.
fn axe_source() -> String {
    let path = option_env!("REKEY_AXE_CORE_JS").unwrap_or_else(|| {
        panic!("axe-core was not found when the tests were built: npm install -g axe-core")
    });
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A chromedriver process, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One browser window on a fresh profile.
pub struct Chromium {
    client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
    /// `<html lang>` every screen must carry.
    lang: String,
    viewport: Viewport,
    /// Where a failed walk leaves its screenshots.
    out: PathBuf,
    /// Each checked screen's name and screenshot, in order.
    screens: Mutex<Vec<(String, Vec<u8>)>>,
    axe: String,
}

impl std::fmt::Debug for Chromium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chromium")
            .field("lang", &self.lang)
            .field("viewport", &self.viewport)
            .finish_non_exhaustive()
    }
}

impl Chromium {
    /// Starts chromedriver and a headless Chromium asking for pages in `lang` (`ja`, `en`) at
    /// `viewport`. `walk` names the directory a failure's screenshots go to, under `out_root`.
    pub async fn start(walk: &str, lang: &str, viewport: Viewport, out_root: &Path) -> Chromium {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("its address").port()
        };
        let child = Command::new(chromedriver_binary())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver_binary()));
        let driver = Driver(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < DEADLINE,
                "chromedriver never listened on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let (w, h) = viewport.size();
        let mut args = vec![
            "--headless=new".to_owned(),
            // The suite runs as root in CI's containers, where Chromium's sandbox cannot start.
            "--no-sandbox".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-gpu".to_owned(),
            "--no-first-run".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--lang={lang}"),
            format!("--accept-lang={lang}"),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = json!({
            "binary": chromium_binary(),
            "prefs": { "intl.accept_languages": lang },
        });
        if viewport == Viewport::Phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": w, "height": h, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
            });
        } else {
            args.push("--force-device-scale-factor=1".to_owned());
        }
        options["args"] = json!(args);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("a Chromium session through chromedriver: {e}"));
        Chromium {
            client,
            _driver: driver,
            _profile: profile,
            lang: lang.to_owned(),
            viewport,
            out: out_root.join(walk),
            screens: Mutex::new(Vec::new()),
            axe: axe_source(),
        }
    }

    /// The size this window has.
    pub fn viewport(&self) -> Viewport {
        self.viewport
    }

    /// Runs `walk`; if it fails, saves what the browser showed, then fails the same way.
    pub async fn guard(&self, walk: impl Future<Output = ()>) {
        if let Err(panic) = AssertUnwindSafe(walk).catch_unwind().await {
            self.save_failure().await;
            std::panic::resume_unwind(panic);
        }
    }

    /// Ends the session (the driver process ends when this value is dropped). With
    /// `REKEY_SAVE_SCREENS=1` the screens of a walk that passed are saved too, for a person to
    /// look at.
    pub async fn close(self) {
        if std::env::var_os("REKEY_SAVE_SCREENS").is_some() {
            self.save_screens();
        }
        let Chromium { client, .. } = self;
        let _ = client.close().await;
    }

    /// Writes the photographs of the screens so far to the walk's directory (replacing an
    /// earlier run's); false if the directory cannot be made.
    fn save_screens(&self) -> bool {
        let _ = std::fs::remove_dir_all(&self.out);
        if let Err(e) = std::fs::create_dir_all(&self.out) {
            eprintln!("cannot save the screens to {}: {e}", self.out.display());
            return false;
        }
        let screens = std::mem::take(&mut *self.screens.lock().expect("screens"));
        for (i, (name, png)) in screens.iter().enumerate() {
            let _ = std::fs::write(self.out.join(format!("{i:02}-{name}.png")), png);
        }
        true
    }

    async fn save_failure(&self) {
        if !self.save_screens() {
            return;
        }
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(self.out.join("failed.png"), png);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(self.out.join("failed.html"), html);
        }
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|e| e.to_string(), |u| u.to_string());
        eprintln!(
            "the browser was at {url}; its screens are saved in {}",
            self.out.display()
        );
    }

    /// Opens `url` (absolute) and checks the screen it shows.
    pub async fn open(&self, url: &str, screen: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.screen(screen).await;
    }

    /// The current page's path.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .path()
            .to_owned()
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Checks the screen the browser shows now and keeps its photograph: the page is in the
    /// walk's language, and axe-core finds no serious or critical violation.
    pub async fn screen(&self, name: &str) {
        let lang = self
            .client
            .execute("return document.documentElement.lang", vec![])
            .await
            .expect("read <html lang>");
        if let Ok(png) = self.client.screenshot().await {
            self.screens
                .lock()
                .expect("screens")
                .push((name.to_owned(), png));
        }
        assert_eq!(
            lang.as_str(),
            Some(self.lang.as_str()),
            "screen {name} is in the walk's language"
        );
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "screen {name} ({} at {}): axe-core finds serious or critical violations:\n{}",
            self.lang,
            self.viewport.name(),
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("measure the page's width");
        assert!(
            overflow.as_f64().unwrap_or(0.0) <= 0.0,
            "screen {name} scrolls sideways at {} ({overflow} px too wide)",
            self.viewport.name()
        );
        if self.viewport == Viewport::Phone {
            let small = self.small_tap_targets().await;
            assert!(
                small.is_empty(),
                "screen {name}: tap targets smaller than {MIN_TAP} px on a phone:\n{}",
                small.join("\n")
            );
        }
    }

    /// The visible controls of the current page that are less than [`MIN_TAP`] CSS pixels
    /// high or wide: buttons, fields, choices, links set apart (not inside a sentence) and the
    /// labels of check boxes, each described with its size.
    async fn small_tap_targets(&self) -> Vec<String> {
        let found = self
            .client
            .execute(
                r##"const min = arguments[0];
                const inSentence = (a) => {
                  const p = a.parentElement;
                  return p && ["P", "LI", "DD", "TD", "SPAN"].includes(p.tagName)
                    && p.textContent.trim() !== a.textContent.trim();
                };
                const targets = [...document.querySelectorAll(
                  "button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, summary, a, label.check")]
                  .filter((e) => e.tagName !== "A" || !inSentence(e));
                return targets.flatMap((e) => {
                  const r = e.getBoundingClientRect();
                  if (r.width === 0 && r.height === 0) return [];
                  if (r.width >= min && r.height >= min) return [];
                  const what = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                    + (e.name ? "[name=" + e.name + "]" : "")
                    + " \"" + (e.textContent || e.value || "").trim().slice(0, 30) + "\"";
                  return [what + " " + Math.round(r.width) + "x" + Math.round(r.height)];
                });"##,
                vec![json!(MIN_TAP)],
            )
            .await
            .expect("measure the tap targets");
        match found {
            Value::Array(v) => v
                .into_iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => panic!("measuring tap targets failed: {other}"),
        }
    }

    /// The serious and critical violations axe-core finds on the current page.
    async fn axe_violations(&self) -> Vec<Value> {
        let loaded = self
            .client
            .execute("return typeof window.axe !== 'undefined'", vec![])
            .await
            .expect("look for axe");
        if loaded != Value::Bool(true) {
            self.client
                .execute(&format!("{}\nreturn true;", self.axe), vec![])
                .await
                .expect("inject axe-core");
        }
        let result = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] }).then(
                  (r) => done(r.violations
                    .filter((v) => v.impact === "serious" || v.impact === "critical")
                    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.map((n) => n.target.join(" ")) }))))
                .catch((e) => done({ error: String(e) }));"#,
                vec![],
            )
            .await
            .expect("run axe-core");
        match result {
            Value::Array(v) => v,
            other => panic!("axe-core failed: {other}"),
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("an element {css}: {e}"))
    }

    /// Whether an element matches `css` now.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// The visible text of the element with this id.
    pub async fn text(&self, id: &str) -> String {
        self.find(&format!("#{id}"))
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("the text of #{id}: {e}"))
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(attr)
            .await
            .unwrap_or_else(|e| panic!("attribute {attr} of {css}: {e}"))
    }

    /// The `data-error` keys the page shows, in order.
    pub async fn error_keys(&self) -> Vec<String> {
        let els = self
            .client
            .find_all(Locator::Css("[data-error]"))
            .await
            .expect("look for errors");
        let mut keys = Vec::new();
        for e in els {
            if let Ok(Some(k)) = e.attr("data-error").await {
                keys.push(k);
            }
        }
        keys
    }

    /// The link an image (a QR code) shows, read from the image as the screen renders it.
    pub async fn qr_link(&self, css: &str) -> String {
        let el = self.find(css).await;
        let complete = self
            .client
            .execute(
                "return arguments[0].complete && arguments[0].naturalWidth > 0",
                vec![serde_json::to_value(&el).expect("an element reference")],
            )
            .await
            .expect("ask whether the image loaded");
        assert_eq!(complete, Value::Bool(true), "the image {css} loaded");
        let png = el
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("a photograph of {css}: {e}"));
        crate::decode_qr(&png)
    }

    /// Types `fields` into the form matching `form` (text fields replaced, check boxes ticked
    /// for any non-empty value, selects chosen by value).
    pub async fn fill(&self, form: &str, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let el = self.find(&format!("{form} [name=\"{name}\"]")).await;
            let tag = el.tag_name().await.expect("tag name").to_ascii_lowercase();
            let kind = el.attr("type").await.ok().flatten().unwrap_or_default();
            if tag == "select" {
                el.select_by_value(value)
                    .await
                    .unwrap_or_else(|e| panic!("choose {value} in {name}: {e}"));
            } else if kind == "checkbox" || kind == "radio" {
                let on = el.is_selected().await.expect("checked");
                let want = !value.is_empty();
                if on != want {
                    el.click().await.expect("tick the box");
                }
            } else {
                el.clear().await.expect("clear the field");
                el.send_keys(value)
                    .await
                    .unwrap_or_else(|e| panic!("type into {name}: {e}"));
            }
        }
    }

    /// Ticks the check box matching `css` (one of several with the same name).
    pub async fn tick(&self, css: &str) {
        let el = self.find(css).await;
        if !el.is_selected().await.expect("checked") {
            el.click()
                .await
                .unwrap_or_else(|e| panic!("tick {css}: {e}"));
        }
    }

    /// Clicks the element matching `css` (a button or a link) and waits until the next page
    /// has loaded, then checks it as screen `screen`.
    pub async fn click(&self, css: &str, screen: &str) {
        self.client
            .execute("window.__rekeyLeaving = true; return true;", vec![])
            .await
            .expect("mark the page");
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let started = Instant::now();
        loop {
            let left = self
                .client
                .execute(
                    "return window.__rekeyLeaving === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            if left.is_ok_and(|v| v == Value::Bool(true)) {
                break;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "clicking {css} never led to the next page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.screen(screen).await;
    }

    /// Fills the form matching `form` and presses its (first) submit button; checks the page it
    /// leads to as screen `screen`.
    pub async fn submit(&self, form: &str, fields: &[(&str, &str)], screen: &str) {
        self.fill(form, fields).await;
        self.click(&format!("{form} [type=\"submit\"]"), screen)
            .await;
    }

    /// Loads `url` until the element matching `css` is there (a page that changes when
    /// something happens elsewhere, such as the recorder's cloud page); checks it as `screen`.
    pub async fn wait_for(&self, url: &str, css: &str, screen: &str) {
        let started = Instant::now();
        loop {
            self.client
                .goto(url)
                .await
                .unwrap_or_else(|e| panic!("open {url}: {e}"));
            if self.has(css).await {
                break;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{url} never showed {css} (screen {screen})"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.screen(screen).await;
    }
}
