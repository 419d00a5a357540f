//! HTTP messages split over TCP segments, put back together as Wireshark
//! does with its default preferences: a request's or response's fields
//! belong to the segment that completes it (its headers, then its
//! `Content-Length` body, its chunks, or for a response with neither,
//! everything up to the server's FIN), not to the first segment. Data of a
//! conversation that has carried a request but starts no message is HTTP
//! "Continuation".

use std::collections::{BTreeMap, HashMap};

type Hasher = foldhash::fast::RandomState;

use wirehunt_dissect::http::{self, Extent};
use wirehunt_dissect::tcp::flags;
use wirehunt_dissect::{Packet, Proto, TcpSegment};
use wirehunt_flow::Flows;
use wirehunt_flow::analysis::{TcpAnalysis, flags as aflags};

/// What a frame carries of an HTTP message.
#[derive(Debug, Clone, Copy, Default)]
pub enum HttpView<'b> {
    /// Not tracked: read the message from the frame alone.
    #[default]
    Untracked,
    /// No complete message ends in this frame.
    None,
    /// The message this frame completes (as much of it as is kept,
    /// `MAX_KEPT`).
    Message(&'b [u8]),
    /// The segment's data belongs to an HTTP conversation but starts no
    /// message (Wireshark's "Continuation").
    Continuation,
}

/// Most bytes of one message kept while waiting for its end; past this a
/// message with a known length is still followed to its end, its bytes no
/// longer kept (a chunked one is not: its end is in the bytes).
const MAX_KEPT: usize = 1 << 20;
/// Most bytes kept for all waiting messages together.
const MAX_KEPT_TOTAL: usize = 64 << 20;
/// Most messages waiting at once, and most conversations remembered.
const MAX_STREAMS: usize = 4096;
const MAX_CONVERSATIONS: usize = 1 << 16;

/// A message waiting for its end: Wireshark's multi-segment PDU. Every
/// segment whose data falls in its range joins it, in or out of order
/// (retransmissions do not); it completes when the bytes from its start to
/// its end are all there.
struct Pending {
    /// Sequence number of its first byte.
    start: u32,
    /// The bytes from `start` received without a gap (at most
    /// [`MAX_KEPT`] of them kept).
    buf: Vec<u8>,
    /// How many bytes from `start` arrived without a gap.
    contiguous: usize,
    /// Out-of-order data past a gap, by offset from `start`.
    pieces: BTreeMap<usize, Vec<u8>>,
    /// The message's length, once its headers tell.
    len: Option<usize>,
    /// The message is a response to a body-less request (HEAD, CONNECT).
    after: Method,
    /// Its end is the FIN.
    until_fin: bool,
}

impl Pending {
    fn new(start: u32, buf: Vec<u8>, after: Method) -> Pending {
        let contiguous = buf.len();
        let mut p = Pending {
            start,
            buf,
            contiguous,
            pieces: BTreeMap::new(),
            len: None,
            after,
            until_fin: false,
        };
        p.measure();
        p
    }

    /// Bytes held: the gap-free ones kept and the pieces past a gap.
    fn held(&self) -> usize {
        self.buf.len() + self.pieces.values().map(Vec::len).sum::<usize>()
    }

    /// Whether `len` bytes at `seq` are not all here yet.
    fn lacks(&self, seq: u32, len: usize) -> bool {
        let off = seq.wrapping_sub(self.start) as usize;
        off + len > self.contiguous && !self.pieces.contains_key(&off)
    }

    /// Whether data at `seq` belongs to this message.
    fn covers(&self, seq: u32) -> bool {
        let off = seq.wrapping_sub(self.start) as usize;
        off < (1 << 30) && self.len.is_none_or(|n| off < n)
    }

    /// Adds a segment's data at `seq`; returns the message's length when it
    /// is now complete.
    fn add(&mut self, seq: u32, data: &[u8], fin: bool) -> Option<usize> {
        let off = seq.wrapping_sub(self.start) as usize;
        if off > self.contiguous {
            if self.held() + data.len() <= MAX_KEPT {
                self.pieces.entry(off).or_insert_with(|| data.to_vec());
            }
            return None;
        }
        self.append(off, data);
        while let Some(e) = self.pieces.first_entry() {
            if *e.key() > self.contiguous {
                break;
            }
            let (o, d) = e.remove_entry();
            self.append(o, &d);
        }
        if !self.pieces.is_empty() {
            return None;
        }
        if self.until_fin {
            return fin.then_some(self.contiguous);
        }
        if self.len.is_none() {
            self.measure();
        }
        self.len.filter(|&n| self.contiguous >= n)
    }

    /// Appends what of `data` (at offset `off`) extends the gap-free bytes.
    fn append(&mut self, off: usize, data: &[u8]) {
        let skip = self.contiguous - off.min(self.contiguous);
        let Some(new) = data.get(skip..) else {
            return;
        };
        let room = MAX_KEPT.saturating_sub(self.buf.len());
        if self.buf.len() == self.contiguous {
            self.buf.extend_from_slice(&new[..new.len().min(room)]);
        }
        self.contiguous += new.len();
    }

    /// Reads the message's length from what is kept, when it tells.
    fn measure(&mut self) {
        if self.buf.len() < self.contiguous {
            return;
        }
        match extent(&self.buf, self.after, false) {
            // A chunked body is complete once found complete; a length
            // from the headers holds before the body arrives.
            Extent::Complete(n) => self.len = Some(n),
            Extent::UntilFin => self.until_fin = true,
            _ => {}
        }
    }
}

/// What Wireshark remembers of a conversation's last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Method {
    #[default]
    Other,
    Head,
    /// CONNECT and SSTP_DUPLEX_POST, whose 2xx responses have no body.
    Tunnel,
}

/// Follows both sides of TCP conversations for messages that span
/// segments.
#[derive(Default)]
pub struct HttpReassembly {
    pending: HashMap<(u32, bool), Pending, Hasher>,
    /// Bytes the waiting messages hold.
    kept: usize,
    /// Conversations that carried a request, and its method.
    requests: HashMap<u32, Method, Hasher>,
    done: Vec<u8>,
    /// Whether a bound made it forget something.
    saturated: bool,
}

/// Whether the response starting `head` can carry a body (RFC 9110: not
/// after HEAD, not a 2xx to CONNECT, not 1xx, 204 or 304).
fn may_have_body(head: &[u8], after: Method) -> bool {
    let Some(r) = http::parse_response(head) else {
        return true;
    };
    let code = r.code.unwrap_or(0);
    !(after == Method::Head
        || (code / 100 == 2 && after == Method::Tunnel)
        || code / 100 == 1
        || code == 204
        || code == 304)
}

/// Where the message at the start of `buf` ends; at the end of the stream
/// (`fin`) Wireshark waits for no body.
fn extent(buf: &[u8], after: Method, fin: bool) -> Extent {
    http::message_extent(buf, !fin && may_have_body(buf, after))
}

fn starts_message(b: &[u8]) -> bool {
    http::looks_like_request(b) || http::looks_like_response(b)
}

fn method_of(request: &[u8]) -> Method {
    if request.starts_with(b"HEAD ") {
        Method::Head
    } else if request.starts_with(b"CONNECT ") || request.starts_with(b"SSTP_DUPLEX_POST ") {
        Method::Tunnel
    } else {
        Method::Other
    }
}

impl HttpReassembly {
    /// Whether the frame's TCP conversation has carried HTTP (a request, or
    /// a message waiting for its end).
    pub fn follows(&self, flows: &Flows) -> bool {
        flows.main().is_some_and(|f| {
            f.proto == Proto::Tcp
                && (self.requests.contains_key(&f.stream)
                    || (!self.pending.is_empty()
                        && (self.pending.contains_key(&(f.stream, true))
                            || self.pending.contains_key(&(f.stream, false)))))
        })
    }

    /// Feeds one frame; returns what it carries of a message.
    pub fn feed<'s>(
        &'s mut self,
        pkt: &Packet<'_>,
        flows: &Flows,
        analysis: &TcpAnalysis,
    ) -> HttpView<'s> {
        let Some(flow) = flows.main().filter(|f| f.proto == Proto::Tcp) else {
            return HttpView::Untracked;
        };
        let Some(l) = pkt.layers().get(flow.layer as usize) else {
            return HttpView::Untracked;
        };
        let Some(seg) = TcpSegment::new_checked(pkt.bytes(l)) else {
            return HttpView::Untracked;
        };
        // Where another protocol owns a port, HTTP is never tried.
        if http::port_owned_by_other_protocol(seg.src_port())
            || http::port_owned_by_other_protocol(seg.dst_port())
        {
            return HttpView::Untracked;
        }
        let payload = seg.payload();
        let fin = seg.has(flags::FIN);
        if payload.is_empty() && !fin {
            return HttpView::Untracked;
        }
        let key = (flow.stream, flow.from_initiator);
        // A fast retransmission is dissected like new data. Other data
        // behind the highest seen joins a waiting message when it fills a
        // gap there and Wireshark calls it out of order (as the corpus
        // shows); retransmissions, spurious ones too, are not dissected
        // again.
        let behind = analysis.withholds_payload(flow.retransmission);
        let fills = behind
            && analysis.has(aflags::OUT_OF_ORDER)
            && self
                .pending
                .get(&key)
                .is_some_and(|p| p.covers(seg.seq()) && p.lacks(seg.seq(), payload.len()));
        if behind && !fills {
            return if payload.is_empty() {
                HttpView::Untracked
            } else {
                HttpView::None
            };
        }
        // Bytes the capture cut off cannot be waited for.
        let cut = (l.declared_len() as usize) > pkt.bytes(l).len();
        let seq = seg.seq();
        if let Some(p) = self.pending.get_mut(&key)
            && p.covers(seq)
        {
            if payload.is_empty() && !(fin && p.until_fin) {
                return HttpView::Untracked;
            }
            let before = p.held();
            let complete = p.add(seq, payload, fin);
            self.kept = (self.kept + p.held()).saturating_sub(before);
            let Some(n) = complete else {
                if self.kept > MAX_KEPT_TOTAL {
                    self.pending.clear();
                    self.kept = 0;
                    self.saturated = true;
                }
                return HttpView::None;
            };
            let p = self.pending.remove(&key).expect("present");
            self.kept = self.kept.saturating_sub(p.held());
            let next = p.start.wrapping_add(p.contiguous as u32);
            self.done = p.buf;
            let rest = self.done.split_off(n.min(self.done.len()));
            if !rest.is_empty() && starts_message(&rest) && !fin {
                let at = next.wrapping_sub(rest.len() as u32);
                self.start(key, rest, at, flow.stream);
            }
            return HttpView::Message(&self.done);
        }
        if payload.is_empty() {
            return HttpView::Untracked;
        }
        if !starts_message(payload) {
            return if self.requests.contains_key(&flow.stream) {
                HttpView::Continuation
            } else {
                HttpView::Untracked
            };
        }
        if http::looks_like_request(payload) {
            self.note_method(flow.stream, method_of(payload));
        }
        let after = self.requests.get(&flow.stream).copied().unwrap_or_default();
        match extent(payload, after, fin) {
            _ if cut || fin => HttpView::Untracked,
            Extent::Complete(n) if n <= payload.len() => {
                // A message that begins after this one and needs more.
                let rest = &payload[n..];
                if !rest.is_empty() && starts_message(rest) {
                    self.start(key, rest.to_vec(), seq.wrapping_add(n as u32), flow.stream);
                }
                HttpView::Untracked
            }
            _ => {
                self.start(key, payload.to_vec(), seq, flow.stream);
                HttpView::None
            }
        }
    }

    /// Whether one of its bounds made it forget a message or a
    /// conversation's request.
    pub fn saturated(&self) -> bool {
        self.saturated
    }

    /// Waits for the rest of the message that begins `buf`, the data at
    /// `seq` (unless it is already whole).
    fn start(&mut self, key: (u32, bool), buf: Vec<u8>, seq: u32, stream: u32) {
        if http::looks_like_request(&buf) {
            self.note_method(stream, method_of(&buf));
        }
        let after = self.requests.get(&stream).copied().unwrap_or_default();
        if matches!(extent(&buf, after, false), Extent::Complete(n) if n <= buf.len()) {
            return;
        }
        if self.pending.len() >= MAX_STREAMS {
            self.pending.clear();
            self.kept = 0;
            self.saturated = true;
        }
        self.kept += buf.len();
        if let Some(old) = self.pending.insert(key, Pending::new(seq, buf, after)) {
            self.kept = self.kept.saturating_sub(old.held());
        }
    }

    /// Remembers that the conversation carried a request, and its method.
    fn note_method(&mut self, stream: u32, m: Method) {
        if self.requests.len() >= MAX_CONVERSATIONS && !self.requests.contains_key(&stream) {
            self.requests.clear();
            self.saturated = true;
        }
        self.requests.insert(stream, m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_without_a_body() {
        let not_modified = b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n";
        assert!(!may_have_body(not_modified, Method::Other));
        let ok = b"HTTP/1.1 200 OK\r\n\r\n";
        assert!(may_have_body(ok, Method::Other));
        assert!(!may_have_body(ok, Method::Head));
        assert!(!may_have_body(ok, Method::Tunnel));
        assert_eq!(extent(ok, Method::Other, false), Extent::UntilFin);
        assert_eq!(extent(ok, Method::Other, true), Extent::Complete(ok.len()));
        assert_eq!(method_of(b"HEAD / HTTP/1.1\r\n"), Method::Head);
    }

    #[test]
    fn a_message_completes_when_its_gap_is_filled() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n".to_vec();
        let n = head.len();
        let mut p = Pending::new(1000, head, Method::Other);
        assert_eq!(p.len, Some(n + 6));
        let at = |off: usize| 1000u32.wrapping_add(off as u32);
        // The last 3 bytes arrive first, past a gap: held, not complete.
        assert!(p.covers(at(n + 3)) && p.lacks(at(n + 3), 3));
        assert_eq!(p.add(at(n + 3), b"def", false), None);
        assert!(!p.lacks(at(n + 3), 3));
        // The gap filled: complete, the body in order.
        assert_eq!(p.add(at(n), b"abc", false), Some(n + 6));
        assert_eq!(&p.buf[n..], b"abcdef");
        // Data past the message's end is not its.
        assert!(!p.covers(at(n + 6)));
    }

    #[test]
    fn a_response_without_length_ends_at_the_fin() {
        let mut p = Pending::new(7, b"HTTP/1.0 200 OK\r\n\r\nab".to_vec(), Method::Other);
        assert!(p.until_fin && p.len.is_none());
        let end = 7 + p.contiguous as u32;
        assert_eq!(p.add(end, b"cd", false), None);
        assert_eq!(p.add(end + 2, b"", true), Some(p.contiguous));
        assert!(p.buf.ends_with(b"abcd"));
    }
}
