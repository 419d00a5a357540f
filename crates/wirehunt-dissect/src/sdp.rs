//! The media endpoints an SDP body in a SIP message announces (RFC 4566),
//! which Wireshark turns into RTP and RTCP conversations: every datagram to
//! or from such an address and port belongs to one conversation (one
//! `udp.stream`), whatever the other end.

use std::net::IpAddr;

/// The SIP port on which messages are read for SDP.
pub const SIP_PORT: u16 = 5060;

/// Whether the payload begins like a SIP request or status line.
fn looks_like_sip(b: &[u8]) -> bool {
    let line_end = b
        .iter()
        .position(|&c| c == b'\r' || c == b'\n')
        .unwrap_or(b.len());
    let line = &b[..line_end];
    line.starts_with(b"SIP/2.0 ") || line.ends_with(b" SIP/2.0")
}

/// The `(address, port)` pairs the SDP body of a SIP message announces for
/// RTP (each `m=` line with a port, at its own `c=` address or the
/// session's), and for RTCP one port above. Addresses that do not parse
/// (a fuzzed `c=` line) announce nothing.
pub fn sip_media(payload: &[u8]) -> Vec<(IpAddr, u16)> {
    let mut out = Vec::new();
    if !looks_like_sip(payload) {
        return out;
    }
    let Some(body_at) = payload.windows(4).position(|w| w == b"\r\n\r\n") else {
        return out;
    };
    let mut session: Option<IpAddr> = None;
    // The media being read: its port, whether it is RTP, its own address.
    let mut media: Option<(u16, bool, Option<IpAddr>)> = None;
    let mut flush = |m: Option<(u16, bool, Option<IpAddr>)>, session: Option<IpAddr>| {
        if let Some((port, rtp, own)) = m
            && let Some(addr) = own.or(session)
            && port != 0
        {
            out.push((addr, port));
            if rtp && port < u16::MAX {
                out.push((addr, port + 1));
            }
        }
    };
    for line in payload[body_at + 4..].split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(c) = line.strip_prefix(b"c=") {
            let addr = connection_address(c);
            match media.as_mut() {
                Some(m) => m.2 = addr,
                None => session = addr,
            }
        } else if let Some(m) = line.strip_prefix(b"m=") {
            flush(media.take(), session);
            media = media_line(m);
        }
    }
    flush(media, session);
    out
}

/// The address of a `c=IN IP4 a.b.c.d` (or IP6) line; a multicast TTL or
/// count after a slash is ignored.
fn connection_address(c: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(c).ok()?;
    let mut parts = text.split_ascii_whitespace();
    if parts.next()? != "IN" {
        return None;
    }
    let family = parts.next()?;
    let addr = parts.next()?.split('/').next()?;
    let ip: IpAddr = addr.parse().ok()?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

/// The port of an `m=<media> <port>[/<count>] <proto> …` line and whether
/// its transport is RTP.
fn media_line(m: &[u8]) -> Option<(u16, bool, Option<IpAddr>)> {
    let text = std::str::from_utf8(m).ok()?;
    let mut parts = text.split_ascii_whitespace();
    let _media = parts.next()?;
    let port: u16 = parts.next()?.split('/').next()?.parse().ok()?;
    let rtp = parts.next().is_some_and(|p| p.contains("RTP"));
    Some((port, rtp, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_of_an_invite() {
        let invite = b"INVITE sip:1@example.com SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n\
            v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
            m=audio 30000 RTP/AVP 0 8\r\nm=video 0 RTP/AVP 31\r\n\
            m=audio 40000 RTP/AVP 0\r\nc=IN IP4 198.51.100.7\r\n";
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            sip_media(invite),
            vec![(a, 30000), (a, 30001), (b, 40000), (b, 40001)]
        );
        // A fuzzed address announces nothing; nor does a non-SIP payload.
        let bad = b"SIP/2.0 200 OK\r\n\r\nc=IN IP4 192&168%s\r\nm=audio 0 RTP/AVP 0\r\n";
        assert!(sip_media(bad).is_empty());
        assert!(
            sip_media(b"GET / HTTP/1.1\r\n\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n")
                .is_empty()
        );
    }
}
