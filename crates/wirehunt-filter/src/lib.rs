//! Wireshark display filters for wirehunt: `tcp.flags.reset == 1`,
//! `ip.addr == 10.0.0.0/8 && tcp.port in {80, 443}`, `http.host matches
//! "(?i)example"`, `eth.src[0:3] == 00:11:22`, `len(dns.qry.name) > 50` …
//!
//! [`Filter::new`] parses the text into a syntax tree ([`ast`]), resolves
//! every name against the field registry and reads each literal by the
//! type of the field it meets; errors carry a position and, for names
//! close to a known one, a suggestion. [`Filter::matches`] then evaluates
//! a frame, reading only the fields the filter names.
//!
//! Semantics follow Wireshark 4.x: a field that occurs several times
//! (`ip.addr`) matches `==`, `<`, `contains`, `matches` and `in` when any
//! occurrence does; `!=` is "present and no occurrence equals"; `===` is
//! "present and all equal"; `!==` (also `~=`) "some occurrence differs".
//! `matches` is case-insensitive unless the pattern says `(?-i)`.

pub mod ast;
mod compile;
mod error;
mod parse;

pub use compile::Filter;
pub use error::FilterError;
pub use parse::parse;
