//! `wirehunt stats` (capture properties, protocol hierarchy,
//! conversations, endpoints, expert information, I/O) and `wirehunt
//! follow`, each from one pass over the capture.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, bail};
use wirehunt_fields::FrameCtx;
use wirehunt_flow::FlowConfig;
use wirehunt_stats::conv::{
    Addr, ConvKind, ConvTable, SortBy, sorted_conversations, sorted_endpoints,
};
use wirehunt_stats::units::{grouped, grouped_into, nstime_to_sec, seconds, seconds_into};

use crate::cli::{ExpertArgs, FollowArgs, InputArgs, IoArgs, StatsArgs, StatsView, TableArgs};
use crate::pass::{Needs, Pass, Source};
use crate::table::{Align, Table, color_stdout};

fn source(args: &InputArgs, needs: Needs) -> Source<'_> {
    Source {
        path: &args.capture,
        no_mmap: args.no_mmap,
        display_filter: args.display_filter.as_deref(),
        capture_filter: args.capture_filter.as_deref(),
        max_conversations: FlowConfig::default().max_conversations,
        limit: u64::MAX,
        needs,
    }
}

/// Reads a capture once, handing every frame that passes both filters to
/// `see`.
fn read_frames(
    args: &InputArgs,
    needs: Needs,
    mut see: impl FnMut(&FrameCtx<'_, '_>),
) -> anyhow::Result<Pass> {
    crate::pass::each_frame(&source(args, needs), |ctx, matched| {
        if matched {
            see(ctx);
        }
        true
    })
}

/// Every frame that passes the filters, with the time of the capture's
/// first frame. Without filters the records are not even dissected: the
/// views on them (capinfos, I/O) need only times and lengths.
fn read_records(
    args: &InputArgs,
    mut see: impl FnMut(&wirehunt_capture::Frame<'_>, i64),
) -> anyhow::Result<Pass> {
    if args.display_filter.is_some() || args.capture_filter.is_some() {
        return read_frames(args, Needs::NONE, |c| see(c.frame, c.first_ts_ns));
    }
    let mut first = None;
    crate::pass::each_record(&source(args, Needs::NONE), |f| {
        see(f, *first.get_or_insert(f.ts_ns));
        true
    })
}

pub fn run(args: &StatsArgs) -> anyhow::Result<ExitCode> {
    match &args.view {
        StatsView::Info(a) => info(a),
        StatsView::Phs(a) => phs(a),
        StatsView::Conv(a) => conv(a, false),
        StatsView::Endpoints(a) => conv(a, true),
        StatsView::Io(a) => io(a),
        StatsView::Expert(a) => expert(a),
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn info(args: &InputArgs) -> anyhow::Result<ExitCode> {
    let mut stats = wirehunt_stats::capinfo::CapStats::default();
    // The file's hash runs beside the pass over its records.
    let (pass, sha) = std::thread::scope(|scope| {
        let hash = (args.capture.as_os_str() != "-")
            .then(|| scope.spawn(|| wirehunt_stats::capinfo::sha256_file(&args.capture).ok()));
        let pass = read_records(args, |f, _| stats.see(f));
        (pass, hash.and_then(|h| h.join().ok().flatten()))
    });
    let pass = pass?;
    let report = stats.finish(&pass.info, pass.file_size, sha);
    if args.json {
        print(&(serde_json::to_string(&report)? + "\n"))?;
    } else {
        let mut s = String::new();
        let _ = writeln!(s, "{:<32}{}", "File name:", args.capture.display());
        for (k, v) in report.lines() {
            let k = match k.strip_prefix("interface ") {
                Some(rest) => {
                    let (n, label) = rest.split_once(' ').unwrap_or((rest, ""));
                    format!("  #{n} {label}:")
                }
                None => format!("{k}:"),
            };
            let _ = writeln!(s, "{k:<32}{v}");
        }
        print(&s)?;
    }
    Ok(pass.finish(&args.capture, "counted"))
}

/// Reads a capture once for a view that adds frames up, over `--threads`
/// threads when given ([`crate::pass::each_frame_split`]).
fn split_frames<V: Send>(
    args: &InputArgs,
    needs: Needs,
    make: impl Fn() -> V + Sync,
    see: impl Fn(&mut V, &FrameCtx<'_, '_>) + Sync,
    merge: impl Fn(&mut V, V),
) -> anyhow::Result<(Pass, V)> {
    crate::pass::each_frame_split(
        &source(args, needs),
        args.threads.map(usize::from),
        make,
        see,
        merge,
    )
}

fn phs(args: &InputArgs) -> anyhow::Result<ExitCode> {
    use wirehunt_stats::phs::Hierarchy;
    // The conversations say which payloads Wireshark dissects (TCP
    // retransmissions, HTTP over several segments, TFTP conversations).
    let needs = Needs {
        http: true,
        ..Needs::FLOWS
    };
    let (pass, h) = split_frames(
        args,
        needs,
        Hierarchy::default,
        Hierarchy::see,
        Hierarchy::merge,
    )?;
    let tree = h.tree();
    if args.json {
        print(&(serde_json::to_string(&tree)? + "\n"))?;
    } else {
        let mut t = Table::new(&[
            ("Protocol", Align::Left),
            ("Frames", Align::Right),
            ("% Frames", Align::Right),
            ("Bytes", Align::Right),
            ("% Bytes", Align::Right),
        ]);
        let pct = |n: u64, d: u64| {
            if d == 0 {
                "0.0".to_string()
            } else {
                format!("{:.1}", n as f64 * 100.0 / d as f64)
            }
        };
        fn walk(
            t: &mut Table,
            nodes: &[wirehunt_stats::phs::PhsNode],
            depth: usize,
            pct: &dyn Fn(u64, u64) -> String,
            total: (u64, u64),
        ) {
            for n in nodes {
                t.row(vec![
                    format!("{}{}", "  ".repeat(depth), n.protocol),
                    grouped(n.frames),
                    pct(n.frames, total.0),
                    grouped(n.bytes),
                    pct(n.bytes, total.1),
                ]);
                walk(t, &n.children, depth + 1, pct, total);
            }
        }
        walk(&mut t, &tree, 0, &pct, (h.frames(), h.bytes()));
        let mut s = t.render(color_stdout());
        let _ = writeln!(
            s,
            "\n{} frames, {} bytes. {} frames ({}%) carry payload wirehunt does not decode (shown as data; \
             tshark may name an application protocol there).",
            grouped(h.frames()),
            grouped(h.bytes()),
            grouped(h.undecoded()),
            pct(h.undecoded(), h.frames())
        );
        print(&s)?;
    }
    Ok(pass.finish(&args.capture, "counted"))
}

/// One `--json` line of `stats conv`. Fields keep the alphabetical order
/// these lines have always had.
#[derive(serde::Serialize)]
struct ConversationJson {
    address_a: Addr,
    address_b: Addr,
    bytes: u64,
    bytes_a_to_b: u64,
    bytes_b_to_a: u64,
    duration: f64,
    frames: u64,
    frames_a_to_b: u64,
    frames_b_to_a: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_a: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_b: Option<u16>,
    rel_start: f64,
}

/// One `--json` line of `stats endpoints`, fields in alphabetical order.
#[derive(serde::Serialize)]
struct EndpointJson {
    address: Addr,
    bytes: u64,
    frames: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    rx_bytes: u64,
    rx_frames: u64,
    tx_bytes: u64,
    tx_frames: u64,
}

/// `row` as one line of JSON at the end of `out`.
fn json_line(out: &mut Vec<u8>, row: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, row)?;
    out.push(b'\n');
    Ok(())
}

fn conv(args: &TableArgs, endpoints: bool) -> anyhow::Result<ExitCode> {
    let kind: ConvKind = args.kind.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let sort: SortBy = args.sort.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    // Stream numbers split TCP and UDP conversations (each kind needs its
    // own protocol's only); endpoints and the address-only kinds do
    // without them.
    let needs = match kind {
        _ if endpoints => Needs::NONE,
        ConvKind::Tcp => Needs {
            udp_flows: false,
            ..Needs::FLOWS
        },
        ConvKind::Udp => Needs {
            tcp_flows: false,
            ..Needs::FLOWS
        },
        _ => Needs::NONE,
    };
    let (pass, table) = split_frames(
        &args.input,
        needs,
        || ConvTable::new(kind, ConvTable::DEFAULT_MAX_ROWS),
        |table, c| {
            table.see(
                c.frame.number,
                c.pkt,
                &c.flows,
                c.frame.ts_ns - c.first_ts_ns,
                c.frame.orig_len,
            )
        },
        ConvTable::merge,
    )?;
    let ports = kind.has_ports();
    let color = color_stdout();
    let mut s = String::new();
    if endpoints {
        let rows = sorted_endpoints(table.endpoints(), sort, args.top);
        if args.input.json {
            let mut out = Vec::with_capacity(rows.len() * 160);
            for e in &rows {
                let row = EndpointJson {
                    address: e.addr,
                    bytes: e.bytes(),
                    frames: e.frames(),
                    port: ports.then_some(e.port),
                    rx_bytes: e.rx_bytes,
                    rx_frames: e.rx_frames,
                    tx_bytes: e.tx_bytes,
                    tx_frames: e.tx_frames,
                };
                json_line(&mut out, &row)?;
            }
            s.push_str(std::str::from_utf8(&out)?);
        } else {
            let mut head = vec![("Address", Align::Left)];
            if ports {
                head.push(("Port", Align::Right));
            }
            head.extend([
                ("Frames", Align::Right),
                ("Bytes", Align::Right),
                ("Tx Frames", Align::Right),
                ("Tx Bytes", Align::Right),
                ("Rx Frames", Align::Right),
                ("Rx Bytes", Align::Right),
            ]);
            let mut t = Table::new(&head);
            for e in &rows {
                t.cell_with(|o| e.addr.write_to(o));
                if ports {
                    t.cell(itoa::Buffer::new().format(e.port));
                }
                for n in [
                    e.frames(),
                    e.bytes(),
                    e.tx_frames,
                    e.tx_bytes,
                    e.rx_frames,
                    e.rx_bytes,
                ] {
                    t.cell_with(|o| grouped_into(o, n));
                }
            }
            let _ = writeln!(
                s,
                "{} Endpoints: {}",
                kind.title(),
                grouped(table.endpoints().len() as u64)
            );
            s.push_str(&t.render(color));
        }
    } else {
        let rows = sorted_conversations(table.conversations(), sort, args.top);
        if args.input.json {
            let mut out = Vec::with_capacity(rows.len() * 260);
            for c in &rows {
                let row = ConversationJson {
                    address_a: c.a,
                    address_b: c.b,
                    bytes: c.bytes(),
                    bytes_a_to_b: c.bytes_ab,
                    bytes_b_to_a: c.bytes_ba,
                    duration: c.duration(),
                    frames: c.frames(),
                    frames_a_to_b: c.frames_ab,
                    frames_b_to_a: c.frames_ba,
                    port_a: ports.then_some(c.port_a),
                    port_b: ports.then_some(c.port_b),
                    rel_start: nstime_to_sec(c.start_ns),
                };
                json_line(&mut out, &row)?;
            }
            s.push_str(std::str::from_utf8(&out)?);
        } else {
            let mut head = vec![("Address A", Align::Left)];
            if ports {
                head.push(("Port A", Align::Right));
            }
            head.push(("Address B", Align::Left));
            if ports {
                head.push(("Port B", Align::Right));
            }
            head.extend([
                ("Frames A→B", Align::Right),
                ("Bytes A→B", Align::Right),
                ("Frames B→A", Align::Right),
                ("Bytes B→A", Align::Right),
                ("Frames", Align::Right),
                ("Bytes", Align::Right),
                ("Rel Start", Align::Right),
                ("Duration", Align::Right),
            ]);
            let mut t = Table::new(&head);
            for c in &rows {
                t.cell_with(|o| c.a.write_to(o));
                if ports {
                    t.cell(itoa::Buffer::new().format(c.port_a));
                }
                t.cell_with(|o| c.b.write_to(o));
                if ports {
                    t.cell(itoa::Buffer::new().format(c.port_b));
                }
                for n in [
                    c.frames_ab,
                    c.bytes_ab,
                    c.frames_ba,
                    c.bytes_ba,
                    c.frames(),
                    c.bytes(),
                ] {
                    t.cell_with(|o| grouped_into(o, n));
                }
                t.cell_with(|o| seconds_into(o, c.start_ns, 6));
                t.cell_with(|o| {
                    let _ = write!(o, "{:.4}", c.duration());
                });
            }
            let _ = writeln!(
                s,
                "{} Conversations: {}",
                kind.title(),
                grouped(table.conversations().len() as u64)
            );
            s.push_str(&t.render(color));
        }
    }
    if table.overflow() > 0 {
        eprintln!(
            "wirehunt: the table holds at most {} rows; {} headers of further {} were left out of the counts",
            ConvTable::DEFAULT_MAX_ROWS,
            table.overflow(),
            if endpoints {
                "endpoints"
            } else {
                "conversations"
            }
        );
    }
    print(&s)?;
    Ok(pass.finish(&args.input.capture, "counted"))
}

/// "1s", "100ms", "10us", "1m", "0.5" (seconds) to nanoseconds.
fn parse_interval(text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = t.strip_suffix("us") {
        (n, 1e3)
    } else if let Some(n) = t.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1e9)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60e9)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600e9)
    } else {
        (t, 1e9)
    };
    let v: f64 = num.trim().parse().with_context(|| {
        format!("--interval {text}: expected a duration such as 1s, 100ms or 0.5")
    })?;
    let ns = (v * scale).round();
    if !(1.0..1e18).contains(&ns) {
        bail!("--interval {text}: must be at least 1ns and under 10^18 ns (about 31 years)");
    }
    Ok(ns as i64)
}

fn io(args: &IoArgs) -> anyhow::Result<ExitCode> {
    let interval = parse_interval(&args.interval)?;
    let mut io = wirehunt_stats::io::IoStats::new(interval);
    let pass = read_records(&args.input, |f, first| io.see(f.ts_ns - first, f.orig_len))?;
    if io.beyond() > 0 {
        eprintln!(
            "wirehunt: {} frames lie past {} intervals of {}; choose a longer --interval to see them",
            io.beyond(),
            wirehunt_stats::io::IoStats::MAX_BUCKETS,
            args.interval
        );
    }
    let buckets = io.buckets();
    if args.input.json {
        let mut s = String::new();
        for b in &buckets {
            let v = serde_json::json!({
                "start": b.start_ns as f64 / 1e9,
                "end": b.end_ns as f64 / 1e9,
                "frames": b.frames,
                "bytes": b.bytes,
            });
            s.push_str(&v.to_string());
            s.push('\n');
        }
        print(&s)?;
        return Ok(pass.finish(&args.input.capture, "counted"));
    }
    // Decimals enough to tell intervals apart.
    let digits = {
        let mut d = 0u8;
        while d < 9 && interval % 10i64.pow(9 - d as u32) != 0 {
            d += 1;
        }
        d
    };
    let max = buckets.iter().map(|b| b.frames).max().unwrap_or(0).max(1);
    const BAR: usize = 40;
    let mut t = Table::new(&[
        ("Interval", Align::Left),
        ("Frames", Align::Right),
        ("Bytes", Align::Right),
        ("", Align::Left),
    ]);
    for b in &buckets {
        let len = (b.frames as u128 * BAR as u128).div_ceil(max as u128) as usize;
        t.row(vec![
            format!(
                "{} – {}",
                seconds(b.start_ns, digits),
                seconds(b.end_ns, digits)
            ),
            grouped(b.frames),
            grouped(b.bytes),
            "█".repeat(len),
        ]);
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Duration: {} s, interval: {}, frames per interval: {}",
        seconds(io.span_ns(), 6),
        args.interval,
        sparkline(&buckets.iter().map(|b| b.frames).collect::<Vec<_>>())
    );
    s.push_str(&t.render(color_stdout()));
    print(&s)?;
    Ok(pass.finish(&args.input.capture, "counted"))
}

/// The counts as one line of block characters, at most 80 wide (wider
/// series are summed into 80 columns).
fn sparkline(counts: &[u64]) -> String {
    const TICKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let cols = counts.len().clamp(1, 80);
    let per = counts.len().div_ceil(cols).max(1);
    let sums: Vec<u64> = counts.chunks(per).map(|c| c.iter().sum()).collect();
    let max = sums.iter().copied().max().unwrap_or(0);
    sums.iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                TICKS[((v as u128 * 7).div_ceil(max as u128)) as usize]
            }
        })
        .collect()
}

fn expert(args: &ExpertArgs) -> anyhow::Result<ExitCode> {
    use wirehunt_stats::expert::{Expert, Severity};
    let floor = match args.severity.as_deref() {
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some("note") => Severity::Note,
        _ => Severity::Chat,
    };
    let (pass, e) = split_frames(
        &args.input,
        Needs::ANALYSIS,
        Expert::default,
        Expert::see,
        Expert::merge,
    )?;
    let items: Vec<_> = e
        .items()
        .into_iter()
        .filter(|i| i.severity <= floor)
        .collect();
    let mut s = String::new();
    if args.input.json {
        for i in &items {
            s.push_str(&serde_json::to_string(i)?);
            s.push('\n');
        }
        print(&s)?;
        return Ok(pass.finish(&args.input.capture, "counted"));
    }
    let color = color_stdout();
    let mut sev = None;
    for i in &items {
        if sev != Some(i.severity) {
            sev = Some(i.severity);
            let total: u64 = items
                .iter()
                .filter(|x| x.severity == i.severity)
                .map(|x| x.count)
                .sum();
            let _ = writeln!(s, "\n{} ({})", i.severity.heading(), grouped(total));
            let mut t = Table::new(&[
                ("Count", Align::Right),
                ("Group", Align::Left),
                ("Protocol", Align::Left),
                ("First frame", Align::Right),
                ("Summary", Align::Left),
            ]);
            for x in items.iter().filter(|x| x.severity == i.severity) {
                t.row(vec![
                    grouped(x.count),
                    x.group.clone(),
                    x.protocol.clone(),
                    x.first_frame.to_string(),
                    x.summary.clone(),
                ]);
            }
            s.push_str(&t.render(color));
        }
    }
    if items.is_empty() {
        s.push_str("No expert items.\n");
    }
    print(&s)?;
    Ok(pass.finish(&args.input.capture, "counted"))
}

pub fn follow(args: &FollowArgs) -> anyhow::Result<ExitCode> {
    use wirehunt_stats::follow::{Follow, HexStr};
    let proto = if args.proto == "udp" {
        wirehunt_dissect::Proto::Udp
    } else {
        wirehunt_dissect::Proto::Tcp
    };
    let mut f = Follow::new(proto, args.stream, Follow::DEFAULT_MAX_BYTES);
    let pass = read_frames(&args.input, Needs::FLOWS, |c| f.see(c))?;
    if !f.seen() {
        eprintln!(
            "wirehunt: {}: no {} stream {} (streams are numbered from 0, as tcp.stream and udp.stream)",
            args.input.capture.display(),
            args.proto,
            args.stream
        );
        pass.report_damage(&args.input.capture, "counted");
        return Ok(ExitCode::from(crate::EXIT_INPUT));
    }
    let node = |n: Option<(std::net::IpAddr, u16)>| match n {
        Some((a @ std::net::IpAddr::V6(_), p)) => format!("[{a}]:{p}"),
        Some((a, p)) => format!("{a}:{p}"),
        None => ":0".to_string(),
    };
    let nodes = f.nodes().map_or([None, None], |n| [Some(n[0]), Some(n[1])]);
    let bytes = f.bytes();
    let mut s = String::new();
    if args.input.json {
        let v = serde_json::json!({
            "proto": args.proto,
            "stream": args.stream,
            "node_0": node(nodes[0]),
            "node_1": node(nodes[1]),
            "bytes_node_0": bytes[0],
            "bytes_node_1": bytes[1],
            "chunks": f.chunks(),
        });
        s.push_str(&v.to_string());
        s.push('\n');
        print(&s)?;
        return Ok(pass.finish(&args.input.capture, "counted"));
    }
    let _ = writeln!(s, "Follow: {},{}", args.proto, args.format);
    let _ = writeln!(s, "Filter: {}.stream eq {}", args.proto, args.stream);
    let _ = writeln!(s, "Node 0: {}", node(nodes[0]));
    let _ = writeln!(s, "Node 1: {}", node(nodes[1]));
    let mut offset = [0usize; 2];
    for c in f.chunks() {
        let indent = if c.node == 1 { "\t" } else { "" };
        match args.format.as_str() {
            "raw" => {
                let _ = writeln!(s, "{indent}{}", HexStr(&c.data));
            }
            "hex" => {
                for (i, row) in c.data.chunks(16).enumerate() {
                    let mut hex = String::new();
                    let mut text = String::new();
                    for (j, b) in row.iter().enumerate() {
                        if j == 8 {
                            hex.push(' ');
                            text.push(' ');
                        }
                        let _ = write!(hex, "{b:02x} ");
                        text.push(if b.is_ascii_graphic() || *b == b' ' {
                            *b as char
                        } else {
                            '.'
                        });
                    }
                    let _ = writeln!(
                        s,
                        "{indent}{:08x}  {hex:<49} {text}",
                        offset[c.node as usize] + i * 16
                    );
                }
                offset[c.node as usize] += c.data.len();
            }
            _ => {
                let _ = writeln!(s, "{indent}{}", c.data.len());
                // Printable text; carriage returns dropped, other bytes as dots.
                let text: String = c
                    .data
                    .iter()
                    .filter_map(|&b| match b {
                        b'\r' => None,
                        b'\n' | b'\t' | 0x20..=0x7e => Some(b as char),
                        _ => Some('.'),
                    })
                    .collect();
                s.push_str(&text);
                if !text.ends_with('\n') {
                    s.push('\n');
                }
            }
        }
    }
    if f.chunks().is_empty() {
        let _ = writeln!(
            s,
            "(no payload: the stream carried only empty segments or datagrams, as a scan probe or a refused connection does)"
        );
    }
    let _ = writeln!(
        s,
        "{} bytes from node 0, {} bytes from node 1",
        grouped(bytes[0]),
        grouped(bytes[1])
    );
    if f.dropped() > 0 {
        let _ = writeln!(
            s,
            "{} bytes past the {} MiB cap not shown",
            grouped(f.dropped()),
            Follow::DEFAULT_MAX_BYTES >> 20
        );
    }
    print(&s)?;
    Ok(pass.finish(&args.input.capture, "counted"))
}
