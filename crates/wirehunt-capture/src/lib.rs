//! Reading captures for wirehunt.
//!
//! [`CaptureReader`] opens a pcap, pcapng or gzip-compressed capture (from
//! a path, `-` for standard input, or bytes in memory) and hands out one
//! [`Frame`] at a time. The format is taken from the magic number, never from
//! the file name. Input is read ahead by a thread into a few reusable
//! chunks (regular files are memory-mapped instead on a machine with one
//! core, and for [`SharedCapture`]'s readers). Neither path allocates per
//! frame.
//!
//! A capture is attacker-controlled input. The contract:
//! - no byte sequence makes the reader panic;
//! - no record makes it allocate more than [`MAX_BLOCK_LEN`] bytes;
//! - on damage, every frame before it is returned, then one
//!   [`CaptureError`] naming the frame number and byte offset, then `None`.
//!
//! [`CaptureInfo`] keeps what the file says about itself (format, sections,
//! interfaces with their link types and time resolutions, comments, name
//! records) for the statistics views.

mod error;
mod frame;
mod info;
mod linktype;
mod pcap;
pub(crate) mod pcapng;
mod reader;
mod source;
mod writer;

pub mod time;

pub use error::CaptureError;
pub use frame::{CustomBlock, Frame};
pub use info::{CaptureInfo, FileFormat, Interface, Section, TimePrecision};
pub use linktype::LinkType;
pub use reader::{CaptureReader, FrameRef, OpenOptions, SharedCapture};
pub use source::prefetch;
pub use writer::PcapWriter;

/// Most bytes of the next packet a [`Frame::lookahead`] holds: enough for
/// the headers a conversation table keys on.
pub const LOOKAHEAD_LEN: usize = 128;

/// Largest classic pcap record accepted, as Wireshark's
/// `WTAP_MAX_PACKET_SIZE_STANDARD`.
pub const MAX_PCAP_RECORD: u32 = 262_144;

/// Largest pcapng block accepted; larger claims are damage.
pub const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;
