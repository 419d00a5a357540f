//! TLS records (RFC 8446 §5.1) and the ClientHello (§4.1.2): just enough
//! to name what a segment carries and read the server name indication
//! (`tls.handshake.extensions_server_name`).

use crate::bytes::{be16, u8_at};

/// True when `b` starts like a TLS record (change cipher spec, alert,
/// handshake or application data, version 3.x).
pub fn looks_like_record(b: &[u8]) -> bool {
    b.len() >= 6 && (20..=23).contains(&b[0]) && b[1] == 3 && b[2] <= 4
}

/// True when `b` starts like a TLS handshake record.
pub fn looks_like_handshake(b: &[u8]) -> bool {
    looks_like_record(b) && b[0] == 0x16
}

/// The records at the start of `b`, each with its content type and the
/// bytes from its header to its end (cut at the end of `b`); the walk stops
/// at the first thing that is not a record.
pub fn records(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = b.get(at..)?;
        if rest.len() < 5 || !(20..=23).contains(&rest[0]) || rest[1] != 3 {
            return None;
        }
        let end = (5 + be16(rest, 3) as usize).min(rest.len());
        at += 5 + be16(rest, 3) as usize;
        Some((rest[0], &rest[..end]))
    })
}

/// The length a record's header announces (without the 5-byte header).
pub fn declared_len(rec: &[u8]) -> usize {
    be16(rec, 3) as usize
}

/// What a record carries, as Wireshark names it in the Info column.
pub fn record_name(ctype: u8, rec: &[u8]) -> &'static str {
    match ctype {
        20 => "Change Cipher Spec",
        21 => "Alert",
        23 => "Application Data",
        _ => match u8_at(rec, 5) {
            1 => "Client Hello",
            2 => "Server Hello",
            4 => "New Session Ticket",
            11 => "Certificate",
            12 => "Server Key Exchange",
            13 => "Certificate Request",
            14 => "Server Hello Done",
            15 => "Certificate Verify",
            16 => "Client Key Exchange",
            _ => "Encrypted Handshake Message",
        },
    }
}

/// Returns the SNI host name of the first ClientHello among the records at
/// the start of `b`.
pub fn client_hello_sni(b: &[u8]) -> Option<&[u8]> {
    records(b)
        .filter(|(t, r)| *t == 22 && u8_at(r, 5) == 1)
        .find_map(|(_, r)| hello_sni(r))
}

fn hello_sni(b: &[u8]) -> Option<&[u8]> {
    let rec_end = (5 + be16(b, 3) as usize).min(b.len());
    let hs = &b[..rec_end];
    // record header 5, handshake header 4, version 2, random 32
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + *hs.get(at)? as usize; // session id
    at += 2 + be16(hs, at) as usize; // cipher suites
    at += 1 + *hs.get(at)? as usize; // compression methods
    let ext_end = (at + 2 + be16(hs, at) as usize).min(hs.len());
    at += 2;
    while at + 4 <= ext_end {
        let kind = be16(hs, at);
        let len = be16(hs, at + 2) as usize;
        let body = hs.get(at + 4..at + 4 + len)?;
        if kind == 0 && body.len() >= 5 && body[2] == 0 {
            let n = be16(body, 3) as usize;
            return body.get(5..5 + n);
        }
        at += 4 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello record naming `host`, with no cipher suites beyond one.
    fn hello(host: &[u8]) -> Vec<u8> {
        let mut sni = vec![0, 0]; // extension type server_name
        let list_len = 3 + host.len();
        sni.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
        sni.extend_from_slice(&(list_len as u16).to_be_bytes());
        sni.push(0); // host_name
        sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
        sni.extend_from_slice(host);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0u8; 32]); // random
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one suite
        body.extend_from_slice(&[1, 0]); // null compression
        body.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        body.extend_from_slice(&sni);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn sni_of_a_hello_after_change_cipher_spec() {
        let mut seg = vec![20, 3, 3, 0, 1, 1]; // change cipher spec
        seg.extend_from_slice(&hello(b"example.com"));
        assert!(looks_like_record(&seg));
        assert!(!looks_like_handshake(&seg));
        assert_eq!(client_hello_sni(&seg), Some(&b"example.com"[..]));
        let names: Vec<_> = records(&seg).map(|(t, r)| record_name(t, r)).collect();
        assert_eq!(names, ["Change Cipher Spec", "Client Hello"]);
    }

    #[test]
    fn not_a_record() {
        assert!(!looks_like_record(b"GET / HTTP/1.1\r\n"));
        assert_eq!(records(b"\x17\x03").count(), 0);
        assert_eq!(client_hello_sni(&[22, 3, 1, 0, 4, 1, 0, 0, 0]), None);
    }
}
