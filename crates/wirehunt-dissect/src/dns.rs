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
    /// The rdata, as much of it as the message holds.
    pub rdata: &'a [u8],
    /// The rdata length the record announces.
    pub rdlen: usize,
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
    pub const A6: u16 = 38;
    pub const OPT: u16 = 41;
}

/// Wireshark's heuristic for DNS on a port DNS does not own: more than a
/// header; a standard query (one question, no answers or authority) or a
/// standard response (at most one question, at most 20 answers and 20
/// authority records); at most 20 additional records; a question or an
/// answer; and room for 6 bytes per question and 11 per record.
pub fn looks_like_message(b: &[u8]) -> bool {
    const MAX: u16 = 20;
    if b.len() <= DnsMessage::HEADER_LEN {
        return false;
    }
    let d = DnsMessage(b);
    let (q, an, ns, ar) = (d.qdcount(), d.ancount(), d.nscount(), d.arcount());
    if d.opcode() != 0 {
        return false;
    }
    let counts_fit = if d.is_response() {
        q <= 1 && an <= MAX && ns <= MAX
    } else {
        q == 1 && an == 0 && ns == 0
    };
    counts_fit
        && ar <= MAX
        && q + an > 0
        && usize::from(q) * 6 + (usize::from(an) + usize::from(ns) + usize::from(ar)) * 11
            <= b.len() - DnsMessage::HEADER_LEN
}

impl<'a> DnsMessage<'a> {
    pub const HEADER_LEN: usize = 12;
    /// A message with at least its ID and flags. The rest of the header
    /// may be cut (Wireshark shows what it could read, then an error): see
    /// [`Self::has_header_bytes`].
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::MIN_LEN).then_some(DnsMessage(b))
    }
    /// ID and flags.
    pub const MIN_LEN: usize = 4;
    /// Whether the header's first `n` bytes are there.
    pub fn has_header_bytes(&self, n: usize) -> bool {
        self.0.len() >= n
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
            let end = skip_name(msg, at).filter(|_| (DnsName { msg, at }).readable())?;
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

    /// Whether Wireshark's dissection of the message stops with an error
    /// (shown as `[Malformed Packet]`): a question or record the counts
    /// announce is cut short or missing, or a name in one cannot be read.
    pub fn is_malformed(&self) -> bool {
        if !self.has_header_bytes(Self::HEADER_LEN) {
            return true;
        }
        let mut scratch = Vec::new();
        let mut readable = |n: &DnsName<'_>| {
            scratch.clear();
            n.write_to(&mut scratch)
        };
        let mut questions = 0usize;
        for q in self.questions() {
            if !readable(&q.name) {
                return true;
            }
            questions += 1;
        }
        if questions < self.qdcount() as usize {
            return true;
        }
        let mut records = 0usize;
        for (_, r) in self.records() {
            if !readable(&r.name)
                || r.target_name().is_some_and(|n| !readable(&n))
                || !r.rdata_readable()
            {
                return true;
            }
            // Cut rdata Wireshark reads whole: addresses, and any type it
            // shows as bytes.
            if r.rdata.len() < r.rdlen && r.target_name().is_none() {
                return true;
            }
            records += 1;
        }
        records < self.ancount() as usize + self.nscount() as usize + self.arcount() as usize
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
                let Some(end) =
                    skip_name(msg, pos).filter(|_| (DnsName { msg, at: pos }).readable())
                else {
                    at = None;
                    return None;
                };
                if end + 10 > msg.len() {
                    at = None;
                    return None;
                }
                let rdlen = be16(msg, end + 8) as usize;
                let rdata_at = end + 10;
                // Rdata the message cuts short is read as far as it goes
                // (Wireshark reads the rdata's own fields, not its length);
                // nothing can follow it.
                let rdata_end = rdata_at + rdlen;
                let record = Record {
                    name: DnsName { msg, at: pos },
                    rtype: be16(msg, end),
                    class: be16(msg, end + 2),
                    ttl: be32(msg, end + 4),
                    rdata_at,
                    rdata: &msg[rdata_at..rdata_end.min(msg.len())],
                    rdlen,
                    msg,
                };
                // Rdata Wireshark cannot read ends the dissection there.
                at = (rdata_end <= msg.len() && record.rdata_readable()).then_some(rdata_end);
                return Some((section, record));
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
    /// Whether Wireshark reads the rdata without running off the message.
    /// It reads an A6 record's fields wherever its length says they end:
    /// the prefix length, an address suffix of the bits the prefix leaves,
    /// then the prefix name (when the prefix length is not 0).
    pub fn rdata_readable(&self) -> bool {
        if self.rtype != rtype::A6 {
            return true;
        }
        let Some(&prefix) = self.msg.get(self.rdata_at) else {
            return false;
        };
        let suffix_bits = 128usize.saturating_sub(prefix.into());
        let name_at = self.rdata_at + 1 + suffix_bits.div_ceil(8);
        if name_at > self.msg.len() {
            return false;
        }
        prefix == 0
            || DnsName {
                msg: self.msg,
                at: name_at,
            }
            .readable()
    }

    /// The preference of an MX record (`dns.mx.preference`).
    pub fn mx_preference(&self) -> Option<u16> {
        (self.rtype == rtype::MX && self.rdata.len() > 2)
            .then(|| u16::from_be_bytes(array::<2>(self.rdata, 0)))
    }
    /// The domain name in the rdata of CNAME, PTR, NS and MX records.
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

/// One label of a name.
enum Label<'a> {
    Text(&'a [u8]),
    /// A bitstring label's bytes and bit count.
    Bits(&'a [u8], u8),
}

/// Maximum compression pointers followed in one name.
const MAX_HOPS: usize = 64;

/// Offset after the name starting at `at` (pointers end a name), or `None`
/// when Wireshark's reading of it fails (it runs off the message, or has a
/// reserved label type). As Wireshark: a bitstring label (RFC 2673) is
/// skipped by its bit count; an unknown extended label ends the name right
/// after its type byte.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    let start = at;
    loop {
        let len = *msg.get(at)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + len,
            0xc0 => return (at + 2 <= msg.len()).then_some(at + 2),
            0x40 if len == BITSTRING_LABEL => at += 2 + bitstring_bytes(*msg.get(at + 1)?),
            // A name that is nothing but that label is too short: an error.
            0x40 => return (at > start).then_some(at + 1),
            _ => return None,
        }
    }
}

/// Extended label type of a bitstring label.
const BITSTRING_LABEL: usize = 0x41;

/// Bytes of a bitstring label holding `count` bits (0 means 256).
fn bitstring_bytes(count: u8) -> usize {
    let bits = if count == 0 { 256 } else { count as usize };
    bits.div_ceil(8)
}

/// How Wireshark's reading of a name ends.
enum NameEnd {
    /// At the root label.
    Done,
    /// Past [`MAX_HOPS`] pointers: Wireshark names it, no error.
    Loop,
    /// At an unknown extended label after at least one other label: the
    /// name is given up, no error.
    UnknownExtended,
    /// Cut, a pointer off the message, a reserved label type, a name that
    /// is only an unknown extended label, or the reader stopped: an error.
    Unreadable,
}

impl DnsName<'_> {
    /// Walks the labels in order, following pointers; `label` returns false
    /// to stop the walk (then [`NameEnd::Unreadable`]).
    fn walk<'m>(&self, mut label: impl FnMut(Label<'m>) -> bool) -> NameEnd
    where
        Self: 'm,
    {
        let msg: &'m [u8] = self.msg;
        let mut at = self.at;
        let mut hops = 0;
        loop {
            let Some(&len) = msg.get(at) else {
                return NameEnd::Unreadable;
            };
            let len = len as usize;
            let l = match len & 0xc0 {
                0x00 if len == 0 => return NameEnd::Done,
                0x00 => {
                    let Some(text) = msg.get(at + 1..at + 1 + len) else {
                        return NameEnd::Unreadable;
                    };
                    at += 1 + len;
                    Label::Text(text)
                }
                0x40 if len == BITSTRING_LABEL => {
                    let Some(&count) = msg.get(at + 1) else {
                        return NameEnd::Unreadable;
                    };
                    let n = bitstring_bytes(count);
                    let Some(bits) = msg.get(at + 2..at + 2 + n) else {
                        return NameEnd::Unreadable;
                    };
                    at += 2 + n;
                    Label::Bits(bits, count)
                }
                0x40 if at == self.at => return NameEnd::Unreadable,
                0x40 => return NameEnd::UnknownExtended,
                0xc0 => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return NameEnd::Loop;
                    }
                    at = ((len & 0x3f) << 8) | u8_at(msg, at + 1) as usize;
                    continue;
                }
                _ => return NameEnd::Unreadable,
            };
            if !label(l) {
                return NameEnd::Unreadable;
            }
        }
    }

    /// Whether the whole name can be read (its pointers land inside the
    /// message, its labels fit): Wireshark's dissection stops otherwise.
    pub fn readable(&self) -> bool {
        !matches!(self.walk(|_| true), NameEnd::Unreadable)
    }

    /// Appends the dotted name to `out` as Wireshark shows it (`<Root>` for
    /// the root, its texts for a looping name and an unknown extended
    /// label). Returns false when the name is malformed (cut, off the
    /// message, longer than 1024 bytes written).
    pub fn write_to(&self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let mut first = true;
        let end = self.walk(|label| {
            if !first {
                out.push(b'.');
            }
            first = false;
            match label {
                Label::Text(t) => push_label(out, t),
                Label::Bits(b, count) => {
                    out.extend_from_slice(b"\\[x");
                    for x in b {
                        out.extend_from_slice(format!("{x:02x}").as_bytes());
                    }
                    let bits = if count == 0 { 256 } else { count as u32 };
                    out.extend_from_slice(format!("/{bits}]").as_bytes());
                }
            }
            out.len() - start <= 1024
        });
        let replaced: &[u8] = match end {
            NameEnd::Unreadable => return false,
            NameEnd::Done if first => b"<Root>",
            NameEnd::Done => return true,
            NameEnd::Loop => b"<Name contains a pointer that loops>",
            NameEnd::UnknownExtended => b"<Unknown extended label>",
        };
        out.truncate(start);
        out.extend_from_slice(replaced);
        true
    }

    /// The name as a `String` (for tests and reports; not on hot paths).
    pub fn to_string_lossy(&self) -> String {
        let mut v = Vec::new();
        self.write_to(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }
}

/// A label as Wireshark 4.0 shows it. Its UTF-8 decoder goes by the
/// sequence lengths the lead bytes announce (an overlong `C0 AF` is `/`);
/// a cut sequence, a stray byte, a surrogate or a code point past U+10FFFF
/// becomes U+FFFD; ASCII controls are written as C escapes (`\r`) or in
/// octal (`\001`).
fn push_label(out: &mut Vec<u8>, label: &[u8]) {
    const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();
    let ascii = |out: &mut Vec<u8>, c: u8| match c {
        0x20..=0x7e => out.push(c),
        0x07 => out.extend_from_slice(b"\\a"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0d => out.extend_from_slice(b"\\r"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0b => out.extend_from_slice(b"\\v"),
        _ => out.extend_from_slice(format!("\\{c:03o}").as_bytes()),
    };
    let mut i = 0;
    while i < label.len() {
        let c = label[i];
        let n = match c {
            0x00..=0x7f => {
                ascii(out, c);
                i += 1;
                continue;
            }
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 0,
        };
        if n == 0 {
            out.extend_from_slice(REPLACEMENT);
            i += 1;
            continue;
        }
        let mut cp = u32::from(c & (0x7f >> n));
        let mut k = 1;
        while k < n && label.get(i + k).is_some_and(|b| b & 0xc0 == 0x80) {
            cp = (cp << 6) | u32::from(label[i + k] & 0x3f);
            k += 1;
        }
        i += k;
        match char::from_u32(cp) {
            _ if k < n => out.extend_from_slice(REPLACEMENT),
            Some(ch) if ch.is_ascii() => ascii(out, ch as u8),
            Some(ch) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            None => out.extend_from_slice(REPLACEMENT),
        }
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
    fn mx_record_preference_and_exchange() {
        let mut m = vec![
            0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // header: response, 1 q, 1 an
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0, 0, 15, 0, 1, // example MX IN
        ];
        // Name: pointer to the question; MX IN, TTL 60, rdlength 7:
        // preference 100, exchange "mx" then a pointer to "example".
        m.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 7, 0, 100]);
        m.extend_from_slice(&[2, b'm', b'x', 0xc0, 12]);
        let d = DnsMessage::new_checked(&m).unwrap();
        let (_, r) = d.records().next().unwrap();
        assert_eq!(r.mx_preference(), Some(100));
        assert_eq!(r.target_name().unwrap().to_string_lossy(), "mx.example");
    }

    #[test]
    fn an_a6_record_is_read_as_far_as_its_prefix_length_says() {
        // Response, 1 answer: name = pointer to nothing useful (the root),
        // type A6, class IN, TTL 60, then the rdata.
        let msg = |rdata: &[u8]| {
            let mut m = vec![
                0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 38, 0, 1, 0, 0, 0, 60,
            ];
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
            m
        };
        // Prefix length 0: a whole 16-byte address, no name.
        let whole = msg(&[0; 17]);
        let d = DnsMessage::new_checked(&whole).unwrap();
        assert!(d.records().next().unwrap().1.rdata_readable() && !d.is_malformed());
        // Prefix length 3: 16 suffix bytes, then a name the message lacks
        // (a fuzzed capture's record announces 6 bytes of rdata).
        let cut = msg(&[3, b'n', b's', b'1', 0xc0, 0x10]);
        let d = DnsMessage::new_checked(&cut).unwrap();
        assert!(!d.records().next().unwrap().1.rdata_readable() && d.is_malformed());
        // Prefix length 64: 8 suffix bytes, then the root name.
        let mut ok = vec![64];
        ok.extend_from_slice(&[0; 8]);
        ok.push(0);
        let ok = msg(&ok);
        let d = DnsMessage::new_checked(&ok).unwrap();
        assert!(!d.is_malformed());
    }

    #[test]
    fn pointer_loop_is_malformed_not_a_hang() {
        let m = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        let d = DnsMessage::new_checked(&m).unwrap();
        let q: Vec<_> = d.questions().collect();
        assert_eq!(
            q[0].name.to_string_lossy(),
            "<Name contains a pointer that loops>"
        );
        assert!(!d.is_malformed());
    }
}

#[cfg(test)]
mod label_tests {
    use super::{DnsMessage, push_label};

    /// A query for `abc.com` with `qd` questions announced and `name`.
    fn query(qd: u16, name: &[u8]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, qd as u8, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(name);
        m.extend_from_slice(&[0, 1, 0, 1]);
        m
    }

    #[test]
    fn extended_labels_and_missing_questions_as_wireshark() {
        // Checked against tshark 4.0: an unknown extended label (0x65 here,
        // after a 5-bit bitstring label) names the question "<Unknown
        // extended label>" and ends the name, so the type is read from the
        // bytes right after it.
        let m = query(1, b"\x03abc\x41\x05hello\x00");
        let d = DnsMessage::new_checked(&m).unwrap();
        let q = d.questions().next().unwrap();
        assert_eq!(q.name.to_string_lossy(), "<Unknown extended label>");
        assert_eq!(q.qtype, 27756);
        // A reserved label type (0x80) stops the dissection.
        let m = query(1, b"\x03abc\x80\x00");
        let d = DnsMessage::new_checked(&m).unwrap();
        assert!(d.questions().next().is_none() && d.is_malformed());
        // Two questions announced, one there.
        let m = query(2, b"\x03abc\x03com\x00");
        let d = DnsMessage::new_checked(&m).unwrap();
        assert_eq!(d.questions().count(), 1);
        assert!(d.is_malformed());
        let m = query(1, b"\x03abc\x03com\x00");
        assert!(!DnsMessage::new_checked(&m).unwrap().is_malformed());
        // A pointer past the message: no question, an error (tshark 4.0 on
        // the fuzzed capture's frame 279).
        let m = query(1, b"\x011\x010\xdd\x30");
        let d = DnsMessage::new_checked(&m).unwrap();
        assert!(d.questions().next().is_none() && d.is_malformed());
        // A header cut after the answer count: ID and flags read, then an
        // error (frame 269).
        let d = DnsMessage::new_checked(&m[..9]).unwrap();
        assert_eq!(d.id(), 0x1234);
        assert!(d.has_header_bytes(8) && !d.has_header_bytes(10) && d.is_malformed());
        assert!(DnsMessage::new_checked(&m[..3]).is_none());
    }

    #[test]
    fn labels_written_as_wireshark_4_0_writes_them() {
        // Each case checked against tshark 4.0's dns.qry.name.
        let cases: [(&[u8], &str); 7] = [
            ("小佛".as_bytes(), "小佛"),
            (b"a\xe2\x82xb", "a\u{fffd}xb"),
            (b"a\x7fb\\c\td\x01e", "a\\177b\\c\\td\\001e"),
            (b"x\x80\x80y", "x\u{fffd}\u{fffd}y"),
            (b"\xed\xa0\x80z", "\u{fffd}z"),
            (b"\xc0\xafq", "/q"),
            (b"s\rp\x1a", "s\\rp\\032"),
        ];
        for (label, shown) in cases {
            let mut out = Vec::new();
            push_label(&mut out, label);
            assert_eq!(String::from_utf8(out).unwrap(), shown, "{label:?}");
        }
    }
}
