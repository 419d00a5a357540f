//! IPv6 header (RFC 8200) view and extension-header walking.

use std::net::Ipv6Addr;

use crate::bytes::{array, be16, be32, u8_at};

#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<'a>(&'a [u8]);

impl<'a> Ipv6Packet<'a> {
    pub const HEADER_LEN: usize = 40;

    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::HEADER_LEN).then_some(Ipv6Packet(b))
    }
    /// `ipv6.version`
    pub fn version(&self) -> u8 {
        self.0[0] >> 4
    }
    /// `ipv6.tclass`
    pub fn traffic_class(&self) -> u8 {
        ((be16(self.0, 0) >> 4) & 0xff) as u8
    }
    /// `ipv6.flow`
    pub fn flow_label(&self) -> u32 {
        be32(self.0, 0) & 0x000f_ffff
    }
    /// `ipv6.plen`
    pub fn payload_len(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `ipv6.nxt`
    pub fn next_header(&self) -> u8 {
        self.0[6]
    }
    /// `ipv6.hlim`
    pub fn hop_limit(&self) -> u8 {
        self.0[7]
    }
    /// `ipv6.src`
    pub fn src(&self) -> Ipv6Addr {
        array::<16>(self.0, 8).into()
    }
    /// `ipv6.dst`
    pub fn dst(&self) -> Ipv6Addr {
        array::<16>(self.0, 24).into()
    }
}

/// The IPv6 fragment extension header (RFC 8200 §4.5), 8 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Fragment<'a>(&'a [u8]);

impl<'a> Ipv6Fragment<'a> {
    pub const LEN: usize = 8;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(Ipv6Fragment(b))
    }
    /// `ipv6.fragment.nxt`
    pub fn next_header(&self) -> u8 {
        u8_at(self.0, 0)
    }
    /// `ipv6.fragment.offset` in 8-byte units.
    pub fn offset(&self) -> u16 {
        be16(self.0, 2) >> 3
    }
    /// `ipv6.fragment.more`
    pub fn more(&self) -> bool {
        be16(self.0, 2) & 1 != 0
    }
    /// `ipv6.fragment.id`
    pub fn ident(&self) -> u32 {
        be32(self.0, 4)
    }
}

/// True for the next-header values that are extension headers wirehunt
/// walks over (hop-by-hop, routing, fragment, destination options, AH,
/// mobility, HIP, shim6).
pub fn is_extension(nh: u8) -> bool {
    matches!(nh, 0 | 43 | 44 | 60 | 51 | 135 | 139 | 140)
}

/// Length in bytes of the extension header at `b` with type `nh`.
pub fn extension_len(nh: u8, b: &[u8]) -> Option<usize> {
    if b.len() < 8 {
        return None;
    }
    let len = match nh {
        44 => 8,
        51 => (b[1] as usize + 2) * 4,
        _ => (b[1] as usize + 1) * 8,
    };
    (len <= b.len()).then_some(len)
}

/// Where the extension headers of an IPv6 packet lead (see [`walk_extensions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainEnd {
    /// The next header after the last extension header walked.
    pub next: u8,
    /// Offset of what follows, from the start of the IPv6 header.
    pub offset: usize,
    /// The type of an extension header that runs past the packet or whose
    /// options run past it; the walk stops there.
    pub broken: Option<u8>,
}

/// Walks the extension headers of the IPv6 packet `b` (its fixed header
/// first) up to the first header that is not one, a fragment header (its
/// own layer), or a broken one. None when the fixed header does not fit.
pub fn walk_extensions(b: &[u8]) -> Option<ChainEnd> {
    let ip = crate::Ipv6Packet::new_checked(b)?;
    let mut end = ChainEnd {
        next: ip.next_header(),
        offset: crate::Ipv6Packet::HEADER_LEN,
        broken: None,
    };
    for _ in 0..8 {
        let nh = end.next;
        if nh == 44 || !is_extension(nh) {
            break;
        }
        let pos = end.offset;
        match b.get(pos..).and_then(|r| extension_len(nh, r)) {
            Some(len) if !options_overrun(nh, &b[pos..pos + len]) => {
                end.next = b[pos];
                end.offset += len;
            }
            _ => {
                end.broken = Some(nh);
                break;
            }
        }
    }
    Some(end)
}

/// Whether the options of a hop-by-hop or destination options header `ext`
/// (its whole length, next-header byte first) run past its end, where
/// Wireshark's option walk stops the dissection with an exception.
pub fn options_overrun(nh: u8, ext: &[u8]) -> bool {
    if !matches!(nh, 0 | 60) {
        return false;
    }
    let mut pos = 2;
    while pos < ext.len() {
        if ext[pos] == 0 {
            // Pad1 has no length byte.
            pos += 1;
            continue;
        }
        match ext.get(pos + 1) {
            Some(&len) => pos += 2 + usize::from(len),
            None => return true,
        }
    }
    pos > ext.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_leave_their_header() {
        // Hop-by-hop, 8 bytes: PadN over the 4 remaining bytes fits.
        assert!(!options_overrun(0, &[59, 0, 1, 4, 0, 0, 0, 0]));
        // Pad1 six times fits too.
        assert!(!options_overrun(60, &[59, 0, 0, 0, 0, 0, 0, 0]));
        // PadN claiming 10 bytes in a 6-byte room does not.
        assert!(options_overrun(0, &[59, 0, 1, 10, 0, 0, 0, 0]));
        // A type byte with its length byte outside the header.
        assert!(options_overrun(0, &[59, 0, 0, 0, 0, 0, 0, 5]));
        // Routing headers hold no options.
        assert!(!options_overrun(43, &[59, 0, 1, 10, 0, 0, 0, 0]));
    }

    #[test]
    fn header_and_fragment() {
        let mut b = [0u8; 48];
        b[0] = 0x60;
        b[4..6].copy_from_slice(&8u16.to_be_bytes());
        b[6] = 44; // fragment header follows
        b[7] = 64;
        b[8..10].copy_from_slice(&[0x20, 0x01]);
        b[10..12].copy_from_slice(&[0x0d, 0xb8]);
        b[23] = 0x10;
        // fragment: next ICMPv6, offset 185 (1480 bytes), M=1, id 0xdeadbeef
        b[40..48].copy_from_slice(&[58, 0, 0x05, 0xc9, 0xde, 0xad, 0xbe, 0xef]);
        let ip = Ipv6Packet::new_checked(&b).unwrap();
        assert_eq!(ip.src(), "2001:db8::10".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            (ip.next_header(), ip.hop_limit(), ip.payload_len()),
            (44, 64, 8)
        );
        let f = Ipv6Fragment::new_checked(&b[40..]).unwrap();
        assert_eq!(
            (f.next_header(), f.offset(), f.more(), f.ident()),
            (58, 185, true, 0xdeadbeef)
        );
        assert_eq!(extension_len(44, &b[40..]), Some(8));
    }
}
