//! TLS ClientHello (RFC 8446 §4.1.2): just enough to read the server name
//! indication (`tls.handshake.extensions_server_name`).

use crate::bytes::{be16, u8_at};

/// True when `b` starts like a TLS handshake record.
pub fn looks_like_handshake(b: &[u8]) -> bool {
    b.len() >= 6 && b[0] == 0x16 && b[1] == 3 && b[2] <= 4
}

/// Returns the SNI host name of a ClientHello at the start of `b`.
pub fn client_hello_sni(b: &[u8]) -> Option<&[u8]> {
    if !looks_like_handshake(b) || u8_at(b, 5) != 1 {
        return None;
    }
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
