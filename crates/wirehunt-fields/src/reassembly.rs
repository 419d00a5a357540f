//! HTTP requests split over TCP segments, put back together as Wireshark
//! does: the request's fields belong to the segment that completes its
//! headers (and its body, when `Content-Length` announces one), not to the
//! first segment.

use std::collections::HashMap;

use wirehunt_dissect::{Packet, Proto, TcpSegment, http};
use wirehunt_flow::Flows;

/// What a frame carries of an HTTP request.
#[derive(Debug, Clone, Copy, Default)]
pub enum HttpView<'b> {
    /// Not tracked: read the request from the frame alone.
    #[default]
    Untracked,
    /// No complete request ends in this frame.
    None,
    /// The request this frame completes.
    Request(&'b [u8]),
}

/// Largest request kept while waiting for its end.
const MAX_PENDING: usize = 64 * 1024;
/// Most requests waiting at once.
const MAX_STREAMS: usize = 4096;

struct Pending {
    buf: Vec<u8>,
    next_seq: u32,
}

/// Follows the client side of TCP streams for requests that span segments.
#[derive(Default)]
pub struct HttpReassembly {
    pending: HashMap<(u32, bool), Pending>,
    done: Vec<u8>,
}

/// Bytes the request needs in all, once its headers are complete.
fn complete_len(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut body = 0usize;
    for line in buf[..end].split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            body = std::str::from_utf8(&line[15..]).ok()?.trim().parse().ok()?;
        }
    }
    Some(end + body)
}

impl HttpReassembly {
    /// Feeds one frame; returns what it carries of a request.
    pub fn feed<'s>(&'s mut self, pkt: &Packet<'_>, flows: &Flows) -> HttpView<'s> {
        let Some(flow) = flows.main().filter(|f| f.proto == Proto::Tcp) else {
            return HttpView::Untracked;
        };
        let Some(l) = pkt.layers().get(flow.layer as usize) else {
            return HttpView::Untracked;
        };
        let Some(seg) = TcpSegment::new_checked(pkt.bytes(l)) else {
            return HttpView::Untracked;
        };
        let payload = seg.payload();
        if payload.is_empty() {
            return HttpView::Untracked;
        }
        if flow.retransmission {
            return HttpView::None;
        }
        let key = (flow.stream, flow.from_initiator);
        let seq = seg.seq();
        if let Some(p) = self.pending.get_mut(&key) {
            if p.next_seq == seq {
                p.buf.extend_from_slice(payload);
                p.next_seq = seq.wrapping_add(payload.len() as u32);
                match complete_len(&p.buf) {
                    Some(n) if p.buf.len() >= n => {
                        let p = self.pending.remove(&key).expect("present");
                        self.done = p.buf;
                        return HttpView::Request(&self.done);
                    }
                    _ if p.buf.len() > MAX_PENDING => {
                        self.pending.remove(&key);
                        return HttpView::None;
                    }
                    _ => return HttpView::None,
                }
            }
            // Something else came: give up on the pending request.
            self.pending.remove(&key);
        }
        if !http::looks_like_request(payload) {
            return HttpView::Untracked;
        }
        match complete_len(payload) {
            Some(n) if payload.len() >= n => HttpView::Untracked,
            _ => {
                if self.pending.len() >= MAX_STREAMS {
                    self.pending.clear();
                }
                self.pending.insert(
                    key,
                    Pending {
                        buf: payload.to_vec(),
                        next_seq: seq.wrapping_add(payload.len() as u32),
                    },
                );
                HttpView::None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::complete_len;

    #[test]
    fn a_request_is_complete_after_its_headers_and_body() {
        assert_eq!(complete_len(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
        assert_eq!(complete_len(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Some(27));
        let post = b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
        assert_eq!(complete_len(post), Some(post.len() + 3));
        assert_eq!(
            complete_len(b"POST / HTTP/1.1\r\ncontent-length: nope\r\n\r\n"),
            None
        );
    }
}
