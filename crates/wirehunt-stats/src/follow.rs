//! Follow TCP/UDP stream (`tshark -q -z follow,tcp|udp,FORMAT,N`): the
//! payload of one conversation, each direction in order.
//!
//! TCP is put back together as Wireshark's follow does: node 0 is the
//! sender of the stream's first segment; each direction delivers bytes at
//! its next expected sequence number; a segment that starts earlier gives
//! only its new bytes (retransmissions and overlaps are dropped); one that
//! starts later waits until the gap is filled, or until the other side
//! acknowledges past it, which marks the gap with "[N bytes missing in
//! capture file]". UDP gives every datagram as it came.

use std::net::IpAddr;

use serde::Serialize;
use wirehunt_dissect::tcp::flags as th;
use wirehunt_dissect::{Proto, TcpSegment, UdpDatagram};
use wirehunt_fields::FrameCtx;
use wirehunt_flow::analysis::{gt, lt};

/// One piece of payload, as delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// 0: the stream's first sender; 1: the other side.
    pub node: u8,
    pub frame: u64,
    #[serde(serialize_with = "hex")]
    pub data: Vec<u8>,
}

fn hex<S: serde::Serializer>(d: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&HexStr(d))
}

/// Bytes as lowercase hex.
pub struct HexStr<'a>(pub &'a [u8]);

impl std::fmt::Display for HexStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Most segments waiting for a gap to fill, per direction (tiny segments
/// would otherwise cost more in bookkeeping than their bytes).
const MAX_PENDING: usize = 1 << 16;

struct Pending {
    seq: u32,
    frame: u64,
    data: Vec<u8>,
}

/// Follows one stream.
pub struct Follow {
    proto: Proto,
    stream: u32,
    /// (address, port) of node 0 and node 1.
    nodes: Option<[(IpAddr, u16); 2]>,
    /// The stream appeared in the capture.
    seen: bool,
    next_seq: [u32; 2],
    written: [u64; 2],
    pending: [Vec<Pending>; 2],
    pending_bytes: usize,
    chunks: Vec<Chunk>,
    /// Bytes kept in chunks, and bytes dropped past the cap.
    kept: usize,
    dropped: u64,
    max_bytes: usize,
}

impl Follow {
    /// Largest payload kept by default (what is beyond is counted).
    pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

    pub fn new(proto: Proto, stream: u32, max_bytes: usize) -> Follow {
        Follow {
            proto,
            stream,
            nodes: None,
            seen: false,
            next_seq: [0; 2],
            written: [0; 2],
            pending: [Vec::new(), Vec::new()],
            pending_bytes: 0,
            chunks: Vec::new(),
            kept: 0,
            dropped: 0,
            max_bytes,
        }
    }

    /// The two ends once the stream has carried something (a UDP stream
    /// of empty datagrams has none, as in tshark).
    pub fn nodes(&self) -> Option<[(IpAddr, u16); 2]> {
        self.nodes
    }

    /// True once the stream appeared in the capture.
    pub fn seen(&self) -> bool {
        self.seen
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// Payload bytes per node.
    pub fn bytes(&self) -> [u64; 2] {
        let mut b = [0u64; 2];
        for c in &self.chunks {
            b[c.node as usize] += c.data.len() as u64;
        }
        b
    }

    /// Payload bytes not kept because the stream passed the size cap.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn see(&mut self, c: &FrameCtx<'_, '_>) {
        let Some(flow) = c
            .flows
            .all()
            .iter()
            .find(|f| f.proto == self.proto && f.stream == self.stream && !f.quoted)
        else {
            return;
        };
        let layer = flow.layer as usize;
        let Some(l) = c.pkt.layers().get(layer) else {
            return;
        };
        let b = c.pkt.bytes(l);
        // Wireshark's follow names the ends by the packet's innermost
        // addresses and ports (a tunnel's inner ones), as its taps run once
        // the whole packet is dissected.
        let Some((src, dst)) = c.pkt.ip_addrs() else {
            return;
        };
        let Some(t) = c.pkt.transports().filter(|t| !t.quoted).last() else {
            return;
        };
        let here = (src, t.src_port);
        let there = (dst, t.dst_port);
        let frame = c.frame.number;
        if self.proto == Proto::Udp {
            self.seen = true;
            let Some(u) = UdpDatagram::new_checked(b) else {
                return;
            };
            let payload = u.payload();
            if !payload.is_empty() {
                let nodes = *self.nodes.get_or_insert([here, there]);
                self.deliver(usize::from(here != nodes[0]), frame, payload.to_vec());
            }
            return;
        }
        let Some(seg) = TcpSegment::new_checked(b) else {
            return;
        };
        // A header cut short by the snapshot length stops Wireshark's
        // dissection before its taps.
        if b.len() < seg.header_len() {
            return;
        }
        self.seen = true;
        let nodes = *self.nodes.get_or_insert([here, there]);
        let node = usize::from(here != nodes[0]);
        let Some(length) = l.declared_len().checked_sub(seg.header_len() as u32) else {
            return;
        };
        let captured = b.get(seg.header_len()..).unwrap_or(&[]);
        let mut data = &captured[..captured.len().min(length as usize)];
        let mut seq = seg.seq();
        if seg.flags() & th::SYN != 0 {
            seq = seq.wrapping_add(1);
        }
        // This segment may acknowledge data of the other side that the
        // capture missed.
        let other = 1 - node;
        if !self.pending[other].is_empty() && seg.flags() & th::ACK != 0 {
            for _ in 0..1024 {
                if !self.drain(other, Some(seg.ack()), frame) {
                    break;
                }
            }
        }
        if self.written[node] == 0 && self.next_seq[node] == 0 {
            self.next_seq[node] = seq;
        }
        let mut length = length;
        if lt(seq, self.next_seq[node]) {
            let end = seq.wrapping_add(length);
            if gt(end, self.next_seq[node]) {
                let skip = self.next_seq[node].wrapping_sub(seq) as usize;
                data = data.get(skip..).unwrap_or(&[]);
                seq = self.next_seq[node];
                length = end.wrapping_sub(seq);
            }
        }
        if data.is_empty() || lt(seq, self.next_seq[node]) {
            return;
        }
        if seq == self.next_seq[node] {
            self.next_seq[node] = self.next_seq[node].wrapping_add(length);
            self.written[node] += data.len() as u64;
            self.deliver(node, frame, data.to_vec());
            for _ in 0..1024 {
                if !self.drain(node, None, frame) {
                    break;
                }
            }
        } else if self.pending_bytes + data.len() <= self.max_bytes
            && self.pending[node].len() < MAX_PENDING
        {
            self.pending_bytes += data.len();
            self.pending[node].push(Pending {
                seq,
                frame,
                data: data.to_vec(),
            });
        } else {
            self.dropped += data.len() as u64;
        }
    }

    fn deliver(&mut self, node: usize, frame: u64, data: Vec<u8>) {
        if self.kept + data.len() > self.max_bytes {
            self.dropped += data.len() as u64;
            return;
        }
        self.kept += data.len();
        self.chunks.push(Chunk {
            node: node as u8,
            frame,
            data,
        });
    }

    /// Moves waiting segments of `node` that now fit; with `ack`, marks a
    /// gap the other side acknowledged. True when something moved.
    fn drain(&mut self, node: usize, ack: Option<u32>, frame: u64) -> bool {
        let list = &mut self.pending[node];
        if list.is_empty() {
            return false;
        }
        let expected = self.next_seq[node];
        let mut lowest = list[0].seq;
        for i in 0..list.len() {
            let p = &list[i];
            if gt(lowest, p.seq) {
                lowest = p.seq;
            }
            if lt(p.seq, expected) {
                let p = list.remove(i);
                self.pending_bytes -= p.data.len();
                let end = p.seq.wrapping_add(p.data.len() as u32);
                if gt(end, expected) {
                    let skip = expected.wrapping_sub(p.seq) as usize;
                    if p.data.len() > skip {
                        self.deliver(node, p.frame, p.data[skip..].to_vec());
                    }
                    self.next_seq[node] = end;
                }
                return true;
            }
            if p.seq == expected {
                let p = list.remove(i);
                self.pending_bytes -= p.data.len();
                self.next_seq[node] = expected.wrapping_add(p.data.len() as u32);
                if !p.data.is_empty() {
                    self.deliver(node, p.frame, p.data);
                }
                return true;
            }
        }
        if let Some(ack) = ack
            && gt(ack, lowest)
        {
            let mut note = format!(
                "[{} bytes missing in capture file]",
                lowest.wrapping_sub(expected) as i32
            )
            .into_bytes();
            note.push(0);
            self.next_seq[node] = lowest;
            self.deliver(node, frame, note);
            return true;
        }
        false
    }
}
