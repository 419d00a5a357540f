//! TCP sequence analysis on hand-made conversations: each label tshark
//! would give, on the frame it would give it to.

use etherparse::PacketBuilder;
use wirehunt_dissect::{LinkType, dissect};
use wirehunt_flow::analysis::{TcpAnalysis, TcpAnalyzer, flags};
use wirehunt_flow::{ConversationTable, FlowConfig};

const C: [u8; 4] = [198, 51, 100, 1];
const S: [u8; 4] = [198, 51, 100, 2];

/// One segment: from the client?, seq, ack, SYN/ACK/FIN/RST bits, window, payload length.
struct Seg {
    client: bool,
    seq: u32,
    ack: u32,
    syn: bool,
    fin: bool,
    rst: bool,
    win: u16,
    len: usize,
    ms: i64,
}

fn seg(client: bool, seq: u32, ack: u32, len: usize, ms: i64) -> Seg {
    Seg {
        client,
        seq,
        ack,
        syn: false,
        fin: false,
        rst: false,
        win: 1000,
        len,
        ms,
    }
}

fn run(segs: &[Seg]) -> Vec<TcpAnalysis> {
    let mut table = ConversationTable::new(FlowConfig::default());
    let mut an = TcpAnalyzer::default();
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let (src, dst, sp, dp) = if s.client {
            (C, S, 40000, 80)
        } else {
            (S, C, 80, 40000)
        };
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, s.seq, s.win);
        if s.syn {
            b = b.syn();
        }
        if s.fin {
            b = b.fin();
        }
        if s.rst {
            b = b.rst();
        }
        if !(s.syn && s.client && s.ack == 0) {
            b = b.ack(s.ack);
        }
        let payload = vec![b'x'; s.len];
        let mut bytes = Vec::new();
        b.write(&mut bytes, &payload).unwrap();
        let pkt = dissect(&bytes, LinkType::ETHERNET);
        let flows = table.track(&pkt, s.ms * 1_000_000);
        out.push(an.see(&pkt, &flows, i as u64 + 1, s.ms * 1_000_000));
    }
    out
}

fn handshake() -> Vec<Seg> {
    vec![
        Seg {
            syn: true,
            ..seg(true, 1000, 0, 0, 0)
        },
        Seg {
            syn: true,
            ..seg(false, 5000, 1001, 0, 10)
        },
        seg(true, 1001, 5001, 0, 20),
    ]
}

#[test]
fn retransmission_after_the_round_trip() {
    let mut s = handshake();
    s.push(seg(true, 1001, 5001, 100, 30));
    s.push(seg(true, 1001, 5001, 100, 500));
    let a = run(&s);
    assert!(a[..4].iter().all(|a| a.flags == 0), "{a:?}");
    assert!(a[4].has(flags::RETRANSMISSION), "{:?}", a[4]);
    let mut text = Vec::new();
    a[4].write_labels(&mut text);
    assert_eq!(text, b"[TCP Retransmission] ");
}

#[test]
fn duplicate_acks_then_fast_retransmission() {
    let mut s = handshake();
    s.push(seg(false, 5001, 1001, 100, 30)); // 4
    s.push(seg(false, 5101, 1001, 100, 31)); // 5
    s.push(seg(true, 1001, 5101, 0, 40)); // 6: ack of the first
    s.push(seg(true, 1001, 5101, 0, 41)); // 7: dup 1
    s.push(seg(true, 1001, 5101, 0, 42)); // 8: dup 2
    s.push(seg(false, 5101, 1001, 100, 45)); // 9: fast retransmission
    let a = run(&s);
    assert!(a[6].has(flags::DUPLICATE_ACK) && a[6].dup_ack_num == 1 && a[6].dup_ack_frame == 6);
    assert!(a[7].has(flags::DUPLICATE_ACK) && a[7].dup_ack_num == 2);
    let mut text = Vec::new();
    a[7].write_labels(&mut text);
    assert_eq!(text, b"[TCP Dup ACK 6#2] ");
    assert!(a[8].has(flags::FAST_RETRANSMISSION), "{:?}", a[8]);
}

#[test]
fn gap_is_lost_segment_and_its_ack_unseen() {
    let mut s = handshake();
    s.push(seg(false, 5001, 1001, 100, 30));
    s.push(seg(false, 5201, 1001, 100, 40)); // 5101..5201 never captured
    s.push(seg(true, 1001, 5301, 0, 50));
    let a = run(&s);
    assert!(a[4].has(flags::LOST_PACKET), "{:?}", a[4]);
    // The ACK covers the gap, whose bytes were never seen: tshark flags it.
    assert!(a[5].has(flags::ACK_LOST_PACKET), "{:?}", a[5]);
    // Acknowledging beyond what the server was seen to send.
    let mut s = handshake();
    s.push(seg(false, 5001, 1001, 100, 30));
    s.push(seg(true, 1001, 9000, 0, 40));
    assert!(run(&s)[4].has(flags::ACK_LOST_PACKET));
}

#[test]
fn zero_window_probe_and_keep_alive() {
    let mut s = handshake();
    s.push(Seg {
        win: 0,
        ..seg(false, 5001, 1001, 0, 30)
    }); // zero window
    s.push(seg(true, 1001, 5001, 1, 40)); // probe
    s.push(Seg {
        win: 0,
        ..seg(false, 5001, 1002, 0, 50)
    });
    let a = run(&s);
    assert!(a[3].has(flags::ZERO_WINDOW), "{:?}", a[3]);
    assert!(a[4].has(flags::ZERO_WINDOW_PROBE), "{:?}", a[4]);
    let mut s = handshake();
    s.push(seg(true, 1000, 5001, 0, 30_000)); // keep-alive: one below next
    s.push(seg(false, 5001, 1001, 0, 30_010)); // its ACK
    let a = run(&s);
    assert!(a[3].has(flags::KEEP_ALIVE), "{:?}", a[3]);
    assert!(a[4].has(flags::KEEP_ALIVE_ACK), "{:?}", a[4]);
}

#[test]
fn who_closes_first() {
    let mut s = handshake();
    s.push(Seg {
        fin: true,
        ..seg(true, 1001, 5001, 0, 30)
    });
    s.push(Seg {
        fin: true,
        ..seg(false, 5001, 1002, 0, 40)
    });
    let a = run(&s);
    assert!(a[3].has(flags::FIN_ACTIVE) && !a[3].has(flags::FIN_PASSIVE));
    assert!(a[4].has(flags::FIN_PASSIVE));
    assert_eq!(
        a[3].flags & flags::ANY,
        0,
        "closing is not an analysis flag"
    );
}
