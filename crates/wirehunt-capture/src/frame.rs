//! One captured frame, borrowed from the reader's buffer.

use crate::{LinkType, TimePrecision};

/// A frame as read from the capture: metadata plus the captured bytes.
///
/// `data` borrows from the reader; it stays valid until the next call to
/// [`crate::CaptureReader::next_frame`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based, as Wireshark numbers frames.
    pub number: u64,
    /// Nanoseconds since the Unix epoch (interface offsets applied).
    pub ts_ns: i64,
    /// False when the record carries no time (pcapng simple packet
    /// blocks); `ts_ns` is then 0.
    pub has_ts: bool,
    /// Length on the wire (`frame.len`).
    pub orig_len: u32,
    /// Link-layer header type of the interface this frame came from.
    pub link_type: LinkType,
    /// Global interface index (across pcapng sections), 0 for pcap.
    pub interface: u32,
    /// Timestamp resolution of the frame's interface.
    pub precision: TimePrecision,
    /// Byte offset of the record in the (uncompressed) file.
    pub offset: u64,
    /// The captured bytes (`frame.cap_len` is their length).
    pub data: &'a [u8],
    /// Set when this record is a pcapng Custom Block rather than a packet.
    /// Wireshark numbers such blocks as frames (protocol column `PCAPNG`),
    /// so wirehunt does too, to keep frame numbers the same; `data` is the
    /// block's body after the enterprise number, `link_type` is
    /// [`LinkType::PCAPNG_BLOCK`], and there is no time and no interface.
    pub custom: Option<CustomBlock>,
    /// The first bytes of the next record's packet, when the reader has
    /// them already (possibly cut, or empty): a hint for asking the CPU
    /// for what the next frame will need, never part of this frame.
    pub lookahead: &'a [u8],
    /// Raw pcapng EPB options (comments, flags), empty for pcap.
    pub(crate) options: &'a [u8],
    pub(crate) options_big_endian: bool,
}

/// What a pcapng Custom Block says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomBlock {
    /// IANA Private Enterprise Number of the block's owner.
    pub pen: u32,
    /// False when the block must not be copied to a new file.
    pub copy: bool,
}

impl CustomBlock {
    /// Well-known owners: only the number RFC 5612 reserves for
    /// documentation; others are shown as their number.
    pub fn owner(&self) -> Option<&'static str> {
        (self.pen == 32473).then_some("Example Enterprise Number for Documentation Use")
    }
}

/// The owner as Wireshark names it: `NAME (PEN)`, or the bare number.
impl std::fmt::Display for CustomBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.owner() {
            Some(name) => write!(f, "{name} ({})", self.pen),
            None => write!(f, "{}", self.pen),
        }
    }
}

impl<'a> Frame<'a> {
    /// True for packets, false for pcapng Custom Blocks numbered as frames.
    #[inline]
    pub fn is_packet(&self) -> bool {
        self.custom.is_none()
    }

    /// Captured length (`frame.cap_len`).
    #[inline]
    pub fn cap_len(&self) -> u32 {
        self.data.len() as u32
    }

    /// The raw pcapng options of the record (empty for pcap), to keep
    /// beside [`Frame::data`] for [`Frame::over`].
    pub fn options_raw(&self) -> &'a [u8] {
        self.options
    }

    /// The same frame over copies of its bytes and options (what
    /// [`Frame::data`] and [`Frame::options_raw`] hold), for readers that
    /// keep frames past the next read; it has no lookahead.
    pub fn over<'b>(&self, data: &'b [u8], options: &'b [u8]) -> Frame<'b> {
        Frame {
            number: self.number,
            ts_ns: self.ts_ns,
            has_ts: self.has_ts,
            orig_len: self.orig_len,
            link_type: self.link_type,
            interface: self.interface,
            precision: self.precision,
            offset: self.offset,
            data,
            custom: self.custom,
            lookahead: &[],
            options,
            options_big_endian: self.options_big_endian,
        }
    }

    /// The `opt_comment` options attached to this frame (pcapng only).
    pub fn comments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        crate::pcapng::options(self.options, self.options_big_endian)
            .filter(|(code, _)| *code == 1)
            .map(|(_, v)| v)
    }
}
