//! DNS message (RFC 1035) view: header, questions and resource records, with
//! name decompression bounded against pointer loops (as Suricata's parser,
//! a loop is a flag, not a failure).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::bytes::{array, be16, be32, u8_at};

#[derive(Debug, Clone, Copy)]
pub struct DnsMessage<'a>(&'a [u8]);

/// A name inside a message, decoded on demand.
#[derive(Debug, Clone, Copy)]
pub struct DnsName<'a> {
    msg: &'a [u8],
    at: usize,
}

/// One question.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub name: DnsName<'a>,
    pub qtype: u16,
    pub qclass: u16,
}

/// One resource record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub name: DnsName<'a>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// Offset of the rdata within the message.
    pub rdata_at: usize,
    pub rdata: &'a [u8],
    msg: &'a [u8],
}

/// Record types by number.
pub mod rtype {
    pub const A: u16 = 1;
    pub const NS: u16 = 2;
    pub const CNAME: u16 = 5;
    pub const SOA: u16 = 6;
    pub const PTR: u16 = 12;
    pub const MX: u16 = 15;
    pub const TXT: u16 = 16;
    pub const AAAA: u16 = 28;
    pub const SRV: u16 = 33;
    pub const OPT: u16 = 41;
}

/// Wireshark's mnemonic for a record type.
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return None,
    })
}

impl<'a> DnsMessage<'a> {
    pub const HEADER_LEN: usize = 12;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::HEADER_LEN).then_some(DnsMessage(b))
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
    /// `dns.id`
    pub fn id(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `dns.flags`
    pub fn flags(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `dns.flags.response`
    pub fn is_response(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    /// `dns.flags.opcode`
    pub fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xf) as u8
    }
    /// `dns.flags.rcode`
    pub fn rcode(&self) -> u8 {
        (self.flags() & 0xf) as u8
    }
    /// `dns.count.queries`
    pub fn qdcount(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `dns.count.answers`
    pub fn ancount(&self) -> u16 {
        be16(self.0, 6)
    }
    /// `dns.count.auth_rr`
    pub fn nscount(&self) -> u16 {
        be16(self.0, 8)
    }
    /// `dns.count.add_rr`
    pub fn arcount(&self) -> u16 {
        be16(self.0, 10)
    }

    /// Walks the questions; `None` ends the walk when the message is cut.
    pub fn questions(&self) -> impl Iterator<Item = Question<'a>> + 'a {
        let msg = self.0;
        let mut at = Self::HEADER_LEN;
        let mut left = self.qdcount();
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let end = skip_name(msg, at)?;
            if end + 4 > msg.len() {
                left = 0;
                return None;
            }
            let q = Question {
                name: DnsName { msg, at },
                qtype: be16(msg, end),
                qclass: be16(msg, end + 2),
            };
            at = end + 4;
            Some(q)
        })
    }

    /// Offset just after the question section, if it is complete.
    fn questions_end(&self) -> Option<usize> {
        let mut at = Self::HEADER_LEN;
        for _ in 0..self.qdcount() {
            at = skip_name(self.0, at)? + 4;
            if at > self.0.len() {
                return None;
            }
        }
        Some(at)
    }

    /// Walks the answer, authority and additional records, with the
    /// section index (0, 1, 2) of each.
    pub fn records(&self) -> impl Iterator<Item = (u8, Record<'a>)> + 'a {
        let msg = self.0;
        let counts = [self.ancount(), self.nscount(), self.arcount()];
        let mut at = self.questions_end();
        let mut section = 0u8;
        let mut left = counts[0];
        std::iter::from_fn(move || {
            loop {
                let pos = at?;
                if left == 0 {
                    section += 1;
                    if section > 2 {
                        return None;
                    }
                    left = counts[section as usize];
                    continue;
                }
                left -= 1;
                let Some(end) = skip_name(msg, pos) else {
                    at = None;
                    return None;
                };
                if end + 10 > msg.len() {
                    at = None;
                    return None;
                }
                let rdlen = be16(msg, end + 8) as usize;
                let rdata_at = end + 10;
                if rdata_at + rdlen > msg.len() {
                    at = None;
                    return None;
                }
                at = Some(rdata_at + rdlen);
                return Some((
                    section,
                    Record {
                        name: DnsName { msg, at: pos },
                        rtype: be16(msg, end),
                        class: be16(msg, end + 2),
                        ttl: be32(msg, end + 4),
                        rdata_at,
                        rdata: &msg[rdata_at..rdata_at + rdlen],
                        msg,
                    },
                ));
            }
        })
    }
}

impl<'a> Record<'a> {
    /// `dns.a`
    pub fn a(&self) -> Option<Ipv4Addr> {
        (self.rtype == rtype::A && self.rdata.len() == 4).then(|| array::<4>(self.rdata, 0).into())
    }
    /// `dns.aaaa`
    pub fn aaaa(&self) -> Option<Ipv6Addr> {
        (self.rtype == rtype::AAAA && self.rdata.len() == 16)
            .then(|| array::<16>(self.rdata, 0).into())
    }
    /// The primary name server of an SOA record.
    pub fn soa_mname(&self) -> Option<DnsName<'a>> {
        (self.rtype == rtype::SOA && !self.rdata.is_empty()).then_some(DnsName {
            msg: self.msg,
            at: self.rdata_at,
        })
    }
    /// The domain name in the rdata of CNAME, PTR, NS records.
    pub fn target_name(&self) -> Option<DnsName<'a>> {
        match self.rtype {
            rtype::CNAME | rtype::PTR | rtype::NS => Some(DnsName {
                msg: self.msg,
                at: self.rdata_at,
            }),
            rtype::MX if self.rdata.len() > 2 => Some(DnsName {
                msg: self.msg,
                at: self.rdata_at + 2,
            }),
            _ => None,
        }
    }
}

/// Maximum compression pointers followed in one name.
const MAX_HOPS: usize = 64;

/// Offset after the name starting at `at` (pointers end a name), or `None`
/// when it runs off the message.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + len,
            0xc0 => return (at + 2 <= msg.len()).then_some(at + 2),
            _ => return None,
        }
    }
}

impl DnsName<'_> {
    /// Appends the dotted name to `out` as Wireshark shows it (`<Root>` for
    /// the root). Returns false when the name is malformed (cut, looping).
    pub fn write_to(&self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let mut at = self.at;
        let mut hops = 0;
        let mut first = true;
        loop {
            let Some(&len) = self.msg.get(at) else {
                return false;
            };
            let len = len as usize;
            match len & 0xc0 {
                0x00 if len == 0 => break,
                0x00 => {
                    let Some(label) = self.msg.get(at + 1..at + 1 + len) else {
                        return false;
                    };
                    if !first {
                        out.push(b'.');
                    }
                    first = false;
                    push_label(out, label);
                    at += 1 + len;
                    if out.len() - start > 1024 {
                        return false;
                    }
                }
                0xc0 => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return false;
                    }
                    at = ((len & 0x3f) << 8) | u8_at(self.msg, at + 1) as usize;
                }
                _ => return false,
            }
        }
        if first {
            out.extend_from_slice(b"<Root>");
        }
        true
    }

    /// The name as a `String` (for tests and reports; not on hot paths).
    pub fn to_string_lossy(&self) -> String {
        let mut v = Vec::new();
        self.write_to(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }
}

/// A label as Wireshark shows it: UTF-8 text as is, control characters
/// and bytes that are not UTF-8 as `\ooo`.
fn push_label(out: &mut Vec<u8>, label: &[u8]) {
    let escape = |out: &mut Vec<u8>, c: u8| out.extend_from_slice(format!("\\{c:03o}").as_bytes());
    for chunk in label.utf8_chunks() {
        for ch in chunk.valid().chars() {
            let mut buf = [0u8; 4];
            let bytes = ch.encode_utf8(&mut buf).as_bytes();
            if ch.is_control() {
                bytes.iter().for_each(|&c| escape(out, c));
            } else {
                out.extend_from_slice(bytes);
            }
        }
        chunk.invalid().iter().for_each(|&c| escape(out, c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_compression() {
        let mut m = vec![
            0xcf, 0x92, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // header: response, 1 q, 1 an
            3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
            0, 0, 1, 0, 1,
        ];
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        let d = DnsMessage::new_checked(&m).unwrap();
        assert!(d.is_response());
        assert_eq!(d.id(), 0xcf92);
        let q: Vec<_> = d.questions().collect();
        assert_eq!(q[0].name.to_string_lossy(), "www.example.com");
        let r: Vec<_> = d.records().collect();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].1.name.to_string_lossy(), "www.example.com");
        assert_eq!(r[0].1.a(), Some(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn pointer_loop_is_malformed_not_a_hang() {
        let m = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        let d = DnsMessage::new_checked(&m).unwrap();
        let q: Vec<_> = d.questions().collect();
        let mut out = Vec::new();
        assert!(!q[0].name.write_to(&mut out));
    }
}

#[cfg(test)]
mod label_tests {
    use super::push_label;

    #[test]
    fn utf8_as_is_controls_and_stray_bytes_escaped() {
        let mut out = Vec::new();
        push_label(&mut out, "小佛".as_bytes());
        assert_eq!(out, "小佛".as_bytes());
        out.clear();
        push_label(&mut out, b"a\x01b\xffc");
        assert_eq!(out, b"a\\001b\\377c");
    }
}
