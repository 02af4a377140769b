//! A browser for the portal and the recorder's web UI: keeps cookies, fills in the CSRF token
//! of forms, and reads elements by id. [`Browser::new`] does not follow redirects by itself (so
//! tests can check them) but can follow them as a person's browser would;
//! [`Browser::following_redirects`] always follows them.

use std::time::Duration;

/// A response: status, `Location` (if any), the URL it came from, and the body.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub url: String,
    pub body: String,
}

impl Page {
    /// The value of the first `csrf` hidden field.
    pub fn csrf(&self) -> Option<String> {
        let marker = r#"name="csrf" value=""#;
        let i = self.body.find(marker)? + marker.len();
        Some(self.body[i..].split('"').next()?.to_string())
    }

    /// The page path (without the query).
    pub fn path(&self) -> String {
        let after = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let path = after.find('/').map_or("/", |i| &after[i..]);
        path.split('?').next().unwrap_or("/").to_owned()
    }

    /// The value of the first `<input name="{name}" … value="…">` (entities decoded).
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let at = self.body.find(&marker)?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = self.body[at..].find('>')? + at;
        let tag = &self.body[tag_start..tag_end];
        let i = tag.find("value=\"")? + 7;
        Some(unescape(tag[i..].split('"').next()?))
    }

    /// Whether an element with this id is on the page.
    pub fn has(&self, id: &str) -> bool {
        self.body.contains(&format!("id=\"{id}\""))
    }

    /// The text inside the element with `id` (tags stripped, entities decoded), if any.
    pub fn text_of(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let open_end = self.body[at..].find('>')? + at + 1;
        let tag_start = self.body[..at].rfind('<')?;
        let tag: String = self.body[tag_start + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let close = self.body[open_end..].find(&format!("</{tag}>"))? + open_end;
        Some(unescape(strip_tags(&self.body[open_end..close]).trim()))
    }

    /// The value of attribute `attr` of the element with `id`, if any.
    pub fn attr_of(&self, id: &str, attr: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = self.body[at..].find('>')? + at;
        let tag = &self.body[tag_start..tag_end];
        let m = format!("{attr}=\"");
        let i = tag.find(&m)? + m.len();
        Some(unescape(tag[i..].split('"').next()?))
    }

    /// The catalog keys of the errors the page shows (`data-error` attributes), in order.
    pub fn error_keys(&self) -> Vec<String> {
        self.data_values("data-error")
    }

    /// The catalog keys of the notices the page shows (`data-notice` attributes), in order.
    pub fn notice_keys(&self) -> Vec<String> {
        self.data_values("data-notice")
    }

    /// Whether the page shows the error with catalog key `key`.
    pub fn has_error(&self, key: &str) -> bool {
        self.error_keys().iter().any(|k| k == key)
    }

    /// Whether the page shows the notice with catalog key `key`.
    pub fn has_notice(&self, key: &str) -> bool {
        self.notice_keys().iter().any(|k| k == key)
    }

    /// The `lang` attribute of the page's `<html>` element.
    pub fn html_lang(&self) -> Option<String> {
        let at = self.body.find("<html")?;
        let end = self.body[at..].find('>')? + at;
        let tag = &self.body[at..end];
        let i = tag.find("lang=\"")? + 6;
        Some(tag[i..].split('"').next()?.to_owned())
    }

    /// The text of the page's `<title>` (entities decoded).
    pub fn title(&self) -> Option<String> {
        let at = self.body.find("<title>")? + 7;
        let end = self.body[at..].find("</title>")? + at;
        Some(unescape(self.body[at..end].trim()))
    }

    /// The text of the page's first `<h1>` (tags stripped, entities decoded).
    pub fn h1(&self) -> Option<String> {
        let at = self.body.find("<h1")?;
        let open_end = self.body[at..].find('>')? + at + 1;
        let end = self.body[open_end..].find("</h1>")? + open_end;
        Some(unescape(strip_tags(&self.body[open_end..end]).trim()))
    }

    /// What a reader sees of the page: its text (tags, scripts and styles removed, entities
    /// decoded) and the attributes read out or shown (`title`, `alt`, `placeholder`,
    /// `aria-label`, `data-label`, and `value` of buttons and text fields).
    pub fn visible_text(&self) -> String {
        let mut body = self.body.clone();
        for tag in ["script", "style"] {
            while let Some(i) = body.find(&format!("<{tag}")) {
                let end = body[i..]
                    .find(&format!("</{tag}>"))
                    .map_or(body.len(), |e| i + e + tag.len() + 3);
                body.replace_range(i..end, " ");
            }
        }
        let mut out = unescape(&strip_tags(&body.replace('>', "> ")));
        for attr in [
            "title",
            "alt",
            "placeholder",
            "aria-label",
            "data-label",
            "value",
        ] {
            for v in self.data_values(&format!(" {attr}")) {
                out.push(' ');
                out.push_str(&unescape(&v));
            }
        }
        out
    }

    /// The words of [`Page::visible_text`] that are one of `keys` (catalog keys shown instead of
    /// their text), and any unfilled `{ $argument }` of a catalog message.
    pub fn leaked_keys(&self, keys: &[String]) -> Vec<String> {
        let text = self.visible_text();
        let mut leaked: Vec<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| keys.iter().any(|k| k == w))
            .map(str::to_owned)
            .collect();
        if text.contains("{$") || text.contains("{ $") {
            leaked.push("{ $argument }".to_owned());
        }
        leaked
    }

    /// The values of every `attr="…"` attribute on the page, in order.
    pub fn data_values(&self, attr: &str) -> Vec<String> {
        self.body
            .split(&format!("{attr}=\""))
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    /// Whether the page shows `text` (as typed, or HTML-escaped).
    pub fn shows(&self, text: &str) -> bool {
        self.body.contains(text) || unescape(&strip_tags(&self.body)).contains(text)
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Decodes the entities the templates write: named ones and numeric ones (`&#38;`, `&#x27;`).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A cookie-keeping HTTP client for one site.
#[derive(Debug, Clone)]
pub struct Browser {
    base: String,
    client: reqwest::Client,
}

impl Browser {
    /// A fresh browser (no cookies) for the site at `base` that shows redirects to the test.
    pub fn new(base: &str) -> Self {
        Self::build(base, reqwest::redirect::Policy::none())
    }

    /// A fresh browser (no cookies) for the site at `base` that follows redirects itself.
    pub fn following_redirects(base: &str) -> Self {
        Self::build(base, reqwest::redirect::Policy::limited(10))
    }

    /// A fresh browser (no cookies) for the site at `base` that sends `header: value` with
    /// every request (e.g. to ask a test load balancer for one node).
    pub fn with_header(base: &str, header: &'static str, value: &str) -> Self {
        Self::build_with(
            base,
            reqwest::redirect::Policy::none(),
            Some((header, value)),
        )
    }

    fn build(base: &str, redirects: reqwest::redirect::Policy) -> Self {
        Self::build_with(base, redirects, None)
    }

    fn build_with(
        base: &str,
        redirects: reqwest::redirect::Policy,
        extra: Option<(&'static str, &str)>,
    ) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        );
        if let Some((name, value)) = extra {
            headers.insert(
                name,
                reqwest::header::HeaderValue::from_str(value).expect("a header value"),
            );
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirects)
            .timeout(Duration::from_secs(30))
            .default_headers(headers)
            .build()
            .expect("http client");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }

    /// The absolute URL of `path` (or `path` itself if it is absolute).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let url = res.url().to_string();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        Page {
            status,
            location,
            url,
            body,
        }
    }

    /// GETs `path` (following a redirect only if built to).
    pub async fn get(&self, path: &str) -> Page {
        let url = self.url(path);
        let res = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        Self::page(res).await
    }

    /// POSTs a form as given (following a redirect only if built to).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let url = self.url(path);
        let res = self
            .client
            .post(&url)
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        Self::page(res).await
    }

    /// Follows `page`'s redirects (GET), as a browser would.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            match (&page.status, &page.location) {
                (300..=399, Some(loc)) => {
                    let next = if loc.starts_with('/') {
                        self.url(loc)
                    } else {
                        loc.clone()
                    };
                    page = self.get(&next).await;
                }
                _ => return page,
            }
        }
        panic!("too many redirects ending at {}", page.url)
    }

    /// GETs `path` and follows its redirects.
    pub async fn open(&self, path: &str) -> Page {
        let p = self.get(path).await;
        self.follow(p).await
    }

    /// GETs `path` until `want` holds for the page and returns that page; panics after
    /// `within`, naming `what` and showing the last page.
    pub async fn wait_for(
        &self,
        path: &str,
        what: &str,
        within: Duration,
        want: impl Fn(&Page) -> bool,
    ) -> Page {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let p = self.get(path).await;
            if want(&p) {
                return p;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not within {within:?}: {what}; last page ({}): {}",
                p.status,
                p.body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// GETs the form on `form_page`, then POSTs `fields` plus its CSRF token to `action`; follows
    /// the answer's redirect only if built to.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.open(form_page).await;
        let csrf = form
            .csrf()
            .unwrap_or_else(|| panic!("no CSRF field on {form_page}: {}", form.body));
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// [`Browser::submit`], then follows the redirects.
    pub async fn submit_follow(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let p = self.submit(form_page, action, fields).await;
        self.follow(p).await
    }

    /// GETs raw bytes: status, content type, body.
    pub async fn get_bytes(&self, path: &str) -> (u16, Option<String>, Vec<u8>) {
        let url = self.url(path);
        let res = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, ct, res.bytes().await.expect("bytes").to_vec())
    }
}

/// Decodes the single QR code in a PNG.
pub fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    content
}
