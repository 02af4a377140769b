//! The gateway's WebSocket (RFC 6455, server side) over the bare TCP socket, built to cost
//! nothing while a connection is idle.
//!
//! A recorder keeps its connection open day and night and sends a few hundred bytes every
//! heartbeat, so the idle state is what matters: a [`Socket`] is the TCP stream plus two empty
//! `Vec`s. Bytes are read into a buffer on the *stack* of [`Socket::read_now`], which exists only
//! while a read runs; only the rare frame split across reads is kept on the heap until it is
//! complete. Frame headers are parsed by `tungstenite`'s parser; masking, fragmentation, control
//! frames, UTF-8 and size limits are checked here.
//!
//! Reading never blocks and is never interrupted half-way ([`Socket::readable`] is the only
//! await on the read side, and it is cancel-safe), so a connection's loop can wait for its
//! socket, its pushes and its deadline together.

use std::io::{self, Cursor};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderValue, header};
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{CloseCode, Control, Data, OpCode};

/// How much one read takes from the kernel at most (recorder frames are a few hundred bytes).
const READ_CHUNK: usize = 2048;
/// The largest frame or message a recorder may send (its frames are a few hundred bytes).
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Why a connection's WebSocket failed; each maps to the close code the peer is sent.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The peer broke RFC 6455 (unmasked frame, reserved bits or opcodes, a bad control frame,
    /// fragments out of order).
    #[error("WebSocket protocol error: {0}")]
    Protocol(&'static str),
    /// A text message that is not UTF-8.
    #[error("WebSocket text is not UTF-8")]
    NotUtf8,
    /// A frame or message larger than allowed.
    #[error("WebSocket message larger than {0} bytes")]
    TooBig(usize),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl WsError {
    fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(_) => Some(CloseCode::Protocol),
            Self::NotUtf8 => Some(CloseCode::Invalid),
            Self::TooBig(_) => Some(CloseCode::Size),
            Self::Io(_) => None,
        }
    }
}

/// What [`Socket::read_now`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A complete text message (UTF-8 checked).
    Text(Vec<u8>),
    /// A binary message (the gateway protocol has none).
    Binary,
    /// The peer closed (its close frame was answered) or its TCP stream ended.
    Closed,
}

/// The `Sec-WebSocket-Accept` value for a valid upgrade request (RFC 6455 §4.2.1), or `None`
/// when the request is not one.
pub fn accept_key(headers: &HeaderMap) -> Option<HeaderValue> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return None;
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION)? != "13" {
        return None;
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
    HeaderValue::from_str(&tungstenite::handshake::derive_accept_key(key.as_bytes())).ok()
}

/// A server-side WebSocket on a TCP stream.
#[derive(Debug)]
pub struct Socket {
    stream: TcpStream,
    /// What is being received, only while something is (`None`, unallocated, when idle).
    partial: Option<Box<Partial>>,
    /// Set once the peer's stream ended or a close was exchanged.
    closed: bool,
}

/// Bytes received but not yet handed out.
#[derive(Debug, Default)]
struct Partial {
    /// Received bytes not yet forming a whole frame.
    inbox: Vec<u8>,
    /// The fragments of a text message still being received.
    fragments: Option<Vec<u8>>,
}

impl Socket {
    /// A WebSocket on `stream`, whose first bytes (read before the upgrade) are `early`.
    /// Frames and messages larger than [`MAX_MESSAGE`] are refused.
    pub fn new(stream: TcpStream, early: &[u8]) -> Self {
        let mut socket = Self {
            stream,
            partial: None,
            closed: false,
        };
        if !early.is_empty() {
            socket.partial_mut().inbox.extend_from_slice(early);
        }
        socket
    }

    fn partial_mut(&mut self) -> &mut Partial {
        self.partial.get_or_insert_with(Box::default)
    }

    /// Whether received bytes wait to be decoded.
    fn has_inbox(&self) -> bool {
        self.partial.as_ref().is_some_and(|p| !p.inbox.is_empty())
    }

    /// Waits until the peer sent something (or closed). Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        if self.has_inbox() {
            // A whole frame may be waiting already.
            return Ok(());
        }
        self.stream.readable().await
    }

    /// [`Socket::readable`] as a poll, for a hand-written future.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.has_inbox() {
            return Poll::Ready(Ok(()));
        }
        self.stream.poll_read_ready(cx)
    }

    /// The next message that has arrived, answering pings and closes on the way; `None` when
    /// nothing complete has arrived yet (wait on [`Socket::readable`] and call again). Never
    /// waits for the peer.
    pub async fn read_now(&mut self) -> Result<Option<Incoming>, WsError> {
        loop {
            if self.closed {
                return Ok(Some(Incoming::Closed));
            }
            match self.decode() {
                Ok(Some(Frame::Message(m))) => return Ok(Some(m)),
                Ok(Some(Frame::Ping(payload))) => {
                    self.write_frame(OpCode::Control(Control::Pong), &payload)
                        .await?;
                    continue;
                }
                Ok(Some(Frame::Close(code))) => {
                    let payload = code.map(|c| u16::from(c).to_be_bytes());
                    let _ = self
                        .write_frame(
                            OpCode::Control(Control::Close),
                            payload.as_ref().map_or(&[][..], |p| &p[..]),
                        )
                        .await;
                    let _ = self.stream.shutdown().await;
                    self.closed = true;
                    return Ok(Some(Incoming::Closed));
                }
                Ok(Some(Frame::Pong)) => continue,
                Ok(None) => {}
                Err(e) => {
                    self.fail(&e).await;
                    return Err(e);
                }
            }
            match std::future::poll_fn(|cx| Poll::Ready(self.fill(cx))).await {
                Ok(true) => continue,
                Ok(false) => return Ok(None),
                Err(e) => {
                    self.closed = true;
                    return Err(e.into());
                }
            }
        }
    }

    /// Reads what the kernel holds (one chunk) into the inbox; `false` when nothing was there.
    ///
    /// A read that does not fill the chunk tells the runtime that the socket is drained, so the
    /// next call costs no system call until more arrives.
    fn fill(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                self.closed = true;
                Ok(true)
            }
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                self.partial_mut().inbox.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(false),
        }
    }

    /// Takes one whole frame off what was received.
    fn decode(&mut self) -> Result<Option<Frame>, WsError> {
        let Some(partial) = self.partial.as_deref_mut() else {
            return Ok(None);
        };
        let frame = partial.decode();
        if partial.inbox.is_empty() && partial.fragments.is_none() {
            // Give the memory back: an idle connection holds no buffer.
            self.partial = None;
        }
        frame
    }

    /// Sends one text message.
    pub async fn send_text(&mut self, text: &[u8]) -> io::Result<()> {
        self.write_frame(OpCode::Data(Data::Text), text).await
    }

    /// Sends a close frame with `code` and ends the TCP stream; errors are ignored (the peer
    /// may be gone already).
    pub async fn close(&mut self, code: CloseCode) {
        if !self.closed {
            let _ = self
                .write_frame(
                    OpCode::Control(Control::Close),
                    &u16::from(code).to_be_bytes(),
                )
                .await;
            let _ = self.stream.shutdown().await;
            self.closed = true;
        }
    }

    /// Closes with the code `error` calls for.
    async fn fail(&mut self, error: &WsError) {
        match error.close_code() {
            Some(code) => self.close(code).await,
            None => self.closed = true,
        }
    }

    /// Writes one frame: at once when the kernel takes it (the usual case for a few hundred
    /// bytes), else in a boxed future that waits for room, so that a connection's task does
    /// not carry the waiting state while idle.
    async fn write_frame(&mut self, opcode: OpCode, payload: &[u8]) -> io::Result<()> {
        let head = FrameHeader {
            opcode,
            ..FrameHeader::default()
        };
        let len = payload.len() as u64;
        let mut frame = Vec::with_capacity(head.len(len) + payload.len());
        head.format(len, &mut frame)
            .map_err(|_| io::Error::other("frame header"))?;
        frame.extend_from_slice(payload);
        let written = match self.stream.try_write(&frame) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(e),
        };
        if written < frame.len() {
            Box::pin(self.stream.write_all(&frame[written..])).await?;
        }
        Ok(())
    }
}

impl Partial {
    /// Takes one whole frame off the inbox.
    fn decode(&mut self) -> Result<Option<Frame>, WsError> {
        if self.inbox.is_empty() {
            return Ok(None);
        }
        let mut cursor = Cursor::new(&self.inbox[..]);
        let Some((head, len)) = FrameHeader::parse(&mut cursor)
            .map_err(|_| WsError::Protocol("malformed frame header"))?
        else {
            return Ok(None);
        };
        if head.rsv1 || head.rsv2 || head.rsv3 {
            return Err(WsError::Protocol("reserved bits set"));
        }
        let Some(mask) = head.mask else {
            return Err(WsError::Protocol("unmasked client frame"));
        };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > MAX_MESSAGE {
            return Err(WsError::TooBig(MAX_MESSAGE));
        }
        let start = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
        let Some(end) = start.checked_add(len).filter(|&e| e <= self.inbox.len()) else {
            return Ok(None);
        };
        let mut payload = self.inbox[start..end].to_vec();
        unmask(&mut payload, mask);
        self.inbox.drain(..end);
        match head.opcode {
            OpCode::Control(control) => {
                if !head.is_final || payload.len() > 125 {
                    return Err(WsError::Protocol("fragmented or long control frame"));
                }
                match control {
                    Control::Ping => Ok(Some(Frame::Ping(payload))),
                    Control::Pong => Ok(Some(Frame::Pong)),
                    Control::Close => Ok(Some(Frame::Close(close_code(&payload)?))),
                    Control::Reserved(_) => Err(WsError::Protocol("reserved control opcode")),
                }
            }
            OpCode::Data(Data::Text) => {
                if self.fragments.is_some() {
                    return Err(WsError::Protocol("a new message inside a fragmented one"));
                }
                if head.is_final {
                    Ok(Some(Frame::Message(text(payload)?)))
                } else {
                    self.fragments = Some(payload);
                    Ok(Some(Frame::Pong)) // nothing to hand out yet
                }
            }
            OpCode::Data(Data::Continue) => {
                let Some(mut message) = self.fragments.take() else {
                    return Err(WsError::Protocol("a continuation frame outside a message"));
                };
                if message.len() + payload.len() > MAX_MESSAGE {
                    return Err(WsError::TooBig(MAX_MESSAGE));
                }
                message.extend_from_slice(&payload);
                if head.is_final {
                    Ok(Some(Frame::Message(text(message)?)))
                } else {
                    self.fragments = Some(message);
                    Ok(Some(Frame::Pong))
                }
            }
            OpCode::Data(Data::Binary) => {
                if self.fragments.is_some() {
                    return Err(WsError::Protocol("a new message inside a fragmented one"));
                }
                Ok(Some(Frame::Message(Incoming::Binary)))
            }
            OpCode::Data(Data::Reserved(_)) => Err(WsError::Protocol("reserved data opcode")),
        }
    }
}

/// One decoded frame.
enum Frame {
    Message(Incoming),
    Ping(Vec<u8>),
    /// A pong, or a fragment that completes nothing yet: nothing to do.
    Pong,
    Close(Option<CloseCode>),
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

fn text(payload: Vec<u8>) -> Result<Incoming, WsError> {
    std::str::from_utf8(&payload).map_err(|_| WsError::NotUtf8)?;
    Ok(Incoming::Text(payload))
}

/// The status code of a close frame's payload (RFC 6455 §5.5.1), checked.
fn close_code(payload: &[u8]) -> Result<Option<CloseCode>, WsError> {
    match payload {
        [] => Ok(None),
        [_] => Err(WsError::Protocol("a one-byte close payload")),
        [hi, lo, reason @ ..] => {
            let code = CloseCode::from(u16::from_be_bytes([*hi, *lo]));
            if !code.is_allowed() {
                return Err(WsError::Protocol("a close code that may not be sent"));
            }
            std::str::from_utf8(reason).map_err(|_| WsError::NotUtf8)?;
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        h.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        assert_eq!(accept_key(&h).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        h.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(accept_key(&h), None);
        h.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert_eq!(accept_key(&h), None);
    }

    #[test]
    fn close_payloads_are_checked() {
        assert!(close_code(&[]).unwrap().is_none());
        assert!(close_code(&[3]).is_err());
        assert_eq!(close_code(&[0x03, 0xe8]).unwrap(), Some(CloseCode::Normal));
        assert!(close_code(&[0x03, 0xed]).is_err(), "1005 may not be sent");
        assert!(close_code(&[0x03, 0xe8, 0xff]).is_err(), "reason not UTF-8");
    }
}
