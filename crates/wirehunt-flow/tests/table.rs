//! The conversation table under pressure: growth of its index, eviction
//! down to a third of the limit when full, and the prefetch hint.

use etherparse::PacketBuilder;
use wirehunt_dissect::{LinkType, dissect};
use wirehunt_flow::{ConversationTable, FlowConfig};

/// A SYN from 198.51.100.1:`port` (or 2001:db8::1) to the server, port 80.
fn syn(port: u16, v6: bool) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let b = if v6 {
        let mut s = [0u8; 16];
        s[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        let mut d = s;
        s[15] = 1;
        d[15] = 2;
        b.ipv6(s, d, 64)
    } else {
        b.ipv4([198, 51, 100, 1], [203, 0, 113, 2], 64)
    };
    let b = b.tcp(port, 80, 1000, 1024).syn();
    let mut out = Vec::new();
    b.write(&mut out, &[]).unwrap();
    out
}

/// Feeds `ports` in order (a millisecond apart, the next packet given as
/// the prefetch hint when `hint`), returning each packet's tcp.stream.
fn streams(table: &mut ConversationTable, ports: &[u16], v6: bool, hint: bool) -> Vec<u32> {
    let frames: Vec<Vec<u8>> = ports.iter().map(|&p| syn(p, v6)).collect();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        if hint && let Some(next) = frames.get(i + 1) {
            table.prefetch(next, LinkType(1));
        }
        let pkt = dissect(f, LinkType(1));
        let flows = table.track(&pkt, i as i64 * 1_000_000);
        out.push(flows.main().unwrap().stream);
    }
    out
}

#[test]
fn the_index_grows_and_conversations_keep_their_stream() {
    for v6 in [false, true] {
        let mut t = ConversationTable::new(FlowConfig::default());
        // 5000 conversations (the index starts at 1024 slots), then each
        // again: the same streams, nothing new.
        let ports: Vec<u16> = (1000..6000).collect();
        let first = streams(&mut t, &ports, v6, true);
        assert_eq!(first, (0..5000).collect::<Vec<u32>>());
        let again = streams(&mut t, &ports, v6, false);
        assert_eq!(again, first);
        assert_eq!((t.len(), t.tcp_streams(), t.evicted()), (5000, 5000, 0));
    }
}

#[test]
fn a_full_table_drops_the_least_recently_seen() {
    let cfg = FlowConfig {
        max_conversations: 30,
        ..FlowConfig::default()
    };
    let mut t = ConversationTable::new(cfg);
    // 30 conversations fill it; port 1000 is seen again last.
    let mut ports: Vec<u16> = (1000..1030).collect();
    ports.push(1000);
    assert_eq!(streams(&mut t, &ports, false, true)[30], 0);
    assert_eq!(t.len(), 30);
    // The 31st makes room: down to a third (10) of the limit, the most
    // recently seen kept (1000 and 1021..1029), then it joins.
    assert_eq!(streams(&mut t, &[2000], false, true), [30]);
    assert_eq!((t.len(), t.evicted()), (11, 20));
    // A kept conversation keeps its stream; a dropped one returns new.
    assert_eq!(
        streams(&mut t, &[1000, 1029, 1001], false, false),
        [0, 29, 31]
    );
}

#[test]
fn the_hint_changes_nothing() {
    let ports: Vec<u16> = (0..3000).map(|i| 1024 + (i * 7919 % 2000) as u16).collect();
    let cfg = FlowConfig {
        max_conversations: 500,
        ..FlowConfig::default()
    };
    let with = streams(&mut ConversationTable::new(cfg), &ports, false, true);
    let without = streams(&mut ConversationTable::new(cfg), &ports, false, false);
    assert_eq!(with, without);
    // A hint that is not a packet is ignored.
    let t = ConversationTable::new(FlowConfig::default());
    t.prefetch(&[], LinkType(1));
    t.prefetch(&[0xff; 20], LinkType(101));
}

#[test]
fn the_hint_on_a_table_past_the_caches_changes_nothing() {
    // 300,000 conversations: the index outgrows the size from which the
    // table prefetches. One SYN each, from 60 addresses x 5000 ports, with
    // and without the hint, then each again with the hint.
    let template = syn(1, false);
    let frame = |i: u32| {
        let mut f = template.clone();
        f[29] = (i / 5000) as u8; // last byte of the source address
        f[34..36].copy_from_slice(&((i % 5000) as u16 + 1024).to_be_bytes());
        f
    };
    let run = |t: &mut ConversationTable, hint: bool| -> Vec<u32> {
        let mut out = Vec::with_capacity(300_000);
        let mut next = frame(0);
        for i in 0..300_000u32 {
            let f = std::mem::replace(&mut next, frame(i + 1));
            if hint {
                t.prefetch(&next, LinkType(1));
            }
            let flows = t.track(&dissect(&f, LinkType(1)), i64::from(i));
            out.push(flows.main().unwrap().stream);
        }
        out
    };
    let mut with = ConversationTable::new(FlowConfig::default());
    let a = run(&mut with, true);
    let b = run(&mut ConversationTable::new(FlowConfig::default()), false);
    assert_eq!(a, b);
    assert_eq!(a[299_999], 299_999);
    assert_eq!(run(&mut with, true), a);
}
