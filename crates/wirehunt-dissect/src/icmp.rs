//! ICMP (RFC 792) and ICMPv6 (RFC 4443) header views. Error messages quote
//! the offending datagram; the dissector decodes it as nested layers.

use crate::bytes::{be16, u8_at};

/// ICMP or ICMPv6 message (the 4-byte common header plus 4 bytes of
/// type-specific data when present).
#[derive(Debug, Clone, Copy)]
pub struct IcmpMessage<'a>(&'a [u8]);

impl<'a> IcmpMessage<'a> {
    pub const MIN_LEN: usize = 4;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::MIN_LEN).then_some(IcmpMessage(b))
    }
    /// `icmp.type` / `icmpv6.type`
    pub fn msg_type(&self) -> u8 {
        self.0[0]
    }
    /// `icmp.code` / `icmpv6.code`
    pub fn code(&self) -> u8 {
        self.0[1]
    }
    /// `icmp.checksum`
    pub fn checksum(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `icmp.ident` (echo messages).
    pub fn ident(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `icmp.seq` (echo messages).
    pub fn seq(&self) -> u16 {
        be16(self.0, 6)
    }
    /// Byte `i` of the message.
    pub fn byte(&self, i: usize) -> u8 {
        u8_at(self.0, i)
    }
    /// Bytes after the 8-byte header.
    pub fn body(&self) -> &'a [u8] {
        self.0.get(8..).unwrap_or(&[])
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// ICMPv4 types that quote the offending datagram.
pub fn icmp_is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// ICMPv6 types that quote the offending datagram.
pub fn icmpv6_is_error(t: u8) -> bool {
    matches!(t, 1..=4)
}
