//! The reference fleet: MQTT 3.1.1 clients of the same shape against Mosquitto. CONNECT (clean
//! session, keepalive = the heartbeat interval), CONNACK, then a PINGREQ every interval (the
//! first after a random part of it, as for the recorders), answered by PINGRESP. Only those packets (and DISCONNECT) exist here, hand-written.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::net::{self, OpenGauge};
use crate::stats::{ErrorKind, Stats};

/// PINGREQ: type 12, no flags, remaining length 0.
pub const PINGREQ: [u8; 2] = [0xC0, 0x00];
/// DISCONNECT: type 14, remaining length 0.
pub const DISCONNECT: [u8; 2] = [0xE0, 0x00];

/// Where the reference fleet connects.
#[derive(Debug, Clone)]
pub struct MqttTarget {
    /// The broker's address.
    pub addr: SocketAddr,
    /// The keepalive announced in CONNECT and the PINGREQ interval.
    pub keepalive: Duration,
    /// TCP and CONNACK together must arrive within this.
    pub handshake_timeout: Duration,
}

/// Appends the MQTT "remaining length" (a base-128 varint of 1 to 4 bytes).
///
/// # Panics
/// Above 268,435,455 (the protocol's maximum).
pub fn encode_remaining_length(mut len: usize, out: &mut Vec<u8>) {
    assert!(len <= 268_435_455, "MQTT remaining length too large");
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

/// The CONNECT packet of MQTT 3.1.1: clean session, `keepalive_secs`, `client_id`, no will,
/// no user name or password.
pub fn connect_packet(client_id: &str, keepalive_secs: u16) -> Vec<u8> {
    let id = client_id.as_bytes();
    let id_len = u16::try_from(id.len()).expect("a short client identifier");
    let mut body = Vec::with_capacity(12 + id.len());
    body.extend_from_slice(&[0x00, 0x04]);
    body.extend_from_slice(b"MQTT");
    body.push(0x04); // protocol level 4 = 3.1.1
    body.push(0x02); // connect flags: clean session
    body.extend_from_slice(&keepalive_secs.to_be_bytes());
    body.extend_from_slice(&id_len.to_be_bytes());
    body.extend_from_slice(id);
    let mut packet = Vec::with_capacity(body.len() + 5);
    packet.push(0x10);
    encode_remaining_length(body.len(), &mut packet);
    packet.extend_from_slice(&body);
    packet
}

/// A packet from the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// CONNACK with its return code (0 = accepted).
    Connack {
        /// The session-present flag.
        session_present: bool,
        /// The return code.
        code: u8,
    },
    /// PINGRESP.
    Pingresp,
    /// Any other packet type (the high nibble of its first byte).
    Other(u8),
}

/// Why bytes from the broker are not a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// The first packet in `buf` and the bytes it takes; `None` when more bytes are needed.
pub fn parse(buf: &[u8]) -> Result<Option<(Packet, usize)>, Malformed> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = 1;
    loop {
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        len |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(Malformed);
        }
    }
    let total = i + len;
    if buf.len() < total {
        return Ok(None);
    }
    let body = &buf[i..total];
    let packet = match first >> 4 {
        2 => {
            if body.len() != 2 {
                return Err(Malformed);
            }
            Packet::Connack {
                session_present: body[0] & 1 == 1,
                code: body[1],
            }
        }
        13 => Packet::Pingresp,
        t => Packet::Other(t),
    };
    Ok(Some((packet, total)))
}

/// A CONNACKed connection.
#[derive(Debug)]
pub struct Established {
    stream: TcpStream,
    buf: [u8; 32],
    len: usize,
    /// The PINGREQ interval.
    pub keepalive: Duration,
    _open: OpenGauge,
}

impl Established {
    /// Reads until one packet is complete. Cancel-safe: bytes read stay in the buffer.
    async fn next_packet(&mut self) -> Result<Packet, ErrorKind> {
        loop {
            match parse(&self.buf[..self.len]) {
                Ok(Some((packet, used))) => {
                    self.buf.copy_within(used..self.len, 0);
                    self.len -= used;
                    return Ok(packet);
                }
                Ok(None) if self.len == self.buf.len() => return Err(ErrorKind::Protocol),
                Ok(None) => {}
                Err(Malformed) => return Err(ErrorKind::Protocol),
            }
            match self.stream.read(&mut self.buf[self.len..]).await {
                Ok(0) | Err(_) => return Err(ErrorKind::Lost),
                Ok(n) => self.len += n,
            }
        }
    }

    async fn ping(&mut self, stats: &Stats) -> Result<(), ErrorKind> {
        self.stream
            .write_all(&PINGREQ)
            .await
            .map_err(|_| ErrorKind::Lost)?;
        stats.heartbeats.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Sends DISCONNECT (a clean goodbye).
    pub async fn disconnect(mut self) {
        let _ = self.stream.write_all(&DISCONNECT).await;
        let _ = self.stream.shutdown().await;
    }
}

/// Connects (from `source`), sends CONNECT and waits for an accepting CONNACK.
pub async fn open(
    target: &MqttTarget,
    client_id: &str,
    source: Option<Ipv4Addr>,
    stats: &Arc<Stats>,
) -> Result<Established, ErrorKind> {
    tokio::time::timeout(target.handshake_timeout, async {
        let mut stream = net::connect(target.addr, source).await?;
        let open = OpenGauge::new(stats);
        let keepalive = u16::try_from(target.keepalive.as_secs()).unwrap_or(u16::MAX);
        stream
            .write_all(&connect_packet(client_id, keepalive))
            .await
            .map_err(|_| ErrorKind::ClosedEarly)?;
        let mut est = Established {
            stream,
            buf: [0; 32],
            len: 0,
            keepalive: target.keepalive,
            _open: open,
        };
        match est.next_packet().await {
            Ok(Packet::Connack { code: 0, .. }) => Ok(est),
            Ok(Packet::Connack { .. }) => Err(ErrorKind::ConnackRefused),
            Ok(_) => Err(ErrorKind::Protocol),
            Err(ErrorKind::Lost) => Err(ErrorKind::ClosedEarly),
            Err(e) => Err(e),
        }
    })
    .await
    .unwrap_or(Err(ErrorKind::Timeout))
}

/// Keeps a connection: PINGREQ every keepalive, PINGRESP in, until `stop` resolves (`Ok`) or
/// the connection is lost (nothing for three intervals counts as lost). `acked` as in
/// [`crate::gateway::hold`].
pub async fn hold(
    est: &mut Established,
    stats: &Stats,
    acked: &mut bool,
    mut stop: Pin<&mut impl Future<Output = ()>>,
) -> Result<(), ErrorKind> {
    let period = est.keepalive;
    let mut ticker = crate::net::heartbeat_ticker(period);
    let silence = period * 3;
    let mut deadline = Instant::now() + silence;
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = ticker.tick() => est.ping(stats).await?,
            packet = tokio::time::timeout_at(deadline, est.next_packet()) => {
                let Ok(packet) = packet else { return Err(ErrorKind::Silence) };
                deadline = Instant::now() + silence;
                match packet? {
                    Packet::Pingresp => {
                        stats.acks.fetch_add(1, Ordering::Relaxed);
                        if !*acked {
                            *acked = true;
                            stats.acked.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => return Err(ErrorKind::Protocol),
                }
            }
        }
    }
}

/// Sends a PINGREQ and waits for its PINGRESP; returns when the PINGREQ was sent.
pub async fn ping_round(est: &mut Established, stats: &Stats) -> Result<Instant, ErrorKind> {
    let sent = Instant::now();
    est.ping(stats).await?;
    let packet = tokio::time::timeout(est.keepalive * 3, est.next_packet())
        .await
        .map_err(|_| ErrorKind::Silence)??;
    if packet != Packet::Pingresp {
        return Err(ErrorKind::Protocol);
    }
    stats.acks.fetch_add(1, Ordering::Relaxed);
    Ok(sent)
}

/// Stops sending; returns when the broker closed the connection (or `limit` passed: `None`).
pub async fn until_closed_by_broker(est: &mut Established, limit: Duration) -> Option<Instant> {
    tokio::time::timeout(limit, async {
        loop {
            if est.next_packet().await.is_err() {
                return Instant::now();
            }
        }
    })
    .await
    .ok()
}

/// Closes the sending half (a FIN, without DISCONNECT: the connection just ends) and returns
/// when the broker closed its end (or `limit` passed: `None`).
pub async fn close_and_wait(est: &mut Established, limit: Duration) -> Option<Instant> {
    let _ = est.stream.shutdown().await;
    until_closed_by_broker(est, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_is_mqtt_311_with_clean_session() {
        let p = connect_packet("lg-7", 20);
        assert_eq!(
            p,
            [
                0x10, 16, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 20, 0, 4, b'l', b'g', b'-',
                b'7'
            ]
        );
        assert_eq!(parse(&p).unwrap().unwrap().0, Packet::Other(1));
        assert_eq!(parse(&p).unwrap().unwrap().1, p.len());
    }

    #[test]
    fn remaining_length_is_a_base_128_varint() {
        for (len, bytes) in [
            (0, vec![0x00]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (16_383, vec![0xff, 0x7f]),
            (16_384, vec![0x80, 0x80, 0x01]),
            (268_435_455, vec![0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = Vec::new();
            encode_remaining_length(len, &mut out);
            assert_eq!(out, bytes, "{len}");
        }
    }

    #[test]
    fn parses_connack_pingresp_and_partial_input() {
        assert_eq!(
            parse(&[0x20, 2, 0, 0]).unwrap(),
            Some((
                Packet::Connack {
                    session_present: false,
                    code: 0
                },
                4
            ))
        );
        assert_eq!(
            parse(&[0x20, 2, 1, 5]).unwrap().unwrap().0,
            Packet::Connack {
                session_present: true,
                code: 5
            }
        );
        assert_eq!(
            parse(&[0xD0, 0, 0xD0]).unwrap(),
            Some((Packet::Pingresp, 2))
        );
        assert_eq!(parse(&[0x20, 2, 0]).unwrap(), None);
        assert_eq!(parse(&[0x20]).unwrap(), None);
        assert_eq!(parse(&[]).unwrap(), None);
        assert_eq!(parse(&[0x20, 3, 0, 0, 0]), Err(Malformed));
        assert_eq!(parse(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), Err(Malformed));
        assert_eq!(PINGREQ, [0xC0, 0]);
        assert_eq!(DISCONNECT, [0xE0, 0]);
    }
}
