//! QUIC Initial packets (RFC 9000, 9001; version 2: RFC 9369) and the TLS
//! ClientHello inside them.
//!
//! A client's Initial packets are protected with keys derived from the
//! Destination Connection ID it chose and a salt fixed by the version, so
//! any observer can remove the protection (Wireshark does, and shows the
//! ClientHello's server name as `tls.handshake.extensions_server_name`).
//! This module does the same for the first packet of a datagram: header
//! protection (AES-128 on a sample), then AES-128-GCM, then the CRYPTO
//! frames put back in order (browsers send them shuffled), then the
//! ClientHello.
//!
//! Unlike the rest of the crate this allocates (the decrypted payload), so
//! callers use it only when a field asks for it. Server Initials fail the
//! authentication with the client's keys and yield nothing.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

const V1: u32 = 0x0000_0001;
const V2: u32 = 0x6b33_43cf;
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// Largest CRYPTO stream rebuilt from one packet.
const MAX_CRYPTO: usize = 1 << 16;

/// True when `b` starts with a long-header QUIC Initial packet of a
/// version this module reads.
pub fn looks_like_initial(b: &[u8]) -> bool {
    initial_version(b).is_some()
}

fn initial_version(b: &[u8]) -> Option<u32> {
    let first = *b.first()?;
    if first & 0xc0 != 0xc0 {
        return None;
    }
    let version = u32::from_be_bytes(b.get(1..5)?.try_into().ok()?);
    let kind = (first >> 4) & 3;
    match version {
        V1 if kind == 0 => Some(V1),
        V2 if kind == 1 => Some(V2),
        _ => None,
    }
}

/// A QUIC variable-length integer at `*at`, advancing past it.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*at..*at + len)?;
    let mut v = u64::from(first & 0x3f);
    for &x in &bytes[1..] {
        v = (v << 8) | u64::from(x);
    }
    *at += len;
    Some(v)
}

/// HKDF-Expand-Label of TLS 1.3 with an empty context.
fn expand_label(hk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    let full = [b"tls13 ", label.as_bytes()].concat();
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(&full);
    info.push(0);
    hk.expand(&info, out).ok()
}

/// The client's packet protection keys for `dcid`: (key, iv, hp).
fn client_keys(version: u32, dcid: &[u8]) -> Option<([u8; 16], [u8; 12], [u8; 16])> {
    let (salt, prefix) = if version == V2 {
        (&SALT_V2, "quicv2 ")
    } else {
        (&SALT_V1, "quic ")
    };
    let (_, initial) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let mut secret = [0u8; 32];
    expand_label(&initial, "client in", &mut secret)?;
    let hk = Hkdf::<Sha256>::from_prk(&secret).ok()?;
    let (mut key, mut iv, mut hp) = ([0u8; 16], [0u8; 12], [0u8; 16]);
    expand_label(&hk, &format!("{prefix}key"), &mut key)?;
    expand_label(&hk, &format!("{prefix}iv"), &mut iv)?;
    expand_label(&hk, &format!("{prefix}hp"), &mut hp)?;
    Some((key, iv, hp))
}

/// Decrypts the client Initial at the start of `b`; returns its frames.
pub fn decrypt_client_initial(b: &[u8]) -> Option<Vec<u8>> {
    let version = initial_version(b)?;
    let mut at = 5;
    let dcid_len = usize::from(*b.get(at)?);
    if dcid_len > 20 {
        return None;
    }
    let dcid = b.get(at + 1..at + 1 + dcid_len)?;
    at += 1 + dcid_len;
    let scid_len = usize::from(*b.get(at)?);
    if scid_len > 20 {
        return None;
    }
    at += 1 + scid_len;
    let token_len = usize::try_from(varint(b, &mut at)?).ok()?;
    at = at.checked_add(token_len)?;
    let length = usize::try_from(varint(b, &mut at)?).ok()?;
    let pn_at = at;
    let end = pn_at.checked_add(length)?;
    if end > b.len() || length < 20 {
        return None;
    }
    let (key, iv, hp) = client_keys(version, dcid)?;

    // Header protection: a mask from the 16 bytes 4 past the packet number.
    let mut mask = GenericArray::clone_from_slice(b.get(pn_at + 4..pn_at + 20)?);
    Aes128::new(&GenericArray::from(hp)).encrypt_block(&mut mask);
    let mut header = b[..pn_at].to_vec();
    header[0] ^= mask[0] & 0x0f;
    let pn_len = usize::from(header[0] & 3) + 1;
    let mut pn = 0u64;
    for i in 0..pn_len {
        let x = b[pn_at + i] ^ mask[1 + i];
        header.push(x);
        pn = (pn << 8) | u64::from(x);
    }

    let mut nonce = iv;
    for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
        *n ^= p;
    }
    let body = &b[pn_at + pn_len..end];
    if body.len() < 16 {
        return None;
    }
    let (cipher, tag) = body.split_at(body.len() - 16);
    let mut plain = cipher.to_vec();
    Aes128Gcm::new(&GenericArray::from(key))
        .decrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            &header,
            &mut plain,
            Tag::from_slice(tag),
        )
        .ok()?;
    Some(plain)
}

/// The CRYPTO stream of decrypted Initial frames, put in order: the bytes
/// from offset 0 up to the first gap.
pub fn crypto_stream(frames: &[u8]) -> Vec<u8> {
    let mut pieces: Vec<(usize, &[u8])> = Vec::new();
    let mut at = 0;
    // Frames an Initial may carry (RFC 9000 §12.4); anything else ends it.
    while at < frames.len() && pieces.len() < 1024 {
        let Some(kind) = varint(frames, &mut at) else {
            break;
        };
        let ok = match kind {
            0x00 | 0x01 => Some(()),
            0x02 | 0x03 => (|| {
                varint(frames, &mut at)?; // largest acknowledged
                varint(frames, &mut at)?; // delay
                let ranges = varint(frames, &mut at)?;
                varint(frames, &mut at)?; // first range
                for _ in 0..ranges.min(1024) {
                    varint(frames, &mut at)?;
                    varint(frames, &mut at)?;
                }
                if kind == 0x03 {
                    for _ in 0..3 {
                        varint(frames, &mut at)?;
                    }
                }
                Some(())
            })(),
            0x06 => (|| {
                let offset = usize::try_from(varint(frames, &mut at)?).ok()?;
                let len = usize::try_from(varint(frames, &mut at)?).ok()?;
                let data = frames.get(at..at.checked_add(len)?)?;
                at += len;
                pieces.push((offset, data));
                Some(())
            })(),
            _ => None,
        };
        if ok.is_none() {
            break;
        }
    }
    pieces.sort_by_key(|p| p.0);
    let mut out = Vec::new();
    for (offset, data) in pieces {
        if offset > out.len() || offset >= MAX_CRYPTO {
            break;
        }
        let skip = out.len() - offset;
        if let Some(rest) = data.get(skip..) {
            let room = MAX_CRYPTO - out.len();
            out.extend_from_slice(&rest[..rest.len().min(room)]);
        }
    }
    out
}

/// The server name of the ClientHello in the client Initial at the start
/// of `b`, when the packet decrypts and its CRYPTO frames hold the name.
pub fn client_hello_sni(b: &[u8]) -> Option<Vec<u8>> {
    let frames = decrypt_client_initial(b)?;
    let hs = crypto_stream(&frames);
    if hs.first() != Some(&1) || hs.len() > usize::from(u16::MAX) {
        return None;
    }
    // Wrap the handshake message in a TLS record header for the record
    // parser.
    let mut rec = vec![22, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    crate::tls::client_hello_sni(&rec).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The client keys for DCID 0x8394c8f03e515708 given in RFC 9001
    /// Appendix A.1 (version 1) and RFC 9369 Appendix A.1 (version 2).
    #[test]
    fn rfc_client_initial_keys() {
        for (version, k, i, h) in [
            (
                V1,
                "1f369613dd76d5467730efcbe3b1a22d",
                "fa044b2f42a3fd3b46fb255c",
                "9f50449e04a0e810283a1e9933adedd2",
            ),
            (
                V2,
                "8b1a0bc121284290a29e0971b5cd045d",
                "91f73e2351d8fa91660e909f",
                "45b95e15235d6f45a6b19cbcb0294ba9",
            ),
        ] {
            let (key, iv, hp) = client_keys(version, &hex("8394c8f03e515708")).unwrap();
            assert_eq!(
                (key.to_vec(), iv.to_vec(), hp.to_vec()),
                (hex(k), hex(i), hex(h))
            );
        }
    }

    #[test]
    fn crypto_frames_are_put_in_order() {
        // CRYPTO(offset 3, "def"), PADDING, PING, CRYPTO(offset 0, "abc").
        let frames = [
            0x06, 3, 3, b'd', b'e', b'f', 0x00, 0x01, 0x06, 0, 3, b'a', b'b', b'c',
        ];
        assert_eq!(crypto_stream(&frames), b"abcdef");
        // A gap ends the stream.
        assert_eq!(crypto_stream(&[0x06, 4, 1, b'x']), b"");
    }

    #[test]
    fn garbage_is_not_an_initial() {
        assert!(!looks_like_initial(&[0xc0, 0, 0, 0, 2]));
        assert!(decrypt_client_initial(&[0xc0, 0, 0, 0, 1, 30]).is_none());
        let mut b = vec![0xc0, 0, 0, 0, 1, 0, 0, 0, 0x44, 0x00];
        b.resize(1200, 0);
        assert!(client_hello_sni(&b).is_none());
    }
}
