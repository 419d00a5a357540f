//! TCP sequence analysis, as Wireshark does it (`tcp.analysis.*`, the
//! "[TCP Retransmission]" labels of the packet list, the TCP items of
//! Expert Information).
//!
//! [`TcpAnalyzer::see`] takes every frame in capture order with its
//! conversation info and judges its (innermost, unquoted) TCP segment
//! against what each direction of the stream sent and acknowledged before:
//! the highest sequence number sent (`nextseq`), the highest contiguous one
//! (`maxseqtobeacked`), the last acknowledgment, window and time, and the
//! duplicate-ACK count. The rules and their order are Wireshark 4.0's
//! `tcp_analyze_sequence_number`: zero-window probe, zero window, previous
//! segment lost, keep-alive, window update, window full, keep-alive ACK,
//! zero-window-probe ACK, duplicate ACK, ACKed unseen segment, then for a
//! segment that does not advance the sequence: fast retransmission (two
//! duplicate ACKs within 20 ms), out-of-order (within the handshake's round
//! trip, 3 ms when unknown), spurious retransmission (already
//! acknowledged), retransmission.
//!
//! State is per stream and bounded: past [`TcpAnalyzer::MAX_STREAMS`] the
//! idlest half is forgotten (a returning stream then starts afresh, which
//! may hide a retransmission).

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use wirehunt_dissect::tcp::{TcpOption, flags as th};
use wirehunt_dissect::{Packet, Proto, TcpSegment};

use crate::Flows;

/// Analysis flags (`tcp.analysis.*`).
pub mod flags {
    pub const RETRANSMISSION: u32 = 1 << 0;
    pub const LOST_PACKET: u32 = 1 << 1;
    pub const ACK_LOST_PACKET: u32 = 1 << 2;
    pub const KEEP_ALIVE: u32 = 1 << 3;
    pub const DUPLICATE_ACK: u32 = 1 << 4;
    pub const ZERO_WINDOW: u32 = 1 << 5;
    pub const ZERO_WINDOW_PROBE: u32 = 1 << 6;
    pub const ZERO_WINDOW_PROBE_ACK: u32 = 1 << 7;
    pub const KEEP_ALIVE_ACK: u32 = 1 << 8;
    pub const OUT_OF_ORDER: u32 = 1 << 9;
    pub const FAST_RETRANSMISSION: u32 = 1 << 10;
    pub const WINDOW_UPDATE: u32 = 1 << 11;
    pub const WINDOW_FULL: u32 = 1 << 12;
    pub const REUSED_PORTS: u32 = 1 << 13;
    pub const SPURIOUS_RETRANSMISSION: u32 = 1 << 14;
    /// The flags Wireshark marks as worth a look (`tcp.analysis.flags`).
    pub const ANY: u32 = (1 << 15) - 1;
    /// A FIN from the side that closes first ("initiates the connection
    /// closing"); not an analysis flag of Wireshark's, its expert item.
    pub const FIN_ACTIVE: u32 = 1 << 16;
    /// A FIN answering the other side's ("undergoes the connection closing").
    pub const FIN_PASSIVE: u32 = 1 << 17;
}

/// What the analysis says about one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpAnalysis {
    /// [`flags`] bits.
    pub flags: u32,
    /// For a duplicate ACK: its number (`tcp.analysis.duplicate_ack_num`)
    /// and the frame of the ACK it repeats (`…duplicate_ack_frame`).
    pub dup_ack_num: u32,
    pub dup_ack_frame: u64,
}

impl TcpAnalysis {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Whether Wireshark keeps the segment's data from the application
    /// dissectors: a retransmission, spurious or not, but not a fast one.
    /// `behind` says the direction already sent that data (the conversation
    /// table's view, all there is when the analysis did not run).
    pub fn withholds_payload(&self, behind: bool) -> bool {
        (behind || self.has(flags::SPURIOUS_RETRANSMISSION))
            && !self.has(flags::FAST_RETRANSMISSION)
    }

    /// The labels tshark puts in front of the Info text, in its order
    /// (each label is prepended as found, so the last found comes first).
    pub fn write_labels(&self, out: &mut Vec<u8>) {
        use flags::*;
        // Wireshark adds them in this order; each goes in front.
        let added: [(u32, &str); 15] = [
            (REUSED_PORTS, "[TCP Port numbers reused] "),
            (RETRANSMISSION, "[TCP Retransmission] "),
            (FAST_RETRANSMISSION, "[TCP Fast Retransmission] "),
            (SPURIOUS_RETRANSMISSION, "[TCP Spurious Retransmission] "),
            (OUT_OF_ORDER, "[TCP Out-Of-Order] "),
            (LOST_PACKET, "[TCP Previous segment not captured] "),
            (ACK_LOST_PACKET, "[TCP ACKed unseen segment] "),
            (WINDOW_UPDATE, "[TCP Window Update] "),
            (WINDOW_FULL, "[TCP Window Full] "),
            (KEEP_ALIVE, "[TCP Keep-Alive] "),
            (KEEP_ALIVE_ACK, "[TCP Keep-Alive ACK] "),
            (DUPLICATE_ACK, ""),
            (ZERO_WINDOW_PROBE, "[TCP ZeroWindowProbe] "),
            (ZERO_WINDOW, "[TCP ZeroWindow] "),
            (ZERO_WINDOW_PROBE_ACK, "[TCP ZeroWindowProbeAck] "),
        ];
        for (bit, label) in added.iter().rev() {
            if self.flags & bit == 0 {
                continue;
            }
            if *bit == DUPLICATE_ACK {
                out.extend_from_slice(
                    format!("[TCP Dup ACK {}#{}] ", self.dup_ack_frame, self.dup_ack_num)
                        .as_bytes(),
                );
            } else {
                out.extend_from_slice(label.as_bytes());
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Dir {
    nextseq: u32,
    maxseqtobeacked: u32,
    lastack: u32,
    /// Raw (unscaled) window of the last segment.
    window: u32,
    nextseq_ns: i64,
    lastack_ns: i64,
    dupacknum: u32,
    lastnondupack: u64,
    lastsegmentflags: u32,
    closing_initiator: bool,
}

impl Default for Dir {
    fn default() -> Self {
        Dir {
            nextseq: 0,
            maxseqtobeacked: 0,
            lastack: 0,
            window: u32::MAX,
            nextseq_ns: 0,
            lastack_ns: 0,
            dupacknum: 0,
            lastnondupack: 0,
            lastsegmentflags: 0,
            closing_initiator: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    dir: [Dir; 2],
    /// Time of the latest SYN, and the first round trip (SYN to the first
    /// ACK after it); 0 when unknown.
    syn_ns: Option<i64>,
    first_rtt_ns: i64,
    last_ns: i64,
}

/// `a` after `b` in sequence space (modulo 2^32, as TCP compares).
pub fn gt(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}
/// `a` before `b` in sequence space.
pub fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
/// `a` before or at `b` in sequence space.
pub fn le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// Sequence analysis of every TCP stream.
#[derive(Default)]
pub struct TcpAnalyzer {
    streams: HashMap<u32, Stream, RandomState>,
    /// Whether the bound on streams made it forget some.
    saturated: bool,
}

impl TcpAnalyzer {
    /// Most streams analysed at once.
    pub const MAX_STREAMS: usize = (1 << 20) / 8 * 7;

    /// Judges the frame's TCP segment (none: the default, no flags).
    pub fn see(&mut self, pkt: &Packet<'_>, flows: &Flows, frame: u64, ts_ns: i64) -> TcpAnalysis {
        let Some(flow) = flows.main().filter(|f| f.proto == Proto::Tcp) else {
            return TcpAnalysis::default();
        };
        let Some(l) = pkt.layers().get(flow.layer as usize) else {
            return TcpAnalysis::default();
        };
        let b = pkt.bytes(l);
        let Some(seg) = TcpSegment::new_checked(b) else {
            return TcpAnalysis::default();
        };
        let Some(seglen) = l.declared_len().checked_sub(seg.header_len() as u32) else {
            return TcpAnalysis::default();
        };
        if self.streams.len() >= Self::MAX_STREAMS && !self.streams.contains_key(&flow.stream) {
            self.forget_idlest();
        }
        let st = self.streams.entry(flow.stream).or_default();
        st.last_ns = ts_ns;
        let fl = seg.flags();
        // The handshake's round trip bounds what counts as out of order.
        if fl & (th::SYN | th::ACK) == th::SYN {
            st.syn_ns = Some(ts_ns);
        } else if fl & (th::SYN | th::ACK) == th::ACK
            && st.first_rtt_ns == 0
            && let Some(syn) = st.syn_ns
        {
            st.first_rtt_ns = ts_ns - syn;
        }
        let fwd = if flow.from_initiator { 0 } else { 1 };
        let mut a = TcpAnalysis::default();
        if flow.ports_reused {
            a.flags |= flags::REUSED_PORTS;
        }
        analyze(
            st,
            fwd,
            Segment {
                seq: seg.seq(),
                ack: seg.ack(),
                seglen,
                flags: fl,
                window: seg.window() as u32,
                rev_win_scale: flow.rev_win_scale,
            },
            frame,
            ts_ns,
            &mut a,
        );
        if fl & th::FIN != 0 {
            let rev = 1 - fwd;
            if st.dir[rev].closing_initiator {
                a.flags |= flags::FIN_PASSIVE;
            } else {
                st.dir[fwd].closing_initiator = true;
                a.flags |= flags::FIN_ACTIVE;
            }
        }
        a
    }

    /// Whether the bound on streams made it forget some.
    pub fn saturated(&self) -> bool {
        self.saturated
    }

    fn forget_idlest(&mut self) {
        self.saturated = true;
        let mut times: Vec<i64> = self.streams.values().map(|s| s.last_ns).collect();
        let mid = times.len() / 2;
        let (_, &mut cut, _) = times.select_nth_unstable(mid);
        self.streams.retain(|_, s| s.last_ns > cut);
    }
}

struct Segment {
    seq: u32,
    ack: u32,
    seglen: u32,
    flags: u16,
    window: u32,
    /// Window scale of the other direction: -1 unknown, -2 none, else the shift.
    rev_win_scale: i8,
}

fn analyze(st: &mut Stream, fwd: usize, s: Segment, frame: u64, ts: i64, a: &mut TcpAnalysis) {
    use flags::*;
    let rev = 1 - fwd;
    let Segment {
        seq,
        ack,
        seglen,
        flags: fl,
        window,
        rev_win_scale,
    } = s;
    let sfr = fl & (th::SYN | th::FIN | th::RST) != 0;
    let (f, r) = (st.dir[fwd], st.dir[rev]);
    'fwd: {
        if seglen == 1 && seq == f.nextseq && r.window == 0 {
            a.flags |= ZERO_WINDOW_PROBE;
            break 'fwd;
        }
        if window == 0 && !sfr {
            a.flags |= ZERO_WINDOW;
        }
        if f.nextseq != 0 && gt(seq, f.nextseq) && fl & th::RST == 0 {
            a.flags |= LOST_PACKET;
        }
        if seglen <= 1 && seq == f.nextseq.wrapping_sub(1) && !sfr {
            a.flags |= KEEP_ALIVE;
        }
        let same = seglen == 0 && seq == f.nextseq && ack == f.lastack && !sfr;
        if same && window != 0 && window != f.window {
            a.flags |= WINDOW_UPDATE;
        }
        if seglen > 0 && rev_win_scale != -1 && !sfr {
            let shift = if rev_win_scale == -2 {
                0
            } else {
                rev_win_scale as u32
            };
            let edge = r
                .lastack
                .wrapping_add(r.window.checked_shl(shift).unwrap_or(0));
            if seq.wrapping_add(seglen) == edge {
                a.flags |= WINDOW_FULL;
            }
        }
        if same && window != 0 && window == f.window && r.lastsegmentflags & KEEP_ALIVE != 0 {
            a.flags |= KEEP_ALIVE_ACK;
            break 'fwd;
        }
        if same && window == 0 && window == f.window && r.lastsegmentflags & ZERO_WINDOW_PROBE != 0
        {
            a.flags |= ZERO_WINDOW_PROBE_ACK;
            break 'fwd;
        }
        if same && window != 0 && window == f.window {
            let d = &mut st.dir[fwd];
            d.dupacknum += 1;
            a.flags |= DUPLICATE_ACK;
            a.dup_ack_num = d.dupacknum;
            a.dup_ack_frame = d.lastnondupack;
        }
    }
    if ack != st.dir[fwd].lastack {
        st.dir[fwd].lastnondupack = frame;
        st.dir[fwd].dupacknum = 0;
    }
    // Only an acknowledgment that moved counts (tshark 4.0 does not repeat
    // the label on a segment that acknowledges the same unseen data again).
    if st.dir[rev].maxseqtobeacked != 0
        && gt(ack, st.dir[rev].maxseqtobeacked)
        && fl & th::ACK != 0
        && ack != f.lastack
    {
        a.flags |= ACK_LOST_PACKET;
        st.dir[rev].maxseqtobeacked = st.dir[rev].nextseq;
    }
    if seglen > 0 || fl & (th::SYN | th::FIN) != 0 {
        'retrans: {
            let f = st.dir[fwd];
            let r = st.dir[rev];
            let mut not_advanced = f.nextseq != 0 && lt(seq, f.nextseq);
            if a.flags & KEEP_ALIVE != 0 {
                break 'retrans;
            }
            if seglen > 1 && f.nextseq.wrapping_sub(1) == seq {
                not_advanced = false;
            }
            if seglen > 0 && r.lastack != 0 && le(seq.wrapping_add(seglen), r.lastack) {
                a.flags |= SPURIOUS_RETRANSMISSION;
                break 'retrans;
            }
            if not_advanced
                && r.dupacknum >= 2
                && r.lastack == seq
                && ts - r.lastack_ns < 20_000_000
            {
                a.flags |= FAST_RETRANSMISSION;
                break 'retrans;
            }
            let thres = if st.first_rtt_ns == 0 {
                3_000_000
            } else {
                st.first_rtt_ns
            };
            let end = seq
                .wrapping_add(seglen)
                .wrapping_add(u32::from(fl & (th::SYN | th::FIN) != 0));
            if not_advanced && ts - f.nextseq_ns < thres && f.nextseq != end {
                a.flags |= OUT_OF_ORDER;
                break 'retrans;
            }
            if not_advanced {
                a.flags |= RETRANSMISSION;
            }
        }
    }
    let mut nextseq = seq.wrapping_add(seglen);
    if fl & (th::SYN | th::FIN) != 0 {
        nextseq = nextseq.wrapping_add(1);
    }
    let probe = a.flags & ZERO_WINDOW_PROBE != 0;
    let d = &mut st.dir[fwd];
    if (gt(nextseq, d.nextseq) || d.nextseq == 0) && !probe {
        d.nextseq = nextseq;
        d.nextseq_ns = ts;
    }
    if (seq == d.maxseqtobeacked || d.maxseqtobeacked == 0) && !probe {
        d.maxseqtobeacked = d.nextseq;
    }
    d.window = window;
    d.lastack = ack;
    d.lastack_ns = ts;
    d.lastsegmentflags = a.flags & ANY;
}

/// The options of a segment that the expert view reports on: whether a
/// SYN carries MSS, and whether a SACK block is a D-SACK (it reports data
/// below the acknowledgment number, RFC 2883).
pub fn option_notes(seg: &TcpSegment<'_>) -> (bool, bool) {
    let mut mss = false;
    let mut dsack = false;
    let ack = seg.ack();
    for o in seg.options() {
        match o {
            TcpOption::Mss(_) => mss = true,
            TcpOption::Sack(edges) if edges.len() >= 8 => {
                let first_left = u32::from_be_bytes([edges[0], edges[1], edges[2], edges[3]]);
                if lt(first_left, ack) {
                    dsack = true;
                }
            }
            _ => {}
        }
    }
    (mss, dsack)
}
