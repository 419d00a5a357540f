//! `-f`: capture filters in tcpdump's syntax, compiled by libpcap (the
//! `bpf` feature), select the frames the equivalent display filter selects.

mod common;

use common::{data, wirehunt};

#[cfg(feature = "bpf")]
#[test]
fn bpf_selects_what_the_display_filter_selects() {
    let p = data("01_syn_scan.pcap");
    let p = p.to_str().unwrap();
    for (bpf, display) in [
        ("tcp[tcpflags] & (tcp-rst) != 0", "tcp.flags.reset == 1"),
        (
            "host 198.51.100.20 and tcp port 22",
            "ip.addr == 198.51.100.20 && tcp.port == 22",
        ),
        ("arp", "arp"),
        (
            "tcp[tcpflags] == tcp-syn and tcp[14:2] == 1024",
            "tcp.flags == 0x002 && tcp.window_size == 1024",
        ),
    ] {
        let (c1, a, e1) = wirehunt(
            &[
                "packets",
                p,
                "-f",
                bpf,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ],
            None,
        );
        let (c2, b, e2) = wirehunt(
            &[
                "packets",
                p,
                "-Y",
                display,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ],
            None,
        );
        assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
        assert!(!a.is_empty(), "{bpf} selects something");
        assert_eq!(a, b, "-f '{bpf}' and -Y '{display}'");
    }
    let (code, out, err) = wirehunt(&["packets", p, "-f", "tcp[tcpflags] & (tcp-rst != 0"], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("invalid capture filter"), "{err}");
    // hunt: only the target's answers pass, so no scan is seen.
    let (code, out, _) = wirehunt(&["hunt", "-f", "src host 198.51.100.20", p], None);
    assert_eq!(code, 0);
    assert!(out.contains("No findings."), "{out}");
}

#[cfg(not(feature = "bpf"))]
#[test]
fn without_libpcap_the_flag_says_why() {
    let p = data("01_syn_scan.pcap");
    let (code, out, err) = wirehunt(&["packets", p.to_str().unwrap(), "-f", "tcp"], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("built without") && err.contains("--features bpf"),
        "{err}"
    );
}
