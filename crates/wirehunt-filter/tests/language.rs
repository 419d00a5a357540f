//! The filter language on frames built here: semantics that tshark 4.0
//! cannot check (xor, space-separated sets), error messages, and property
//! tests: printing a tree and parsing it back gives the same tree; random
//! input never panics.

use proptest::prelude::*;
use wirehunt_capture::{CaptureReader, LinkType, PcapWriter};
use wirehunt_fields::FrameCtx;
use wirehunt_filter::{Filter, parse};
use wirehunt_flow::{ConversationTable, FlowConfig};

/// Ethernet + IPv4 + TCP, SYN from 10.0.0.1:40000 to 10.0.0.2:`dport`.
fn syn(dport: u16, ttl: u8) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0x40, 0, ttl, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x04, 0x00, 0, 0, 0, 0]);
    f
}

/// Frame numbers that `filter` selects among SYNs to 22, 80, 443, 8080
/// (TTLs 64, 64, 128, 32).
fn run(filter: &str) -> Vec<u64> {
    let f = Filter::new(filter).unwrap_or_else(|e| panic!("{e}"));
    let mut w = PcapWriter::new(LinkType(1));
    for (i, (p, ttl)) in [(22, 64), (80, 64), (443, 128), (8080, 32)]
        .iter()
        .enumerate()
    {
        w.frame(i as u64 * 1000, &syn(*p, *ttl));
    }
    let mut r = CaptureReader::from_bytes(w.into_bytes()).unwrap();
    let mut table = ConversationTable::new(FlowConfig::default());
    let mut out = Vec::new();
    while let Ok(Some(frame)) = r.next_frame() {
        let pkt = wirehunt_dissect::dissect(frame.data, frame.link_type);
        let ctx = FrameCtx {
            frame: &frame,
            pkt: &pkt,
            flows: table.track(&pkt, frame.ts_ns),
            first_ts_ns: 0,
            http: Default::default(),
            tcp: Default::default(),
            arp: Default::default(),
            reassembly_error: false,
        };
        if f.matches(&ctx) {
            out.push(frame.number);
        }
    }
    out
}

#[test]
fn xor_and_space_separated_sets() {
    assert_eq!(run("tcp.dstport == 22 xor ip.ttl == 64"), [2]);
    assert_eq!(run("tcp.dstport == 22 ^^ ip.ttl == 64"), [2]);
    assert_eq!(run("tcp.port in {80 443 8000..8100}"), [2, 3, 4]);
    assert_eq!(run("tcp.port in {80, 443}"), [2, 3]);
    // and binds tighter than xor, xor tighter than or.
    assert_eq!(
        run("tcp.dstport == 22 || tcp.dstport == 80 ^^ ip.ttl == 64 && tcp.dstport == 80"),
        [1]
    );
}

#[test]
fn wireshark_semantics() {
    assert_eq!(run("ip.addr != 10.0.0.2"), Vec::<u64>::new());
    assert_eq!(run("ip.addr != 10.0.0.3"), [1, 2, 3, 4]);
    assert_eq!(run("ip.addr ~= 10.0.0.2"), [1, 2, 3, 4]);
    assert_eq!(run("ip.addr === 10.0.0.2"), Vec::<u64>::new());
    assert_eq!(run("ip.addr == 10.0.0.0/30 && ip.ttl ge 64"), [1, 2, 3]);
    assert_eq!(run("tcp.flags & 0x02 && tcp.dstport > 100"), [3, 4]);
    assert_eq!(run("tcp[2:2] == 00:50"), [2]);
    assert_eq!(
        run("frame[-4:2] == 00:00 and count(ip.addr) == 2"),
        [1, 2, 3, 4]
    );
    assert_eq!(run("ip.ttl == 0x80 or ip.ttl == 040"), [3, 4]);
    assert_eq!(run("not tcp.port in {22, 80}"), [3, 4]);
    assert_eq!(run("udp || !tcp"), Vec::<u64>::new());
}

#[test]
fn errors_point_at_the_problem() {
    let e = Filter::new("tcp.flag.reset == 1").unwrap_err();
    assert_eq!(e.suggestion.as_deref(), Some("tcp.flags.reset"));
    let text = e.to_string();
    assert!(
        text.contains("did you mean \"tcp.flags.reset\"")
            && text.contains("\n    tcp.flag.reset == 1\n    ^~~~~~~~~~~~~~"),
        "{text}"
    );
    let e = Filter::new("ip.src == 10.0.0.1 && (tcp.port == 80").unwrap_err();
    assert!(e.message.contains("unbalanced parenthesis"), "{e}");
    assert_eq!(e.pos, 22);
    let e = Filter::new("ip.src == 10.0.0.300").unwrap_err();
    assert!(e.message.contains("not an IPv4 address"), "{e}");
    let e = Filter::new("tcp.port == \"80\"").unwrap_err();
    assert!(
        e.message.contains("quoted strings are for string fields"),
        "{e}"
    );
    assert!(Filter::new("").is_err());
    assert!(Filter::new("tcp.port in {}").is_err());
    assert!(Filter::new("http.host matches \"(\"").is_err());
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tcp.port".to_string()),
        Just("ip.src".to_string()),
        Just("frame".to_string()),
        Just("http.host".to_string()),
        Just("eth.src".to_string()),
        "[a-z]{1,6}(\\.[a-z]{1,6}){0,2}",
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..70000).prop_map(|n| n.to_string()),
        Just("0x1f".to_string()),
        Just("10.0.0.0/8".to_string()),
        Just("02:42:c6".to_string()),
        Just("\"a\\\"b\\\\c\\x41\"".to_string()),
        Just("True".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        name(),
        (
            name(),
            prop_oneof![
                Just("=="),
                Just("!="),
                Just("==="),
                Just("!=="),
                Just("<"),
                Just(">="),
                Just("eq"),
                Just("contains"),
                Just("matches")
            ],
            literal()
        )
            .prop_map(|(n, op, l)| format!("{n} {op} {l}")),
        (name(), literal(), literal()).prop_map(|(n, a, b)| format!("{n} in {{{a}, {b}..{b}}}")),
        (name(), 0i64..10, 1u64..5).prop_map(|(n, s, l)| format!("{n}[{s}:{l}] == 00")),
        (name(), literal()).prop_map(|(n, l)| format!("len({n}) > {l}")),
        (name(), 0u32..255).prop_map(|(n, m)| format!("{n} & {m}")),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} ^^ {b}")),
            inner.clone().prop_map(|a| format!("!({a})")),
            inner.prop_map(|a| format!("not {a}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn printing_and_parsing_give_the_same_tree(text in expr()) {
        if let Ok(tree) = parse(&text) {
            let printed = tree.to_string();
            let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
            prop_assert_eq!(tree.without_positions(), again.without_positions(), "{}", printed);
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,60}") {
        let _ = Filter::new(&text);
    }

    #[test]
    fn random_filter_shapes_never_panic(text in expr()) {
        if let Ok(f) = Filter::new(&text) {
            let _ = f.text();
        }
    }
}

/// Inputs the fuzzer (fuzz/, target `filter`) found crashing, kept in
/// tests/fuzz/ once fixed.
#[test]
fn fuzz_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let _ = Filter::new(&text);
        if let Ok(tree) = parse(&text) {
            assert_eq!(
                parse(&tree.to_string()).unwrap().without_positions(),
                tree.without_positions()
            );
        }
        n += 1;
    }
    assert!(n >= 1);
    // A slice holding a multi-byte character (the first crash).
    assert!(Filter::new("ip[\u{34e}-] == 1").is_err());
}
