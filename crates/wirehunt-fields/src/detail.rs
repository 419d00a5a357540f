//! The packet detail view (`tshark -V`, Wireshark's middle pane): one
//! heading per protocol of the frame, in the order they were dissected,
//! then every registry field of that protocol present in the frame, with
//! Wireshark's label and the value. Protocols named in `only` are expanded
//! and the others show their heading alone (`tshark -O`).
//!
//! The fields are read through the registry, except the lines of the
//! commonest protocols of ordinary frames, which `detail/sections.rs` writes
//! directly (checked against the registry by the `sections` test).

use std::io::Write;
use std::sync::OnceLock;

use wirehunt_dissect::{Proto, TcpSegment, UdpDatagram};

use crate::protocols::write_protocols;
use crate::registry::{Field, FrameCtx, Kind, PerLayer, all};
use crate::value::{Value, put_padded, write_uint};

mod sections;

/// Fields Wireshark keeps out of the tree (either-side aliases for filters).
const HIDDEN: &[&str] = &["eth.addr", "ip.addr", "ipv6.addr", "tcp.port", "udp.port"];

/// The registry prefix of a protocol of the chain (mDNS and LLMNR are DNS
/// on other ports).
fn field_prefix(proto: &str) -> &str {
    match proto {
        "mdns" | "llmnr" => "dns",
        "ssdp" => "http",
        p => p,
    }
}

/// A field of a protocol's subtree, and what its lines start with: the
/// indentation of its level and its label.
struct TreeField {
    field: &'static Field,
    /// What the tree knows about the field without reading it.
    known: Known,
    /// `"    Label: "`, four spaces a level, then zeros to [`LEAD`] bytes.
    lead: Box<[u8]>,
    lead_len: usize,
}

/// Fields the tree writes or skips without calling them.
#[derive(Clone, Copy, PartialEq)]
enum Known {
    /// Read the field.
    No,
    /// `frame.protocols`: the chain the tree has just built.
    Chain,
    /// A `tcp.analysis.*` field: none is present when the sequence
    /// analysis flagged nothing (most segments).
    Analysis,
}

/// Room for every lead of a line but the longest few, which are written
/// by a plain copy (see [`put_padded`]).
const LEAD: usize = 48;

/// The fields under the heading of the protocol whose registry prefix is
/// `prefix`, in registry order: every field named `prefix.…` but the
/// protocol's own and the hidden aliases. Found once for all protocols,
/// instead of a walk over the whole registry per protocol of each frame.
fn subtree(prefix: &str) -> &'static [TreeField] {
    static BY_PREFIX: OnceLock<foldhash::HashMap<&'static str, Vec<TreeField>>> = OnceLock::new();
    BY_PREFIX
        .get_or_init(|| {
            let mut by_prefix = foldhash::HashMap::<&'static str, Vec<TreeField>>::default();
            for field in all() {
                let Some((head, _)) = field.name.split_once('.') else {
                    continue;
                };
                if field.kind == Kind::Protocol || HIDDEN.contains(&field.name) {
                    continue;
                }
                let depth = field.name.matches('.').count();
                let mut lead =
                    format!("{:indent$}{}: ", "", field.label, indent = 4 * depth).into_bytes();
                let lead_len = lead.len();
                lead.resize(lead_len.max(LEAD), 0);
                let known = match field.name {
                    "frame.protocols" => Known::Chain,
                    n if n.starts_with("tcp.analysis.") => Known::Analysis,
                    _ => Known::No,
                };
                by_prefix.entry(head).or_default().push(TreeField {
                    field,
                    known,
                    lead: lead.into(),
                    lead_len,
                });
            }
            by_prefix
        })
        .get(prefix)
        .map_or(&[], Vec::as_slice)
}

/// Appends `TITLE, Src: A, Dst: B` (`Src Port` and `Dst Port` with
/// `ports`) and returns the empty rest of the heading.
fn ends(
    out: &mut Vec<u8>,
    title: &[u8],
    ports: bool,
    src: Value<'_>,
    dst: Value<'_>,
) -> &'static [u8] {
    let port: &[u8] = if ports { b" Port" } else { b"" };
    out.extend_from_slice(title);
    out.extend_from_slice(b", Src");
    out.extend_from_slice(port);
    out.extend_from_slice(b": ");
    src.write_text(out);
    out.extend_from_slice(b", Dst");
    out.extend_from_slice(port);
    out.extend_from_slice(b": ");
    dst.write_text(out);
    b""
}

/// Wireshark's heading for a protocol item. Written byte by byte rather
/// than through `write!`: every frame has several, and formatting machinery
/// was a third of the detail view's time.
fn heading(ctx: &FrameCtx<'_, '_>, proto: &str, out: &mut Vec<u8>) {
    let pkt = ctx.pkt;
    let f = ctx.frame;
    let fixed: &[u8] = match proto {
        "frame" => {
            let (captured, wire) = (f.data.len() as u64, u64::from(f.orig_len));
            if let Some(cb) = f.custom {
                let _ = write!(
                    out,
                    "PCAPNG Custom Block {}: {captured} bytes ({} bits) of custom data and options, PEN {cb}, copying {}",
                    f.number,
                    captured * 8,
                    if cb.copy { "allowed" } else { "not allowed" }
                );
            } else {
                out.extend_from_slice(b"Frame ");
                write_uint(out, f.number);
                out.extend_from_slice(b": ");
                write_uint(out, wire);
                out.extend_from_slice(b" bytes on wire (");
                write_uint(out, wire * 8);
                out.extend_from_slice(b" bits), ");
                write_uint(out, captured);
                out.extend_from_slice(b" bytes captured (");
                write_uint(out, captured * 8);
                out.extend_from_slice(b" bits)");
            }
            b""
        }
        "eth" => match pkt.ethernet() {
            Some(e) => ends(
                out,
                b"Ethernet II",
                false,
                Value::Mac(e.src()),
                Value::Mac(e.dst()),
            ),
            None => b"Ethernet II",
        },
        "ip" => match pkt.ipv4() {
            Some(ip) => ends(
                out,
                b"Internet Protocol Version 4",
                false,
                Value::Ipv4(ip.src()),
                Value::Ipv4(ip.dst()),
            ),
            None => b"Internet Protocol Version 4",
        },
        "ipv6" => match pkt.ipv6() {
            Some(ip) => ends(
                out,
                b"Internet Protocol Version 6",
                false,
                Value::Ipv6(ip.src()),
                Value::Ipv6(ip.dst()),
            ),
            None => b"Internet Protocol Version 6",
        },
        "tcp" => {
            let seg = pkt
                .find(Proto::Tcp)
                .and_then(|l| TcpSegment::new_checked(pkt.bytes(l)).map(|t| (t, l.declared_len())));
            let flow = ctx.flows.main().filter(|f| f.proto == Proto::Tcp);
            match seg {
                Some((t, len)) => {
                    ends(
                        out,
                        b"Transmission Control Protocol",
                        true,
                        Value::Uint(t.src_port().into()),
                        Value::Uint(t.dst_port().into()),
                    );
                    out.extend_from_slice(b", Seq: ");
                    write_uint(out, u64::from(flow.map_or(t.seq(), |f| f.rel_seq)));
                    if t.flags() & wirehunt_dissect::tcp::flags::ACK != 0 {
                        out.extend_from_slice(b", Ack: ");
                        write_uint(out, u64::from(flow.map_or(t.ack(), |f| f.rel_ack)));
                    }
                    out.extend_from_slice(b", Len: ");
                    write_uint(out, u64::from(len.saturating_sub(t.header_len() as u32)));
                    b""
                }
                None => b"Transmission Control Protocol",
            }
        }
        "udp" => match pkt
            .find(Proto::Udp)
            .and_then(|l| UdpDatagram::new_checked(pkt.bytes(l)))
        {
            Some(u) => ends(
                out,
                b"User Datagram Protocol",
                true,
                Value::Uint(u.src_port().into()),
                Value::Uint(u.dst_port().into()),
            ),
            None => b"User Datagram Protocol",
        },
        "icmp" => b"Internet Control Message Protocol",
        "icmpv6" => b"Internet Control Message Protocol v6",
        "arp" => b"Address Resolution Protocol",
        "dns" => b"Domain Name System",
        "mdns" => b"Multicast Domain Name System",
        "llmnr" => b"Link-local Multicast Name Resolution",
        "http" => b"Hypertext Transfer Protocol",
        "tls" => b"Transport Layer Security",
        "vlan" => b"802.1Q Virtual LAN",
        "sll" => b"Linux cooked capture",
        "data" => b"Data",
        p => p.as_bytes(),
    };
    out.extend_from_slice(fixed);
    out.push(b'\n');
}

/// The bytes of the layers of one protocol that Wireshark dissects
/// ([`FrameCtx::layers_of`]), found once a frame for each protocol whose
/// per-layer fields the tree shows.
struct Layers<'a> {
    /// The protocol whose layers these are; none yet.
    proto: Option<Proto>,
    bytes: [&'a [u8]; 4],
    /// How many there are, which may be more than `bytes` holds.
    n: usize,
}

impl<'a> Layers<'a> {
    fn new() -> Layers<'a> {
        Layers {
            proto: None,
            bytes: [&[]; 4],
            n: 0,
        }
    }

    /// The layers of `proto`, or `None` when there are too many to hold
    /// (the fields then look for them themselves).
    fn of(&mut self, ctx: &FrameCtx<'a, '_>, proto: Proto) -> Option<&[&'a [u8]]> {
        if self.proto != Some(proto) {
            self.proto = Some(proto);
            self.n = 0;
            for l in ctx.layers_of(proto) {
                if let Some(b) = self.bytes.get_mut(self.n) {
                    *b = ctx.pkt.bytes(l);
                }
                self.n += 1;
            }
        }
        self.bytes.get(..self.n)
    }
}

/// Writes the detail view of frame after frame, keeping its buffers from
/// one frame to the next. Protocols named in `only` are expanded and the
/// others show their heading alone; none named expands them all.
#[derive(Debug, Default)]
pub struct DetailWriter {
    only: Vec<String>,
    /// Read every field through the registry, not the fast writers of
    /// [`sections`] (to compare the two).
    registry_only: bool,
    /// The frame's protocol chain (`frame.protocols`).
    chain: Vec<u8>,
    /// What frames show, found once for each chain (`plans`), and where
    /// each chain's plan is.
    plans: Vec<Box<[Step]>>,
    plan_of: foldhash::HashMap<Box<[u8]>, usize>,
}

/// A protocol of a frame's tree: its heading and, when expanded, its
/// fields.
#[derive(Debug)]
struct Step {
    name: Box<str>,
    fields: &'static [TreeField],
    /// The fast writer of the first of `fields`, when there is one.
    fast: Option<&'static sections::Section>,
}

impl std::fmt::Debug for TreeField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field.name)
    }
}

/// Whether `names` are the first of `fields`, in order (what a fast writer
/// must write for the tree to use it).
fn writes_first(names: &[&str], fields: &[TreeField]) -> bool {
    names.len() <= fields.len() && names.iter().zip(fields).all(|(n, t)| *n == t.field.name)
}

/// Most chains whose plans a writer keeps: a capture crafted to give every
/// frame its own chain makes it start again rather than grow.
const MAX_PLANS: usize = 1024;

impl DetailWriter {
    pub fn new(only: Vec<String>) -> DetailWriter {
        DetailWriter {
            only,
            ..DetailWriter::default()
        }
    }

    /// A writer that reads every field through the registry, as the
    /// detail view does for frames its fast writers do not handle. Only to
    /// check those writers against it.
    #[doc(hidden)]
    pub fn registry_only(only: Vec<String>) -> DetailWriter {
        DetailWriter {
            only,
            registry_only: true,
            ..DetailWriter::default()
        }
    }

    /// The protocols the tree of a frame with protocol chain `chain`
    /// shows: the frame, then each protocol of the chain once, first seen
    /// first (not the `ethertype` step), expanded when `only` names it or
    /// is empty.
    fn plan(only: &[String], chain: &[u8], registry_only: bool) -> Box<[Step]> {
        let mut names: Vec<&str> = vec!["frame"];
        for p in chain.split(|&c| c == b':') {
            let Ok(p) = std::str::from_utf8(p) else {
                continue;
            };
            if !p.is_empty() && p != "ethertype" && !names.contains(&p) {
                names.push(p);
            }
        }
        names
            .into_iter()
            .map(|p| {
                let fields = if only.is_empty() || only.iter().any(|o| o == p) {
                    subtree(field_prefix(p))
                } else {
                    &[]
                };
                let fast = sections::SECTIONS
                    .iter()
                    .filter(|_| !registry_only)
                    .find(|s| s.proto == p && writes_first(s.fields, fields));
                Step {
                    name: p.into(),
                    fields,
                    fast,
                }
            })
            .collect()
    }

    /// Appends the detail view of one frame (a blank line after it).
    pub fn write(&mut self, ctx: &FrameCtx<'_, '_>, out: &mut Vec<u8>) {
        let DetailWriter {
            only,
            registry_only,
            chain,
            plans,
            plan_of,
        } = self;
        chain.clear();
        write_protocols(ctx, chain);
        let at = match plan_of.get(&chain[..]) {
            Some(&at) => at,
            None => {
                if plans.len() >= MAX_PLANS {
                    plans.clear();
                    plan_of.clear();
                }
                plans.push(Self::plan(only, chain, *registry_only));
                plan_of.insert(chain[..].into(), plans.len() - 1);
                plans.len() - 1
            }
        };
        let plan = &plans[at];
        // The layers of the protocol the per-layer fields read, found for
        // the first of them.
        let mut layers = Layers::new();
        for Step { name, fields, fast } in plan {
            let p = &name[..];
            heading(ctx, p, out);
            let fields = match fast {
                Some(s) if (s.write)(ctx, chain, out) => &fields[s.fields.len()..],
                _ => fields,
            };
            for TreeField {
                field,
                known,
                lead,
                lead_len,
            } in fields.iter()
            {
                let mut line = |v: &Value<'_>| {
                    match <&[u8; LEAD]>::try_from(&lead[..]) {
                        Ok(padded) => put_padded(out, padded, *lead_len),
                        Err(_) => out.extend_from_slice(&lead[..*lead_len]),
                    }
                    v.write_text(out);
                    out.push(b'\n');
                };
                match (known, field.per_layer()) {
                    (Known::Chain, _) => line(&Value::Text(chain)),
                    (Known::Analysis, _) if ctx.tcp.flags == 0 => {}
                    (_, Some(PerLayer { proto, read })) => match layers.of(ctx, proto) {
                        Some(found) => {
                            for v in found.iter().filter_map(|b| read(b)) {
                                line(&v);
                            }
                        }
                        None => field.extract(ctx, &mut line),
                    },
                    _ => field.extract(ctx, &mut line),
                }
            }
        }
        if ctx.reassembly_error {
            // tshark's item for the exception, after the protocols, with
            // its expert note.
            let msg = crate::tls_reassembly::OVERLAP_ERROR;
            let _ = writeln!(out, "[Reassembly error, protocol TCP: {msg}]");
            let _ = writeln!(out, "    [Expert Info (Error/Malformed): {msg}]");
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shown_field_is_under_its_protocol_once_with_its_indented_label() {
        for f in all() {
            let Some((head, _)) = f.name.split_once('.') else {
                continue;
            };
            let times = subtree(head)
                .iter()
                .filter(|t| std::ptr::eq(t.field, f))
                .count();
            let shown = f.kind != Kind::Protocol && !HIDDEN.contains(&f.name);
            assert_eq!(times, usize::from(shown), "{}", f.name);
        }
        let lead = |name: &str| {
            let (head, _) = name.split_once('.').unwrap();
            let t = subtree(head).iter().find(|t| t.field.name == name).unwrap();
            String::from_utf8(t.lead[..t.lead_len].to_vec()).unwrap()
        };
        assert_eq!(lead("ip.src"), "    Source Address: ");
        assert_eq!(lead("ip.flags.df"), "        Don't fragment: ");
        // Registry order, as the tree shows them.
        let ip: Vec<_> = subtree("ip").iter().map(|t| t.field.name).collect();
        let order: Vec<_> = all()
            .iter()
            .map(|f| f.name)
            .filter(|n| ip.contains(n))
            .collect();
        assert_eq!(ip, order);
        assert!(subtree("no-such-protocol").is_empty());
    }

    #[test]
    fn a_plan_shows_each_protocol_once_and_expands_those_asked_for() {
        let names = |plan: &[Step]| plan.iter().map(|s| s.name.to_string()).collect::<Vec<_>>();
        let chain = b"eth:ethertype:ip:icmp:ip:tcp";
        let all = DetailWriter::plan(&[], chain, false);
        assert_eq!(names(&all), ["frame", "eth", "ip", "icmp", "tcp"]);
        assert!(all.iter().all(|s| !s.fields.is_empty()));
        let only = DetailWriter::plan(&["tcp".to_string()], chain, false);
        assert_eq!(names(&only), names(&all));
        let expanded: Vec<_> = only.iter().filter(|s| !s.fields.is_empty()).collect();
        assert_eq!(expanded.len(), 1);
        assert_eq!(&*expanded[0].name, "tcp");
        // mDNS shows DNS's fields.
        let mdns = DetailWriter::plan(&[], b"eth:ethertype:ip:udp:mdns", false);
        assert!(std::ptr::eq(mdns[4].fields, subtree("dns")));
    }

    /// A fast writer the registry no longer matches would be left out of
    /// every plan without a word: each must write the first fields of its
    /// protocol's subtree.
    #[test]
    fn each_fast_writer_writes_the_first_fields_of_its_protocol() {
        for s in sections::SECTIONS {
            let fields = subtree(field_prefix(s.proto));
            assert!(writes_first(s.fields, fields), "{}", s.proto);
        }
        let plan = DetailWriter::plan(&[], b"eth:ethertype:ip:tcp", false);
        assert!(plan.iter().all(|s| s.fast.is_some()));
        let plan = DetailWriter::plan(&[], b"eth:ethertype:ip:tcp", true);
        assert!(plan.iter().all(|s| s.fast.is_none()));
    }

    /// The fast writers take a plain TCP segment and a plain UDP datagram
    /// over IPv4 and Ethernet (the `sections` test then checks what they
    /// write on every frame of the corpus).
    #[test]
    fn fast_writers_take_plain_frames() {
        use wirehunt_capture::{CaptureReader, LinkType, PcapWriter};
        let head = |proto: u8| {
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
            f.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, proto, 0, 0]);
            f.extend_from_slice(&[198, 51, 100, 1, 203, 0, 113, 2]);
            f
        };
        let mut tcp = head(6);
        tcp.extend_from_slice(&[0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1]);
        tcp.extend_from_slice(&[0x50, 0x10, 0x04, 0x00, 0, 0, 0, 0]);
        let mut udp = head(17);
        udp.extend_from_slice(&[0x9c, 0x40, 0x30, 0x39, 0, 20, 0, 0]);
        udp.extend_from_slice(&[0; 12]);
        let mut w = PcapWriter::new(LinkType(1));
        w.frame(0, &tcp);
        w.frame(1, &udp);
        let mut r = CaptureReader::from_bytes(w.into_bytes()).unwrap();
        let mut pipeline = crate::pipeline::Pipeline::new(crate::Needs::ALL, 16);
        for transport in ["tcp", "udp"] {
            let frame = r.next_frame().unwrap().unwrap();
            pipeline.run(&frame, 0, |ctx| {
                for proto in ["frame", "eth", "ip", transport] {
                    let s = sections::SECTIONS
                        .iter()
                        .find(|s| s.proto == proto)
                        .unwrap();
                    let mut out = Vec::new();
                    assert!((s.write)(ctx, b"", &mut out), "{proto} over {transport}");
                    // One line per field but the few a frame may lack.
                    let lines = out.iter().filter(|&&c| c == b'\n').count();
                    assert!(
                        lines + 20 >= s.fields.len() && lines >= 3,
                        "{proto}: {lines}"
                    );
                }
            });
        }
    }

    /// The tree skips the `tcp.analysis.*` fields of segments the analysis
    /// flagged nothing on: none of them may show anything there.
    #[test]
    fn analysis_fields_show_nothing_on_an_unflagged_segment() {
        use wirehunt_capture::{CaptureReader, LinkType, PcapWriter};
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&[198, 51, 100, 1, 203, 0, 113, 2]);
        f.extend_from_slice(&[0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1]);
        f.extend_from_slice(&[0x50, 0x10, 0x04, 0x00, 0, 0, 0, 0]);
        let mut w = PcapWriter::new(LinkType(1));
        w.frame(0, &f);
        let mut r = CaptureReader::from_bytes(w.into_bytes()).unwrap();
        let frame = r.next_frame().unwrap().unwrap();
        let pkt = wirehunt_dissect::dissect(frame.data, frame.link_type);
        let shown = |tcp: wirehunt_flow::analysis::TcpAnalysis| {
            let ctx = FrameCtx {
                frame: &frame,
                pkt: &pkt,
                flows: Default::default(),
                first_ts_ns: 0,
                http: Default::default(),
                tcp,
                arp: Default::default(),
                reassembly_error: false,
            };
            let analysis = subtree("tcp").iter().filter(|t| t.known == Known::Analysis);
            analysis
                .map(|t| {
                    let mut n = 0;
                    t.field.extract(&ctx, &mut |_: &Value<'_>| n += 1);
                    (t.field.name, n)
                })
                .collect::<Vec<_>>()
        };
        let none = shown(Default::default());
        assert!(none.len() >= 18, "{none:?}");
        assert!(none.iter().all(|(_, n)| *n == 0), "{none:?}");
        // Each shows up when flagged, so the check above is not vacuous.
        let all = shown(wirehunt_flow::analysis::TcpAnalysis {
            flags: u32::MAX,
            ..Default::default()
        });
        assert!(all.iter().all(|(_, n)| *n > 0), "{all:?}");
    }
}
