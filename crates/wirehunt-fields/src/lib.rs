//! Fields and columns: what wirehunt shows of a packet, named and formatted
//! as Wireshark does.
//!
//! - [`registry`]: the one table from Wireshark field names (`ip.src`,
//!   `tcp.flags.reset`, …) to extractors over a [`FrameCtx`] (frame,
//!   dissected packet, conversation info). `-T fields`, JSON, the display
//!   filter and the detail view all read through it.
//! - [`columns`]: the packet-list line tshark prints by default (number,
//!   time, source, destination, protocol, length, info).
//! - [`protocols`]: the `frame.protocols` chain;
//! - [`detail`]: the field-by-field view (`tshark -V`);
//! - [`needs`]: what a field reads besides the packet, so a pass computes
//!   only that;
//! - [`pipeline`]: frame to [`FrameCtx`], computing only what is needed.

pub mod batch;
pub mod columns;
pub mod detail;
pub mod ipproto;
pub mod needs;
pub mod pipeline;
pub mod protocols;
pub mod reassembly;
pub mod registry;
pub mod tls_reassembly;
mod value;

pub use needs::Needs;
pub use registry::{Field, FrameCtx, Kind, Sink, all, lookup};
pub use value::{Value, write_seconds};
