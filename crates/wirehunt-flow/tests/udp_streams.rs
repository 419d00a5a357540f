//! `udp.stream` numbers on hand-made datagrams, including the conversations
//! Wireshark's TFTP and SNMP dissectors open (the numbers tshark 4.0 gives
//! the same datagrams in generated/04b_udp_scan.pcap).

use etherparse::PacketBuilder;
use wirehunt_dissect::{LinkType, dissect};
use wirehunt_flow::{ConversationTable, FlowConfig};

const C: [u8; 4] = [198, 51, 100, 10];
const S: [u8; 4] = [198, 51, 100, 20];

/// (from the client?, client port, server port, payload) per datagram;
/// returns each one's stream and whether it joined a TFTP conversation.
fn streams(datagrams: &[(bool, u16, u16, &[u8])]) -> Vec<(u32, bool)> {
    let mut table = ConversationTable::new(FlowConfig::default());
    datagrams
        .iter()
        .enumerate()
        .map(|(i, &(client, cport, sport, payload))| {
            let (src, dst, sp, dp) = if client {
                (C, S, cport, sport)
            } else {
                (S, C, sport, cport)
            };
            let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .udp(sp, dp);
            let mut bytes = Vec::new();
            b.write(&mut bytes, payload).unwrap();
            let pkt = dissect(&bytes, LinkType::ETHERNET);
            let f = table.track(&pkt, i as i64 * 1_000_000).main().unwrap();
            (f.stream, f.tftp)
        })
        .collect()
}

/// A minimal SNMP GetRequest: SEQUENCE { INTEGER version, … }.
const SNMP: &[u8] = &[0x30, 0x05, 0x02, 0x01, 0x01, 0x04, 0x00];

#[test]
fn plain_datagrams_get_a_stream_per_port_pair() {
    assert_eq!(
        streams(&[
            (true, 35205, 53, b"x"),
            (false, 35205, 53, b"y"),
            (true, 35205, 54, b"z"),
        ]),
        [(0, false), (0, false), (1, false)]
    );
}

#[test]
fn tftp_request_opens_a_conversation_to_any_server_port() {
    assert_eq!(
        streams(&[
            // An earlier port pair keeps its own stream.
            (true, 35205, 5060, b"a"),
            // Empty datagrams reach no dissector: no TFTP conversation.
            (true, 35205, 69, b""),
            (true, 35205, 70, b"b"),
            // The request: its own pair, then the TFTP conversation.
            (true, 35205, 69, b"\x00\x01f\x00octet\x00"),
            (true, 35205, 69, b"c"),
            // Other server ports join it, both ways, with one stream.
            (true, 35205, 520, b"d"),
            (false, 35205, 999, b"e"),
            (true, 35205, 5060, b"f"),
            (true, 35206, 520, b"g"),
        ]),
        [
            (0, false),
            (1, false),
            (2, false),
            (1, false),
            (1, false),
            (3, true),
            (3, true),
            (0, false),
            (4, false),
        ]
    );
}

#[test]
fn snmp_request_opens_a_new_conversation_on_its_pair_once() {
    assert_eq!(
        streams(&[
            (true, 35205, 161, SNMP),
            (true, 35205, 161, SNMP),
            (false, 35205, 161, SNMP),
            (true, 35205, 161, SNMP),
            // Not SNMP: no new conversation.
            (true, 35206, 161, b"nope"),
            (true, 35206, 161, b"nope"),
            // A port the SNMP conversation does not cover.
            (true, 35205, 69, b""),
        ]),
        [
            (0, false),
            (1, false),
            (1, false),
            (1, false),
            (2, false),
            (2, false),
            (3, false)
        ]
    );
}
