//! A real SMTP server on loopback for the tests: the cloud speaks SMTP over TCP to it, and the
//! tests read what arrived. It can refuse the next deliveries to test retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A delivered message, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The first run of exactly six digits in the body.
    pub fn code(&self) -> String {
        let chars: Vec<char> = self.body.chars().collect();
        for i in 0..chars.len().saturating_sub(5) {
            let run: String = chars[i..i + 6].iter().collect();
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 6);
            if run.chars().all(|c| c.is_ascii_digit())
                && !before.is_some_and(|c| c.is_ascii_digit())
                && !after.is_some_and(|c| c.is_ascii_digit())
            {
                return run;
            }
        }
        panic!("no 6-digit code in mail: {}", self.body)
    }
}

#[derive(Debug, Default)]
struct Shared {
    mails: Mutex<Vec<Mail>>,
    arrived: Notify,
    refuse_next: AtomicUsize,
}

/// The server's handle.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = session(stream, s).await;
                });
            }
        });
        Self { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Makes the next `n` deliveries fail with a temporary error.
    pub fn refuse_next(&self, n: usize) {
        self.shared.refuse_next.store(n, Ordering::SeqCst);
    }

    /// Every message that arrived so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        self.shared.mails.lock().unwrap().clone()
    }

    /// How many messages arrived for `to`.
    pub fn count_for(&self, to: &str) -> usize {
        self.shared
            .mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to))
            .count()
    }

    /// Waits (up to 20 s) until the `n`-th message (1-based) for `to` arrived, and returns it.
    pub async fn nth_for(&self, to: &str, n: usize) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.shared.arrived.notified();
            {
                let mails = self.shared.mails.lock().unwrap();
                let mine: Vec<&Mail> = mails
                    .iter()
                    .filter(|m| m.to.eq_ignore_ascii_case(to))
                    .collect();
                if mine.len() >= n {
                    return mine[n - 1].clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("no mail #{n} for {to} arrived within 20 s");
            }
        }
    }
}

async fn session(stream: tokio::net::TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ready\r\n").await?;
    let mut rcpt = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            write
                .write_all(b"250-test-smtp\r\n250 8BITMIME\r\n")
                .await?;
        } else if cmd.starts_with("MAIL FROM") {
            write.write_all(b"250 OK\r\n").await?;
        } else if cmd.starts_with("RCPT TO") {
            let refuse = shared
                .refuse_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if refuse {
                write.write_all(b"451 4.3.0 try again later\r\n").await?;
            } else {
                rcpt = line.trim_end()[8..]
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string();
                write.write_all(b"250 OK\r\n").await?;
            }
        } else if cmd == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let mail = parse(&rcpt, &data);
            shared.mails.lock().unwrap().push(mail);
            shared.arrived.notify_waiters();
            write.write_all(b"250 queued\r\n").await?;
        } else if cmd == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if cmd == "RSET" || cmd == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 not implemented\r\n").await?;
        }
    }
}

fn parse(to: &str, data: &str) -> Mail {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let subject = head
        .replace("\r\n ", " ")
        .lines()
        .find_map(|l| l.strip_prefix("Subject: ").map(decode_header))
        .unwrap_or_default();
    Mail {
        to: to.to_string(),
        subject,
        body: decode_qp(body),
    }
}

/// Decodes quoted-printable (the body encoding the cloud uses).
fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=` and `=?utf-8?q?…?=`).
fn decode_header(s: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    for word in s.split(' ') {
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let b = base64::engine::general_purpose::STANDARD
                .decode(&word[10..word.len() - 2])
                .unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(&b));
        } else if lower.starts_with("=?utf-8?q?") && word.ends_with("?=") {
            out.push_str(&decode_qp(&word[10..word.len() - 2].replace('_', " ")));
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}
