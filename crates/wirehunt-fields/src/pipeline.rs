//! From a frame to its [`FrameCtx`]: IP reassembly, dissection, the
//! conversation table, TCP sequence analysis, HTTP and TLS reassembly and
//! ARP duplicate detection, in capture order, computing only what the
//! reader [`Needs`]. The one place every pass over a capture (the views,
//! the filter suite, the fuzz target) builds frames.

use wirehunt_capture::Frame;
use wirehunt_dissect::reassembly::IpReassembly;
use wirehunt_flow::analysis::TcpAnalyzer;
use wirehunt_flow::arp::ArpWatch;
use wirehunt_flow::{ConversationTable, FlowConfig, Flows, UdpTracking};

use crate::reassembly::HttpReassembly;
use crate::tls_reassembly::TlsReassembly;
use crate::{FrameCtx, Needs};

/// Per-capture state; feed it every frame in order.
pub struct Pipeline {
    needs: Needs,
    ip: IpReassembly,
    table: Option<ConversationTable>,
    analyzer: TcpAnalyzer,
    http: HttpReassembly,
    tls: TlsReassembly,
    arp: ArpWatch,
}

impl Pipeline {
    /// A pipeline computing what `needs` asks for, with a conversation
    /// table of at most `max_conversations`.
    pub fn new(needs: Needs, max_conversations: usize) -> Pipeline {
        let tcp = needs.tcp_flows || needs.analysis || needs.http;
        // TCP conversations cost more than the dissection: only readers
        // that need them pay.
        let table = needs.any_flows().then(|| {
            ConversationTable::new(FlowConfig {
                max_conversations: max_conversations.max(1),
                tcp,
                udp: if needs.udp_flows {
                    UdpTracking::All
                } else {
                    UdpTracking::Tunnels
                },
                ..FlowConfig::default()
            })
        });
        Pipeline {
            needs,
            ip: IpReassembly::default(),
            table,
            analyzer: TcpAnalyzer::default(),
            http: HttpReassembly::default(),
            tls: TlsReassembly::default(),
            arp: ArpWatch::default(),
        }
    }

    /// Whether every piece of state behind the frames so far is keyed by
    /// one pair of IP addresses, and nothing was forgotten for lack of
    /// room: then the frames of each pair could have been given to a
    /// pipeline of their own ([`wirehunt_dissect::shard`]) with the same
    /// result. SDP's media conversations (keyed by one endpoint) and every
    /// bound reached (eviction from the conversation table, fragments,
    /// streams or messages dropped) break it.
    pub fn keyed_by_pairs(&self) -> bool {
        self.table
            .as_ref()
            .is_none_or(|t| t.evicted() == 0 && !t.announced_media())
            && self.ip.dropped() == 0
            && !self.analyzer.saturated()
            && !self.http.saturated()
            && !self.tls.saturated()
    }

    /// Builds the frame's context and hands it to `f`. `first_ts_ns` is the
    /// time of the capture's first frame (`frame.time_relative`).
    pub fn run<R>(
        &mut self,
        frame: &Frame<'_>,
        first_ts_ns: i64,
        f: impl FnOnce(&FrameCtx<'_, '_>) -> R,
    ) -> R {
        // The fragment that completes an IP datagram carries all of it.
        let pkt = self
            .ip
            .dissect(frame.data, frame.orig_len as usize, frame.link_type);
        let flows = match self.table.as_mut() {
            Some(t) => {
                t.prefetch(frame.lookahead, frame.link_type);
                t.track(&pkt, frame.ts_ns)
            }
            None => Flows::default(),
        };
        // HTTP reassembly and the application dissectors take out-of-order
        // segments and fast retransmissions in, not other retransmissions:
        // without the analysis of every conversation, that of the
        // conversations carrying HTTP tells them apart.
        let tcp = if self.needs.analysis || (self.needs.http && self.http.follows(&flows)) {
            self.analyzer.see(&pkt, &flows, frame.number, frame.ts_ns)
        } else {
            Default::default()
        };
        let http = if self.needs.http {
            self.http.feed(&pkt, &flows, &tcp)
        } else {
            Default::default()
        };
        // TLS reassembly tells which segments Wireshark's reassembly fails
        // on, from the analysis of their conversation.
        let reassembly_error = self.needs.analysis && self.tls.feed(&pkt, &flows, &tcp);
        let ctx = FrameCtx {
            frame,
            pkt: &pkt,
            flows,
            first_ts_ns,
            http,
            tcp,
            arp: self.arp.see(&pkt, frame.number),
            reassembly_error,
        };
        f(&ctx)
    }
}
