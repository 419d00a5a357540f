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
    /// Raw pcapng EPB options (comments, flags), empty for pcap.
    pub(crate) options: &'a [u8],
    pub(crate) options_big_endian: bool,
}

impl<'a> Frame<'a> {
    /// Captured length (`frame.cap_len`).
    #[inline]
    pub fn cap_len(&self) -> u32 {
        self.data.len() as u32
    }

    /// The `opt_comment` options attached to this frame (pcapng only).
    pub fn comments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        crate::pcapng::options(self.options, self.options_big_endian)
            .filter(|(code, _)| *code == 1)
            .map(|(_, v)| v)
    }
}
