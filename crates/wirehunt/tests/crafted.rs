//! Crafted frames for the corners of Wireshark's dissection that the corpus
//! reaches only through its fuzzed capture: each expected line is what
//! Debian's tshark 4.0 printed for the same frame (`tshark -n -r FILE` and
//! `-T fields`). Set `WIREHUNT_CRAFTED_OUT=FILE` to write the capture and
//! check again with tshark.

mod common;

use common::wirehunt;

const SRC_MAC: [u8; 6] = [0x00, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa];
const DST_MAC: [u8; 6] = [0x00, 0x30, 0x00, 0x00, 0x00, 0x01];

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = DST_MAC.to_vec();
    b.extend_from_slice(&SRC_MAC);
    b.extend_from_slice(&ethertype.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

/// An IPv4 header from 198.51.100.1 to 198.51.100.2 with `first` as its
/// version/length byte, the total length `total`, then `payload`.
fn ipv4(first: u8, total: u16, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![first, 0];
    b.extend_from_slice(&total.to_be_bytes());
    b.extend_from_slice(&[
        0, 1, 0, 0, 64, proto, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2,
    ]);
    b.extend_from_slice(payload);
    b
}

/// An IPv6 header from 2001:db8::1 to 2001:db8::2.
fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x60, 0, 0, 0];
    b.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[next, 64]);
    for last in [1, 2] {
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        b.extend_from_slice(&[0; 11]);
        b.push(last);
    }
    b.extend_from_slice(payload);
    b
}

fn capture() -> Vec<u8> {
    let frames = [
        // 1-3: type 0xaaaa belongs to WSE remote Ethernet, which takes every
        // payload but its subtype 0x0200 without a word; 0xaaab has no
        // dissector.
        eth(0xaaaa, &[0xaa; 40]),
        eth(0xaaaa, &[0x00; 40]),
        eth(0xaaab, &[0xaa; 40]),
        // 4-6: bogus IPv4 headers: version 5, header length 4, version 6
        // (read on as IPv6).
        eth(0x0800, &ipv4(0x55, 40, 6, &[0; 20])),
        eth(0x0800, &ipv4(0x41, 40, 6, &[0; 20])),
        eth(0x0800, &ipv6(59, &[])),
        // 7-8: IPv4 protocols no dissector claims, with and without payload.
        eth(0x0800, &ipv4(0x45, 28, 99, &[0x61; 8])),
        eth(0x0800, &ipv4(0x45, 20, 218, &[])),
        // 9: the IP length leaves 12 bytes of TCP: the ports, then the end.
        eth(
            0x0800,
            &ipv4(
                0x45,
                32,
                6,
                &[0xe5, 0x21, 0xba, 0x1d, 0, 0, 0, 1, 0, 0, 0, 0],
            ),
        ),
        // 10-14: IPv6: no next header; hop-by-hop options past the packet;
        // a PadN option past its 8-byte header; destination options; an
        // unassigned protocol.
        eth(0x86dd, &ipv6(0, &[59, 0, 1, 4, 0, 0, 0, 0])),
        eth(0x86dd, &ipv6(0, &[59, 40, 0, 0, 0, 0, 0, 0])),
        eth(0x86dd, &ipv6(0, &[59, 0, 1, 10, 0, 0, 0, 0])),
        eth(0x86dd, &ipv6(60, &[59, 40, 0, 0, 0, 0, 0, 0])),
        eth(0x86dd, &ipv6(253, b"abcd")),
    ];
    let mut w = wirehunt_capture::PcapWriter::new(wirehunt_capture::LinkType::ETHERNET);
    for (i, f) in frames.iter().enumerate() {
        w.frame(i as u64 * 1_000_000, f);
    }
    let cap = w.into_bytes();
    if let Some(path) = std::env::var_os("WIREHUNT_CRAFTED_OUT") {
        std::fs::write(path, &cap).unwrap();
    }
    cap
}

fn run(args: &[&str]) -> String {
    let cap = capture();
    let mut all = vec!["packets", "-"];
    all.extend_from_slice(args);
    let (code, out, err) = wirehunt(&all, Some(&cap));
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn packet_list_as_tshark_prints_it() {
    let expected = "\
    1   0.000000 00:aa:aa:aa:aa:aa → 00:30:00:00:00:01 Ethernet 54 Ethernet II
    2   1.000000 00:aa:aa:aa:aa:aa → 00:30:00:00:00:01 Ethernet 54 Ethernet II
    3   2.000000 00:aa:aa:aa:aa:aa → 00:30:00:00:00:01 0xaaab 54 Ethernet II
    4   3.000000 00:aa:aa:aa:aa:aa → 00:30:00:00:00:01 IPv4 54 Bogus IPv4 version (5, must be 4)
    5   4.000000 00:aa:aa:aa:aa:aa → 00:30:00:00:00:01 IPv4 54 Bogus IP header length (4, must be at least 20)
    6   5.000000  2001:db8::1 → 2001:db8::2  IPv6 54 IPv6 no next header
    7   6.000000 198.51.100.1 → 198.51.100.2 IPv4 42 any private encryption scheme (99)
    8   7.000000 198.51.100.1 → 198.51.100.2 IPv4 34 
    9   8.000000 198.51.100.1 → 198.51.100.2 TCP 46 58657 → 47645[Malformed Packet]
   10   9.000000  2001:db8::1 → 2001:db8::2  IPv6 62 IPv6 no next header
   11  10.000000  2001:db8::1 → 2001:db8::2  IPv6 62 IPv6 hop-by-hop options[Malformed Packet]
   12  11.000000  2001:db8::1 → 2001:db8::2  IPv6 62 IPv6 hop-by-hop options[Malformed Packet]
   13  12.000000  2001:db8::1 → 2001:db8::2  IPv6 62 IPv6 destination options[Malformed Packet]
   14  13.000000  2001:db8::1 → 2001:db8::2  IPv6 58 Unknown IP Protocol: Unknown (253)
";
    let out = run(&[]);
    for (i, (a, b)) in expected.lines().zip(out.lines()).enumerate() {
        assert_eq!(b.trim(), a.trim(), "frame {}", i + 1);
    }
    assert_eq!(out.lines().count(), expected.lines().count());
}

#[test]
fn fields_as_tshark_prints_them() {
    let out = run(&[
        "-T",
        "fields",
        "-e",
        "frame.protocols",
        "-e",
        "ip.version",
        "-e",
        "ip.hdr_len",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.stream",
        "-e",
        "tcp.seq",
    ]);
    let expected = "\
eth\t\t\t\t\t
eth\t\t\t\t\t
eth:ethertype:data\t\t\t\t\t
eth:ethertype:ip\t5\t\t\t\t
eth:ethertype:ip\t4\t4\t\t\t
eth:ethertype:ip:ipv6\t6,6\t\t\t\t
eth:ethertype:ip:data\t4\t20\t\t\t
eth:ethertype:ip\t4\t20\t\t\t
eth:ethertype:ip:tcp\t4\t20\t58657\t\t
eth:ethertype:ipv6:ipv6.hopopts\t6\t\t\t\t
eth:ethertype:ipv6:ipv6.hopopts\t6\t\t\t\t
eth:ethertype:ipv6:ipv6.hopopts\t6\t\t\t\t
eth:ethertype:ipv6:ipv6.dstopts\t6\t\t\t\t
eth:ethertype:ipv6:data\t6\t\t\t\t
";
    for (i, (a, b)) in expected.lines().zip(out.lines()).enumerate() {
        assert_eq!(b, a, "frame {}", i + 1);
    }
    assert_eq!(out.lines().count(), expected.lines().count());
}

#[test]
fn filters_see_the_bogus_header_as_ip() {
    let frames = |filter: &str| {
        run(&["-Y", filter, "-T", "fields", "-e", "frame.number"])
            .lines()
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(frames("ip"), "4,5,6,7,8,9");
    assert_eq!(frames("len(ip) == 20"), "4,7,8,9");
    assert_eq!(frames("len(ip) == 4"), "5");
    assert_eq!(frames("ip.version == 6"), "6,10,11,12,13,14");
    assert_eq!(frames("tcp"), "9");
}
