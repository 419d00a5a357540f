//! A TLS record over three segments, the middle one late (out of order),
//! then part of it again out of order once the record is put together:
//! tshark 4.0 reports the reassembly error on that last segment, in the
//! packet list, the detail view and the expert view. Each expected line is
//! what Debian's tshark 4.0 printed for the same capture (set
//! `WIREHUNT_TLS_OUT=FILE` to write it and check again).

mod common;

use common::wirehunt;

const CLIENT: [u8; 4] = [198, 51, 100, 1];
const SERVER: [u8; 4] = [203, 0, 113, 2];

/// An Ethernet/IPv4/TCP frame; `to_server` picks the direction.
fn segment(to_server: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if to_server {
        (CLIENT, SERVER, 50000u16, 443u16)
    } else {
        (SERVER, CLIENT, 443, 50000)
    };
    let mut f = vec![0, 0x30, 0, 0, 0, 1, 0, 0x30, 0, 0, 0, 2, 0x08, 0x00];
    let total = (20 + 20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

fn capture() -> Vec<u8> {
    let alert = [21, 3, 3, 0, 2, 1, 0];
    let mut record = vec![23, 3, 3, (2995u16 >> 8) as u8, 2995u16 as u8];
    record.resize(3000, 0x5a);
    let s = 5001u32;
    let r = s + alert.len() as u32;
    // (milliseconds, frame)
    let frames: Vec<(u64, Vec<u8>)> = vec![
        (0, segment(true, 1000, 0, SYN, &[])),
        (10, segment(false, 5000, 1001, SYN | ACK, &[])),
        (20, segment(true, 1001, 5001, ACK, &[])),
        (30, segment(false, s, 1001, PSH_ACK, &alert)),
        (40, segment(false, r, 1001, ACK, &record[..1000])),
        (41, segment(false, r + 2000, 1001, PSH_ACK, &record[2000..])),
        (42, segment(false, r + 1000, 1001, ACK, &record[1000..2000])),
        (43, segment(false, r + 1500, 1001, ACK, &record[1500..2000])),
        (60, segment(true, 1001, r + 3000, ACK, &[])),
    ];
    let mut w = wirehunt_capture::PcapWriter::new(wirehunt_capture::LinkType::ETHERNET);
    for (ms, f) in &frames {
        w.frame(ms * 1000, f);
    }
    let cap = w.into_bytes();
    if let Some(path) = std::env::var_os("WIREHUNT_TLS_OUT") {
        std::fs::write(path, &cap).unwrap();
    }
    cap
}

fn run(args: &[&str]) -> String {
    let (code, out, err) = wirehunt(args, Some(&capture()));
    assert_eq!(code, 0, "{err}");
    out
}

/// tshark 4.0's lines for the TCP frames (its TLS lines are not wirehunt's
/// to print yet; the list test of the corpus skips them too).
const TSHARK_TCP_LINES: &[&str] = &[
    "    6   0.041000  203.0.113.2 → 198.51.100.1 TCP 1054 [TCP Previous segment not captured] 443 → 50000 [PSH, ACK] Seq=2008 Ack=1 Win=65535 Len=1000",
    "    7   0.042000  203.0.113.2 → 198.51.100.1 TCP 1054 [TCP Out-Of-Order] 443 → 50000 [ACK] Seq=1008 Ack=1 Win=65535 Len=1000",
    "    8   0.043000  203.0.113.2 → 198.51.100.1 TCP 554 [TCP Out-Of-Order] 443 → 50000 [ACK] Seq=1508 Ack=1 Win=65535 Len=500[Reassembly error, protocol TCP: New fragment overlaps old data (retransmission?)]",
    "    9   0.060000 198.51.100.1 → 203.0.113.2  TCP 54 50000 → 443 [ACK] Seq=1 Ack=3008 Win=65535 Len=0",
];

const ERROR: &str =
    "[Reassembly error, protocol TCP: New fragment overlaps old data (retransmission?)]";

#[test]
fn the_late_copy_raises_the_reassembly_error() {
    let list = run(&["packets", "-"]);
    let lines: Vec<&str> = list.lines().collect();
    // tshark prints the segment that starts the record as "[TCP segment of
    // a reassembled PDU]"; wirehunt reads the record header there.
    assert!(lines[4].contains("Application Data"), "{list}");
    assert_eq!(&lines[5..9], TSHARK_TCP_LINES, "{list}");
    assert_eq!(list.matches(ERROR).count(), 1);

    // The detail view ends frame 8 with the error and its expert note.
    let detail = run(&["packets", "-", "-Y", "frame.number == 8", "-V"]);
    assert!(
        detail.trim_end().ends_with(&format!(
            "{ERROR}\n    [Expert Info (Error/Malformed): New fragment overlaps old data (retransmission?)]"
        )),
        "{detail}"
    );

    // The expert view: tshark's one error.
    let expert = run(&["stats", "expert", "--json", "-"]);
    let errors: Vec<&str> = expert.lines().filter(|l| l.contains("\"error\"")).collect();
    assert_eq!(errors.len(), 1, "{expert}");
    for part in [
        "\"group\":\"Malformed\"",
        "\"protocol\":\"TCP\"",
        "\"summary\":\"New fragment overlaps old data (retransmission?)\"",
        "\"count\":1",
        "\"first_frame\":8",
    ] {
        assert!(errors[0].contains(part), "{}", errors[0]);
    }
}
