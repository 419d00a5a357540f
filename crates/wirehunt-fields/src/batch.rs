//! Frames kept past the pass that built them: a [`FrameBatch`] copies what
//! a [`FrameCtx`] borrows (the frame's bytes and options, the reassembled
//! datagram, the HTTP message it completes) into one buffer, so another
//! thread can read the same contexts later, in the same order. The packet
//! detail view is written on the other cores that way: the pass (sequence
//! analysis, reassembly, conversations) has to see frames one by one in
//! order, but what it found about a frame is all the writing reads.
//!
//! A batch over a mapped capture ([`FrameBatch::over_map`]) keeps the
//! frames' bytes by their place in the map instead of copying them.

use std::ops::Range;

use wirehunt_capture::{Frame, FrameRef, SharedCapture};
use wirehunt_dissect::Packet;
use wirehunt_flow::Flows;
use wirehunt_flow::analysis::TcpAnalysis;
use wirehunt_flow::arp::ArpCheck;

use crate::FrameCtx;
use crate::reassembly::HttpView;

/// One frame's context with its borrowed parts replaced by places in the
/// batch's buffer or in the map.
struct Kept {
    frame: KeptFrame,
    /// The packet with no bytes; [`FrameBatch::each`] puts it back over
    /// the frame's.
    pkt: Packet<'static>,
    /// The packet's bytes when they are not the frame's (a datagram
    /// reassembled from fragments).
    pkt_data: Option<Range<usize>>,
    http: HttpView<'static>,
    http_message: Range<usize>,
    flows: Flows,
    tcp: TcpAnalysis,
    arp: ArpCheck,
    reassembly_error: bool,
}

/// Where a kept frame's bytes and options are.
enum KeptFrame {
    /// Copied: the frame with no bytes, and where the copies are.
    Copied {
        frame: Frame<'static>,
        data: Range<usize>,
        options: Range<usize>,
    },
    /// In the map.
    Mapped(FrameRef),
}

/// Frame contexts copied out of a pass, to be read again in order.
#[derive(Default)]
pub struct FrameBatch {
    bytes: Vec<u8>,
    kept: Vec<Kept>,
    /// The mapped capture the frames are read from, when they are.
    map: Option<SharedCapture>,
    /// The time of the capture's first frame, the same for every frame of
    /// a pass.
    first_ts_ns: i64,
}

impl FrameBatch {
    /// A batch for frames read from `map` (by [`SharedCapture::reader`]):
    /// their bytes are kept as places in it. Frames from elsewhere are
    /// copied.
    pub fn over_map(map: SharedCapture) -> FrameBatch {
        FrameBatch {
            map: Some(map),
            ..FrameBatch::default()
        }
    }

    /// Keeps `ctx`, to come after the frames already kept.
    pub fn push(&mut self, ctx: &FrameCtx<'_, '_>) {
        let frame = ctx.frame;
        let kept = match self.map.as_ref().and_then(|m| m.locate(frame)) {
            Some(r) => KeptFrame::Mapped(r),
            None => KeptFrame::Copied {
                frame: frame.over(&[], &[]),
                data: self.copy(frame.data),
                options: self.copy(frame.options_raw()),
            },
        };
        let pkt_data = (!std::ptr::eq(ctx.pkt.data, frame.data)).then(|| self.copy(ctx.pkt.data));
        let (http, http_message) = match ctx.http {
            HttpView::Message(m) => (HttpView::Message(&[]), self.copy(m)),
            HttpView::Untracked => (HttpView::Untracked, 0..0),
            HttpView::None => (HttpView::None, 0..0),
            HttpView::Continuation => (HttpView::Continuation, 0..0),
        };
        self.first_ts_ns = ctx.first_ts_ns;
        self.kept.push(Kept {
            frame: kept,
            pkt: ctx.pkt.over(&[]),
            pkt_data,
            http,
            http_message,
            flows: ctx.flows,
            tcp: ctx.tcp,
            arp: ctx.arp,
            reassembly_error: ctx.reassembly_error,
        });
    }

    fn copy(&mut self, b: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        start..self.bytes.len()
    }

    /// How many frames the batch holds.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// How many bytes the batch has copied.
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// Forgets the frames, keeping the room they took (and the map).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.kept.clear();
    }

    /// Hands each kept frame's context to `f`, in the order they came.
    pub fn each(&self, mut f: impl FnMut(&FrameCtx<'_, '_>)) {
        let b = &self.bytes[..];
        for k in &self.kept {
            let frame = match (&k.frame, &self.map) {
                (
                    KeptFrame::Copied {
                        frame,
                        data,
                        options,
                    },
                    _,
                ) => frame.over(&b[data.clone()], &b[options.clone()]),
                (KeptFrame::Mapped(r), Some(map)) => map.frame(r, &[]),
                // Mapped frames are kept only by a batch with a map.
                (KeptFrame::Mapped(_), None) => continue,
            };
            let pkt = k.pkt.over(match &k.pkt_data {
                Some(d) => &b[d.clone()],
                None => frame.data,
            });
            let http = match k.http {
                HttpView::Message(_) => HttpView::Message(&b[k.http_message.clone()]),
                v => v,
            };
            f(&FrameCtx {
                frame: &frame,
                pkt: &pkt,
                flows: k.flows,
                first_ts_ns: self.first_ts_ns,
                http,
                tcp: k.tcp,
                arp: k.arp,
                reassembly_error: k.reassembly_error,
            });
        }
    }
}
