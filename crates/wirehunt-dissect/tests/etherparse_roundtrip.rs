//! Property tests: etherparse (an independent implementation) builds random
//! Ethernet / VLAN / IPv4 or IPv6 / TCP or UDP frames, and our dissectors
//! must read back every field it wrote.

use etherparse::{IpHeaders, Ipv4Header, Ipv6Header, PacketBuilder, TcpHeader, VlanId};
use proptest::prelude::*;
use wirehunt_dissect::tcp::flags;
use wirehunt_dissect::{LinkType, Proto, dissect};

#[derive(Debug, Clone)]
enum Ip {
    V4 {
        src: [u8; 4],
        dst: [u8; 4],
        ttl: u8,
        id: u16,
        df: bool,
    },
    V6 {
        src: [u8; 16],
        dst: [u8; 16],
        hop: u8,
    },
}

#[derive(Debug, Clone)]
enum L4 {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        win: u16,
        bits: u16,
        mss: Option<u16>,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
}

fn ip() -> impl Strategy<Value = Ip> {
    prop_oneof![
        (
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<u8>(),
            any::<u16>(),
            any::<bool>()
        )
            .prop_map(|(src, dst, ttl, id, df)| Ip::V4 {
                src,
                dst,
                ttl,
                id,
                df
            }),
        (any::<[u8; 16]>(), any::<[u8; 16]>(), any::<u8>()).prop_map(|(src, dst, hop)| Ip::V6 {
            src,
            dst,
            hop
        }),
    ]
}

/// Ports away from the ones wirehunt decodes further (DNS, SSDP, VXLAN, …).
fn port() -> impl Strategy<Value = u16> {
    10_000u16..60_000
}

fn l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        (
            port(),
            port(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            0u16..0x200,
            proptest::option::of(any::<u16>())
        )
            .prop_map(|(sport, dport, seq, ack, win, bits, mss)| L4::Tcp {
                sport,
                dport,
                seq,
                ack,
                win,
                bits,
                mss
            }),
        (port(), port()).prop_map(|(sport, dport)| L4::Udp { sport, dport }),
    ]
}

fn build(mac: ([u8; 6], [u8; 6]), vlan: Option<u16>, ip: &Ip, l4: &L4, payload: &[u8]) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2(mac.0, mac.1);
    let headers = match *ip {
        Ip::V4 {
            src,
            dst,
            ttl,
            id,
            df,
        } => {
            let mut h =
                Ipv4Header::new(0, ttl, etherparse::IpNumber::TCP, src, dst).expect("header");
            h.identification = id;
            h.dont_fragment = df;
            IpHeaders::Ipv4(h, Default::default())
        }
        Ip::V6 { src, dst, hop } => IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: 0,
                next_header: etherparse::IpNumber::TCP,
                hop_limit: hop,
                source: src,
                destination: dst,
            },
            Default::default(),
        ),
    };
    let step = match vlan {
        Some(v) => eth
            .single_vlan(VlanId::try_new(v).expect("12 bits"))
            .ip(headers),
        None => eth.ip(headers),
    };
    let mut out = Vec::new();
    match *l4 {
        L4::Tcp {
            sport,
            dport,
            seq,
            ack,
            win,
            bits,
            mss,
        } => {
            let mut t = TcpHeader::new(sport, dport, seq, win);
            t.fin = bits & flags::FIN != 0;
            t.syn = bits & flags::SYN != 0;
            t.rst = bits & flags::RST != 0;
            t.psh = bits & flags::PSH != 0;
            t.ack = bits & flags::ACK != 0;
            t.urg = bits & flags::URG != 0;
            t.ece = bits & flags::ECE != 0;
            t.cwr = bits & flags::CWR != 0;
            t.ns = bits & flags::AE != 0;
            t.acknowledgment_number = ack;
            if let Some(m) = mss {
                t.set_options(&[etherparse::TcpOptionElement::MaximumSegmentSize(m)])
                    .expect("fits");
            }
            step.tcp_header(t).write(&mut out, payload).expect("write");
        }
        L4::Udp { sport, dport } => step
            .udp(sport, dport)
            .write(&mut out, payload)
            .expect("write"),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn dissectors_read_what_etherparse_wrote(
        mac in any::<([u8; 6], [u8; 6])>(),
        vlan in proptest::option::of(0u16..4095),
        ip in ip(),
        l4 in l4(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let frame = build(mac, vlan, &ip, &l4, &payload);
        let p = dissect(&frame, LinkType(1));
        prop_assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
        let eth = p.ethernet().expect("ethernet");
        prop_assert_eq!(eth.src().0, mac.0);
        prop_assert_eq!(eth.dst().0, mac.1);
        prop_assert_eq!(p.has(Proto::Vlan), vlan.is_some());
        match ip {
            Ip::V4 { src, dst, ttl, id, df } => {
                let h = p.ipv4().expect("ipv4");
                prop_assert_eq!(h.src().octets(), src);
                prop_assert_eq!(h.dst().octets(), dst);
                prop_assert_eq!(h.ttl(), ttl);
                prop_assert_eq!(h.ident(), id);
                prop_assert_eq!(h.dont_frag(), df);
                prop_assert!(h.header_checksum_ok());
            }
            Ip::V6 { src, dst, hop } => {
                let h = p.ipv6().expect("ipv6");
                prop_assert_eq!(h.src().octets(), src);
                prop_assert_eq!(h.dst().octets(), dst);
                prop_assert_eq!(h.hop_limit(), hop);
            }
        }
        match l4 {
            L4::Tcp { sport, dport, seq, ack, win, bits, mss } => {
                let t = p.tcp().expect("tcp");
                prop_assert_eq!((t.src_port(), t.dst_port()), (sport, dport));
                prop_assert_eq!((t.seq(), t.ack(), t.window()), (seq, ack, win));
                prop_assert_eq!(t.flags(), bits);
                let got_mss = t.options().find_map(|o| match o {
                    wirehunt_dissect::tcp::TcpOption::Mss(m) => Some(m),
                    _ => None,
                });
                prop_assert_eq!(got_mss, mss);
                prop_assert_eq!(t.payload(), &payload[..]);
                let tr = p.transports().next().expect("transport");
                prop_assert_eq!((tr.proto, tr.src_port, tr.dst_port), (Proto::Tcp, sport, dport));
            }
            L4::Udp { sport, dport } => {
                let u = p.udp().expect("udp");
                prop_assert_eq!((u.src_port(), u.dst_port()), (sport, dport));
                prop_assert_eq!(usize::from(u.length()), 8 + payload.len());
                prop_assert_eq!(u.payload(), &payload[..]);
            }
        }
    }

    /// Any bytes, any link type: no panic, layers inside the frame.
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400), link in prop_oneof![Just(1u32), Just(0), Just(101), Just(113), Just(276), Just(12), Just(228), Just(229)]) {
        let p = dissect(&data, LinkType(link));
        for l in p.layers() {
            prop_assert!(l.start <= l.end && l.end as usize <= data.len());
        }
    }
}
