//! The statistics views an analyst opens in Wireshark while hunting, with
//! the numbers tshark prints:
//!
//! - [`capinfo`]: Capture File Properties (`capinfos`);
//! - [`phs`]: Protocol Hierarchy (`-z io,phs`);
//! - [`conv`]: Conversations and Endpoints (`-z conv,X`, `-z endpoints,X`);
//! - [`io`]: I/O graph (`-z io,stat,INTERVAL`);
//! - [`expert`]: Expert Information (`-z expert`);
//! - [`follow`]: Follow TCP/UDP Stream (`-z follow,…`).
//!
//! Each view is an analyzer with the same shape: `see` one frame (with its
//! dissection and conversation info), then hand its result to a renderer.
//! Views keep bounded state: tables stop growing at a documented cap and
//! count what they could not hold.

pub mod capinfo;
pub mod conv;
pub mod expert;
pub mod follow;
pub mod io;
pub mod phs;
pub mod units;
