//! Expert information (`tshark -q -z expert`): what the dissectors flag,
//! grouped by severity, group, protocol and summary, with counts.
//!
//! The TCP items are Wireshark 4.0's: connection establish request and
//! acknowledge (with the server port), finish, reset, the closing side,
//! the sequence analysis of [`wirehunt_flow::analysis`] (retransmissions,
//! out-of-order, lost and ACKed-unseen segments, duplicate ACKs,
//! keep-alives, window and zero-window events, reused ports), an ACK
//! number without the ACK flag, a SYN without MSS, and D-SACK blocks.
//! Frames that wirehunt's dissectors found malformed add an error under
//! "Malformed" (a header the capture cut short adds nothing, as in
//! Wireshark), and so do segments on which
//! Wireshark's TCP reassembly fails ([`wirehunt_fields::tls_reassembly`]).

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use wirehunt_dissect::tcp::flags as th;
use wirehunt_dissect::{AnomalyKind, Proto, TcpSegment};
use wirehunt_fields::FrameCtx;
use wirehunt_flow::analysis::{flags as af, option_notes};

/// Expert severities, most severe first (tshark's sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
    Chat,
}

impl Severity {
    /// tshark's section heading.
    pub fn heading(self) -> &'static str {
        match self {
            Severity::Error => "Errors",
            Severity::Warning => "Warns",
            Severity::Note => "Notes",
            Severity::Chat => "Chats",
        }
    }
}

/// One line of the expert view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpertItem {
    pub severity: Severity,
    pub group: String,
    pub protocol: String,
    pub summary: String,
    pub count: u64,
    /// The first frame that raised it.
    pub first_frame: u64,
}

/// Expert items, counted frame by frame.
#[derive(Default)]
pub struct Expert {
    index: HashMap<(Severity, &'static str, &'static str, String), usize, RandomState>,
    items: Vec<ExpertItem>,
    scratch: String,
}

/// Most distinct items kept (summaries with numbers in them are many).
const MAX_ITEMS: usize = 1 << 16;

impl Expert {
    pub fn see(&mut self, c: &FrameCtx<'_, '_>) {
        let frame = c.frame.number;
        // A header the capture cut short is not an expert item in
        // Wireshark (only a note in the tree); a broken one is.
        for a in c.pkt.anomalies() {
            if a.kind != AnomalyKind::Truncated {
                self.add(
                    Severity::Error,
                    "Malformed",
                    a.proto.short_name(),
                    format_args!("Malformed Packet (Exception occurred)"),
                    frame,
                );
            }
        }
        for l in c
            .pkt
            .layers()
            .iter()
            .filter(|l| l.proto == Proto::Ipv4Bogus)
        {
            match c.pkt.data.get(l.start as usize) {
                Some(&b) if b >> 4 == 4 => self.add(
                    Severity::Error,
                    "Protocol",
                    "IPv4",
                    format_args!(
                        "Bogus IP header length ({}, must be at least 20)",
                        (b & 0x0f) * 4
                    ),
                    frame,
                ),
                Some(_) => self.add(
                    Severity::Error,
                    "Protocol",
                    "IPv4",
                    format_args!("Bogus IPv4 version"),
                    frame,
                ),
                None => {}
            }
        }
        for d in c.arp.duplicates() {
            self.add(
                Severity::Warning,
                "Sequence",
                "ARP/RARP",
                format_args!("Duplicate IP address configured ({})", d.ip),
                frame,
            );
        }
        if c.reassembly_error {
            self.add(
                Severity::Error,
                "Malformed",
                "TCP",
                format_args!("{}", wirehunt_fields::tls_reassembly::OVERLAP_ERROR),
                frame,
            );
        }
        let Some(flow) = c.flows.main().filter(|f| f.proto == Proto::Tcp) else {
            return;
        };
        let Some(l) = c.pkt.layers().get(flow.layer as usize) else {
            return;
        };
        let Some(seg) = TcpSegment::new_checked(c.pkt.bytes(l)) else {
            return;
        };
        let fl = seg.flags();
        let note = Severity::Note;
        if fl & th::ACK == 0 && seg.ack() != 0 {
            self.add(
                note,
                "Protocol",
                "TCP",
                format_args!(
                    "The acknowledgment number field is nonzero while the ACK flag is not set"
                ),
                frame,
            );
        }
        if fl & (th::SYN | th::ACK) == th::SYN {
            self.add(
                Severity::Chat,
                "Sequence",
                "TCP",
                format_args!(
                    "Connection establish request (SYN): server port {}",
                    seg.dst_port()
                ),
                frame,
            );
        } else if fl & (th::SYN | th::ACK) == th::SYN | th::ACK {
            self.add(
                Severity::Chat,
                "Sequence",
                "TCP",
                format_args!(
                    "Connection establish acknowledge (SYN+ACK): server port {}",
                    seg.src_port()
                ),
                frame,
            );
        }
        let t = c.tcp;
        if fl & th::FIN != 0 {
            self.add(
                Severity::Chat,
                "Sequence",
                "TCP",
                format_args!("Connection finish (FIN)"),
                frame,
            );
            if t.has(af::FIN_ACTIVE) {
                self.add(
                    note,
                    "Sequence",
                    "TCP",
                    format_args!("This frame initiates the connection closing"),
                    frame,
                );
            } else if t.has(af::FIN_PASSIVE) {
                self.add(
                    note,
                    "Sequence",
                    "TCP",
                    format_args!("This frame undergoes the connection closing"),
                    frame,
                );
            }
        }
        if fl & th::RST != 0 {
            self.add(
                Severity::Warning,
                "Sequence",
                "TCP",
                format_args!("Connection reset (RST)"),
                frame,
            );
        }
        let (mss, dsack) = option_notes(&seg);
        if dsack {
            self.add(
                Severity::Warning,
                "Sequence",
                "TCP",
                format_args!("D-SACK Sequence"),
                frame,
            );
        }
        if seg.urgent() != 0 && fl & th::URG == 0 {
            self.add(
                note,
                "Protocol",
                "TCP",
                format_args!("The urgent pointer field is nonzero while the URG flag is not set"),
                frame,
            );
        }
        let mut problems = Vec::new();
        let stopped = option_problems(c.pkt.bytes(l), seg.header_len(), |m| problems.push(m));
        for m in problems {
            self.add(note, "Sequence", "TCP", format_args!("{m}"), frame);
        }
        if fl & th::SYN != 0 && !mss && !stopped && seg.header_len() > TcpSegment::MIN_LEN {
            self.add(
                note,
                "Protocol",
                "TCP",
                format_args!("The SYN packet does not contain a MSS option"),
                frame,
            );
        }
        // The analysis, in the order Wireshark prints it.
        let items: &[(u32, Severity, &str)] = &[
            (
                af::REUSED_PORTS,
                note,
                "A new tcp session is started with the same ports as an earlier session in this trace",
            ),
            (
                af::RETRANSMISSION,
                note,
                "This frame is a (suspected) retransmission",
            ),
            (
                af::FAST_RETRANSMISSION,
                note,
                "This frame is a (suspected) fast retransmission",
            ),
            (
                af::FAST_RETRANSMISSION,
                note,
                "This frame is a (suspected) retransmission",
            ),
            (
                af::SPURIOUS_RETRANSMISSION,
                note,
                "This frame is a (suspected) spurious retransmission",
            ),
            (
                af::SPURIOUS_RETRANSMISSION,
                note,
                "This frame is a (suspected) retransmission",
            ),
            (
                af::OUT_OF_ORDER,
                Severity::Warning,
                "This frame is a (suspected) out-of-order segment",
            ),
            (
                af::LOST_PACKET,
                Severity::Warning,
                "Previous segment(s) not captured (common at capture start)",
            ),
            (
                af::ACK_LOST_PACKET,
                Severity::Warning,
                "ACKed segment that wasn't captured (common at capture start)",
            ),
            (af::WINDOW_UPDATE, Severity::Chat, "TCP window update"),
            (
                af::WINDOW_FULL,
                Severity::Warning,
                "TCP window specified by the receiver is now completely full",
            ),
            (af::KEEP_ALIVE, note, "TCP keep-alive segment"),
            (af::KEEP_ALIVE_ACK, note, "ACK to a TCP keep-alive segment"),
            (af::DUPLICATE_ACK, note, ""),
            (af::ZERO_WINDOW_PROBE, note, "TCP Zero Window Probe"),
            (
                af::ZERO_WINDOW,
                Severity::Warning,
                "TCP Zero Window segment",
            ),
            (
                af::ZERO_WINDOW_PROBE_ACK,
                note,
                "ACK to a TCP Zero Window Probe",
            ),
        ];
        for &(bit, sev, text) in items {
            if t.flags & bit == 0 {
                continue;
            }
            if bit == af::DUPLICATE_ACK {
                self.add(
                    sev,
                    "Sequence",
                    "TCP",
                    format_args!("Duplicate ACK (#{})", t.dup_ack_num),
                    frame,
                );
            } else {
                self.add(sev, "Sequence", "TCP", format_args!("{text}"), frame);
            }
        }
    }

    fn add(
        &mut self,
        severity: Severity,
        group: &'static str,
        protocol: &'static str,
        summary: std::fmt::Arguments<'_>,
        frame: u64,
    ) {
        use std::fmt::Write;
        self.scratch.clear();
        let _ = self.scratch.write_fmt(summary);
        let key = (severity, group, protocol, std::mem::take(&mut self.scratch));
        if let Some(&i) = self.index.get(&key) {
            self.items[i].count += 1;
            self.scratch = key.3;
            return;
        }
        if self.items.len() >= MAX_ITEMS {
            self.scratch = key.3;
            return;
        }
        self.items.push(ExpertItem {
            severity,
            group: group.to_string(),
            protocol: protocol.to_string(),
            summary: key.3.clone(),
            count: 1,
            first_frame: frame,
        });
        self.index.insert(key, self.items.len() - 1);
    }

    /// Adds the items another view counted over other frames of the same
    /// capture; items stay in order of first appearance.
    pub fn merge(&mut self, other: Expert) {
        let mut theirs: Vec<_> = other.index.into_iter().collect();
        theirs.sort_by_key(|&(_, i)| i);
        for (key, i) in theirs {
            let it = &other.items[i];
            match self.index.get(&key) {
                Some(&j) => {
                    let mine = &mut self.items[j];
                    mine.count += it.count;
                    mine.first_frame = mine.first_frame.min(it.first_frame);
                }
                None if self.items.len() < MAX_ITEMS => {
                    self.items.push(it.clone());
                    self.index.insert(key, self.items.len() - 1);
                }
                None => {}
            }
        }
        // The items of one frame all come from one view, in their order.
        let mut items: Vec<_> = std::mem::take(&mut self.items)
            .into_iter()
            .enumerate()
            .collect();
        items.sort_by_key(|(_, it)| it.first_frame);
        let mut place = vec![0; items.len()];
        for (to, (from, _)) in items.iter().enumerate() {
            place[*from] = to;
        }
        self.items = items.into_iter().map(|(_, it)| it).collect();
        for v in self.index.values_mut() {
            *v = place[*v];
        }
    }

    /// The items as tshark lists them: by severity, most severe first,
    /// then in order of first appearance.
    pub fn items(&self) -> Vec<ExpertItem> {
        let mut v = self.items.clone();
        v.sort_by_key(|i| i.severity);
        v
    }
}

/// Wireshark's notes on malformed TCP options: a fixed-size option with
/// another length, or one whose length is too short or runs past the end
/// of the options. True when the walk had to stop there (Wireshark's
/// dissection of the segment ends with it).
fn option_problems(b: &[u8], header_len: usize, mut note: impl FnMut(String)) -> bool {
    let end = header_len.min(b.len());
    let mut i = TcpSegment::MIN_LEN;
    while i < end {
        let kind = b[i];
        match kind {
            0 => return false,
            1 => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = b.get(i + 1) else {
            return false;
        };
        let name = || match kind {
            2 => "Maximum segment size".to_string(),
            3 => "Window scale".to_string(),
            4 => "SACK permitted".to_string(),
            5 => "SACK".to_string(),
            8 => "Timestamps".to_string(),
            _ => format!("Unknown (0x{kind:02x})"),
        };
        if len < 2 {
            let unit = if len == 1 { "byte" } else { "bytes" };
            note(format!(
                "{} (with too-short option length = {len} {unit})",
                name()
            ));
            return true;
        }
        if i + len as usize > header_len {
            note(format!(
                "{} (option length = {len} bytes says option goes past end of options)",
                name()
            ));
            return true;
        }
        let fixed = match kind {
            2 => Some(4),
            3 => Some(3),
            4 => Some(2),
            8 => Some(10),
            _ => None,
        };
        if let Some(want) = fixed
            && len != want
        {
            note(format!("option length should be {want}"));
        }
        i += len as usize;
    }
    false
}
