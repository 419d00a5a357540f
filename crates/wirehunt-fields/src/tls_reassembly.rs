//! TLS records split over TCP segments, followed as Wireshark's TLS
//! dissector has TCP put them together (its multi-segment PDUs), for what
//! the packet list and the expert view show of it: a segment that TCP adds
//! to a record it has already put together raises Wireshark's reassembly
//! error, "New fragment overlaps old data (retransmission?)".
//!
//! How Wireshark gets there, with its default preferences:
//! - A conversation is TLS when the first of its ports with a dissector is
//!   one of TLS's, or, when neither port has one, from the first segment
//!   whose data starts like a TLS record (its heuristic).
//! - The dissector walks the records of a segment; one that runs past the
//!   segment's end (or a header cut after fewer than five bytes, once the
//!   version is known) becomes a multi-segment PDU: the range of sequence
//!   numbers from the record's start to its end (to one byte past the next
//!   segment when the header was cut).
//! - Every later segment whose data starts inside a PDU's range (not at its
//!   start: that is a retransmission of its first segment) is added to it;
//!   the PDU is put together once the bytes from its start to its end are
//!   all there. Data past its end starts new records.
//! - Plain retransmissions are not handed to reassembly; out-of-order
//!   segments and fast retransmissions are, but an out-of-order segment
//!   outside every PDU reaches no dissector.
//! - Adding a segment to a PDU already put together is the error (unless the
//!   PDU was put together from a cut header and the segment reaches its end:
//!   the PDU then grows to the record's end).

use std::collections::{BTreeMap, HashMap};

use wirehunt_dissect::{Packet, Proto, TcpSegment, ports};
use wirehunt_flow::Flows;
use wirehunt_flow::analysis::{TcpAnalysis, flags as aflags};

type Hasher = foldhash::fast::RandomState;

/// The summary of the error (tshark's expert item and Info suffix).
pub const OVERLAP_ERROR: &str = "New fragment overlaps old data (retransmission?)";

/// Most TLS conversations followed, and most PDUs remembered per direction
/// (the oldest go first).
const MAX_CONVERSATIONS: usize = 1 << 16;
const MAX_PDUS: usize = 64;

/// A multi-segment PDU: one TLS record (or a cut record header and the
/// segment after it) waiting for, or put together from, several segments.
struct Pdu {
    /// Relative sequence number one past its end (Wireshark's `nxtpdu`).
    end: u32,
    /// Bytes from its start that arrived without a gap.
    contiguous: u32,
    /// Pieces past a gap: offset → end offset.
    pieces: BTreeMap<u32, u32>,
    /// Put together (Wireshark's "defragmented").
    done: bool,
    /// How many bytes it was put together from.
    datalen: u32,
    /// Put together from a cut header whose record turned out longer: it
    /// grows again when a segment reaches its end.
    partial: bool,
    /// Created from a record header cut after fewer than five bytes: the
    /// next segment is added whole, and the header read when it arrives.
    cut_header: Option<([u8; 5], u8)>,
}

impl Pdu {
    fn new(end: u32, have: u32) -> Pdu {
        Pdu {
            end,
            contiguous: have,
            pieces: BTreeMap::new(),
            done: false,
            datalen: 0,
            partial: false,
            cut_header: None,
        }
    }

    /// Records bytes `[off, off + len)` as present.
    fn cover(&mut self, off: u32, len: u32) {
        let end = off.saturating_add(len);
        if off > self.contiguous {
            let e = self.pieces.entry(off).or_insert(end);
            *e = (*e).max(end);
            return;
        }
        self.contiguous = self.contiguous.max(end);
        while let Some(e) = self.pieces.first_entry() {
            if *e.key() > self.contiguous {
                break;
            }
            self.contiguous = self.contiguous.max(e.remove());
        }
    }
}

#[derive(Default)]
struct Conv {
    /// A record other than a ClientHello was read: its version is the
    /// session's (Wireshark then reads any five bytes as a record header).
    version_known: bool,
    /// PDUs of each direction (from the initiator, from the responder), by
    /// relative sequence number of their start.
    pdus: [BTreeMap<u32, Pdu>; 2],
}

/// Follows the TLS conversations of a capture; feed it every frame in
/// order.
#[derive(Default)]
pub struct TlsReassembly {
    convs: HashMap<u32, Conv, Hasher>,
    /// Whether the bound on conversations made it forget some.
    saturated: bool,
}

/// Whether `b` starts like the record Wireshark's TLS heuristic accepts:
/// a handshake or application data record of SSL 3.0, TLS 1.0–1.2 or
/// GM/T TLS, of a plausible length.
fn heuristic_accepts(b: &[u8]) -> bool {
    b.len() >= 5
        && matches!(b[0], 22 | 23)
        && known_version(be16(b, 1))
        && (1..16384 + 2048).contains(&be16(b, 3))
}

/// The big-endian 16-bit number at `i` (0 past the end).
fn be16(b: &[u8], i: usize) -> u16 {
    match b.get(i..i + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

fn known_version(v: u16) -> bool {
    matches!(v, 0x0300..=0x0303 | 0x0101)
}

fn valid_content_type(t: u8) -> bool {
    (20..=24).contains(&t)
}

/// Whether the TCP port dispatch of Wireshark hands the conversation to
/// TLS (`Some(true)`), to another dissector (`Some(false)`), or leaves it
/// to the heuristics (`None`): the lower port is tried first.
fn by_port(a: u16, b: u16) -> Option<bool> {
    [a.min(b), a.max(b)]
        .into_iter()
        .find(|&p| ports::tcp_claimed(p))
        .map(ports::tcp_tls)
}

impl TlsReassembly {
    /// Whether the bound on conversations made it forget some.
    pub fn saturated(&self) -> bool {
        self.saturated
    }

    /// Feeds one frame (with its sequence analysis); returns whether
    /// Wireshark's TCP reassembly fails on it with [`OVERLAP_ERROR`].
    pub fn feed(&mut self, pkt: &Packet<'_>, flows: &Flows, analysis: &TcpAnalysis) -> bool {
        let Some(flow) = flows.main().filter(|f| f.proto == Proto::Tcp && !f.quoted) else {
            return false;
        };
        let Some(l) = pkt.layers().get(flow.layer as usize) else {
            return false;
        };
        let Some(seg) = TcpSegment::new_checked(pkt.bytes(l)) else {
            return false;
        };
        let payload = seg.payload();
        // Nothing to add; bytes the capture cut off cannot be reassembled.
        if payload.is_empty() || (l.declared_len() as usize) > pkt.bytes(l).len() {
            return false;
        }
        let fl = analysis.flags;
        let out_of_order = fl & aflags::OUT_OF_ORDER != 0;
        if fl & (aflags::OUT_OF_ORDER | aflags::FAST_RETRANSMISSION) == 0
            && fl & (aflags::RETRANSMISSION | aflags::SPURIOUS_RETRANSMISSION) != 0
        {
            return false;
        }
        let dir = usize::from(!flow.from_initiator);
        if let Some(conv) = self.convs.get_mut(&flow.stream) {
            return conv.add(dir, flow.rel_seq, payload, out_of_order);
        }
        let tls = match by_port(seg.src_port(), seg.dst_port()) {
            Some(tls) => tls,
            None => !out_of_order && heuristic_accepts(payload),
        };
        if !tls {
            return false;
        }
        if self.convs.len() >= MAX_CONVERSATIONS {
            self.convs.clear();
            self.saturated = true;
        }
        self.convs
            .entry(flow.stream)
            .or_default()
            .add(dir, flow.rel_seq, payload, out_of_order)
    }
}

impl Conv {
    /// Adds a segment's data at `seq` to direction `dir`; returns whether
    /// it overlaps a PDU already put together.
    fn add(&mut self, dir: usize, seq: u32, data: &[u8], out_of_order: bool) -> bool {
        let len = data.len() as u32;
        let next = seq.wrapping_add(len);
        let pdus = &mut self.pdus[dir];
        // A segment at a PDU's start is a retransmission of its first one.
        if pdus.contains_key(&seq) {
            return false;
        }
        let Some((&start, pdu)) = pdus
            .range_mut(..seq)
            .next_back()
            .filter(|(s, p)| seq.wrapping_sub(**s) < p.end.wrapping_sub(**s))
        else {
            // New data: out of order, it reaches no dissector.
            if !out_of_order {
                self.walk(dir, seq, data);
            }
            return false;
        };
        let off = seq.wrapping_sub(start);
        let whole = pdu.cut_header.is_some();
        let frag_len = if whole {
            len
        } else {
            pdu.end.wrapping_sub(seq).min(len)
        };
        if pdu.done {
            if !(pdu.partial && off.saturating_add(frag_len) >= pdu.datalen) {
                return true;
            }
            pdu.done = false;
            pdu.partial = false;
        }
        pdu.cover(off, frag_len);
        // Its length: to its end, or for a cut header to the end of the
        // segment that completes it.
        let total = if whole && next.wrapping_sub(start) >= pdu.end.wrapping_sub(start) {
            next.wrapping_sub(start)
        } else {
            pdu.end.wrapping_sub(start)
        };
        let mut rest_at = None;
        if pdu.contiguous >= total && pdu.pieces.is_empty() {
            pdu.done = true;
            pdu.datalen = total;
            if let Some((head, n)) = pdu.cut_header.take() {
                // The header, read whole now: the record may end past this
                // segment (the PDU grows), or records may follow it.
                let mut joined = head[..n as usize].to_vec();
                joined.extend_from_slice(&data[..data.len().min(5)]);
                let rec_end = 5 + u32::from(be16(&joined, 3));
                if joined.len() >= 5 && rec_end > total {
                    pdu.end = start.wrapping_add(rec_end);
                    pdu.partial = true;
                } else {
                    pdu.end = start.wrapping_add(total);
                    if joined.len() >= 5 && rec_end < total {
                        rest_at = Some(start.wrapping_add(rec_end));
                    }
                }
            }
        }
        let end = pdu.end;
        if let Some(at) = rest_at.filter(|_| !out_of_order) {
            let skip = at.wrapping_sub(seq) as usize;
            self.walk(dir, at, &data[skip.min(data.len())..]);
        } else if !out_of_order && !whole && next.wrapping_sub(seq) > end.wrapping_sub(seq) {
            // Data past the PDU's end starts new records.
            let skip = end.wrapping_sub(seq) as usize;
            self.walk(dir, end, &data[skip..]);
        }
        false
    }

    /// Reads the records of data at `seq` as the TLS dissector does; the
    /// first that runs past the data's end becomes a PDU.
    fn walk(&mut self, dir: usize, seq: u32, data: &[u8]) {
        let mut at = 0usize;
        while at < data.len() {
            let rest = &data[at..];
            let rec_seq = seq.wrapping_add(at as u32);
            if rest.len() < 5 {
                if self.version_known {
                    let mut head = [0u8; 5];
                    head[..rest.len()].copy_from_slice(rest);
                    let end = seq.wrapping_add(data.len() as u32).wrapping_add(1);
                    let mut pdu = Pdu::new(end, rest.len() as u32);
                    pdu.cut_header = Some((head, rest.len() as u8));
                    self.insert(dir, rec_seq, pdu);
                }
                return;
            }
            let len = 5 + usize::from(be16(rest, 3));
            if !self.version_known {
                if !(valid_content_type(rest[0]) && known_version(be16(rest, 1))) {
                    return;
                }
                if !(rest[0] == 22 && rest[5..].first() == Some(&1)) {
                    self.version_known = true;
                }
            }
            if valid_content_type(rest[0]) && len > rest.len() {
                let pdu = Pdu::new(rec_seq.wrapping_add(len as u32), rest.len() as u32);
                self.insert(dir, rec_seq, pdu);
                return;
            }
            at += len;
        }
    }

    fn insert(&mut self, dir: usize, start: u32, pdu: Pdu) {
        let pdus = &mut self.pdus[dir];
        if pdus.len() >= MAX_PDUS {
            pdus.pop_first();
        }
        pdus.insert(start, pdu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ctype: u8, len: usize) -> Vec<u8> {
        let mut r = vec![ctype, 3, 1, (len >> 8) as u8, len as u8];
        r.resize(5 + len, 0xab);
        r
    }

    #[test]
    fn a_segment_added_to_a_record_already_put_together_is_the_error() {
        let mut c = Conv::default();
        // A server hello in one segment makes the version known.
        let hello = {
            let mut r = record(22, 40);
            r[5] = 2;
            r
        };
        assert!(!c.add(1, 1, &hello, false));
        assert!(c.version_known);
        // A 3000-byte record over three segments.
        let rec = record(23, 2995);
        let s = 1 + hello.len() as u32;
        assert!(!c.add(1, s, &rec[..1460], false));
        assert!(!c.add(1, s + 1460, &rec[1460..2920], false));
        // The middle segment again, out of order, before the end: it joins.
        assert!(!c.add(1, s + 1460, &rec[1460..2920], true));
        assert!(!c.add(1, s + 2000, &rec[2000..2920], true));
        assert!(!c.add(1, s + 2920, &rec[2920..], false));
        let pdu = &c.pdus[1][&s];
        assert!(pdu.done);
        // Once put together, an out-of-order copy of a middle part fails.
        assert!(c.add(1, s + 1460, &rec[1460..2920], true));
        // At the record's start it is a retransmission: no error.
        assert!(!c.add(1, s, &rec[..1460], true));
        // The other direction has its own PDUs.
        assert!(!c.add(0, s + 1460, &rec[1460..2920], true));
    }

    #[test]
    fn a_gap_holds_the_record_until_filled() {
        let mut c = Conv {
            version_known: true,
            ..Conv::default()
        };
        let rec = record(23, 995);
        assert!(!c.add(0, 1, &rec[..400], false));
        // The end arrives before the middle.
        assert!(!c.add(0, 801, &rec[800..], false));
        assert!(!c.pdus[0][&1].done);
        assert!(!c.add(0, 401, &rec[400..800], true));
        assert!(c.pdus[0][&1].done);
        assert!(c.add(0, 401, &rec[400..800], true));
    }

    #[test]
    fn a_cut_header_waits_for_the_next_segment() {
        let mut c = Conv {
            version_known: true,
            ..Conv::default()
        };
        // A whole record, then three bytes of the next header.
        let mut seg = record(23, 10);
        let next = record(23, 100);
        seg.extend_from_slice(&next[..3]);
        assert!(!c.add(0, 1, &seg, false));
        let start = 1 + 15;
        assert!(c.pdus[0][&start].cut_header.is_some());
        // The next segment holds the rest of the header and part of the
        // body: the PDU grows to the record's end.
        assert!(!c.add(0, start + 3, &next[3..50], false));
        let pdu = &c.pdus[0][&start];
        assert!(pdu.done && pdu.partial && pdu.end == start + 105);
        // The segment with the rest reaches the end and completes it.
        assert!(!c.add(0, start + 50, &next[50..], false));
        assert!(c.pdus[0][&start].done && !c.pdus[0][&start].partial);
    }

    #[test]
    fn the_heuristic_and_the_ports() {
        assert!(heuristic_accepts(&record(22, 40)));
        assert!(!heuristic_accepts(&record(21, 2)));
        assert!(!heuristic_accepts(b"GET / HTTP/1.1\r\n"));
        assert_eq!(by_port(443, 51000), Some(true));
        assert_eq!(by_port(80, 51000), Some(false));
        assert_eq!(by_port(65500, 1881), None);
    }
}
