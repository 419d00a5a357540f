//! Shared by the hunt test suites: run the detectors over a capture file.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_hunt::{Config, Hunter, Report};

pub fn hunt_bytes(bytes: Vec<u8>, cfg: Config) -> Report {
    let reader = CaptureReader::from_bytes(bytes).expect("readable capture");
    run(reader, cfg)
}

pub fn hunt_path(path: &Path, cfg: Config) -> Report {
    let reader = CaptureReader::open(path, OpenOptions::default()).expect("readable capture");
    run(reader, cfg)
}

fn run(mut reader: CaptureReader, cfg: Config) -> Report {
    let mut h = Hunter::new(cfg);
    while let Ok(Some(f)) = reader.next_frame() {
        let pkt = wirehunt_dissect::dissect_frame(f.data, f.orig_len as usize, f.link_type);
        h.observe(f.number, f.ts_ns, f.orig_len, &pkt);
    }
    h.finish()
}

/// `../shared/corpus` beside the repository, or `$WIREHUNT_CORPUS`.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("WIREHUNT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    dir.join("generated").is_dir().then_some(dir)
}

pub fn repo_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

/// An empty Ethernet capture to add frames to.
pub fn ethernet_pcap() -> wirehunt_capture::PcapWriter {
    wirehunt_capture::PcapWriter::new(wirehunt_capture::LinkType(1))
}

/// TCP flags for [`Seg`].
pub const SYN: u8 = 1;
pub const ACK: u8 = 2;
pub const RST: u8 = 4;
pub const FIN: u8 = 8;
pub const PSH: u8 = 16;

/// One TCP segment over IPv4 and Ethernet.
pub struct Seg<'a> {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub win: u16,
    pub ttl: u8,
    pub payload: &'a [u8],
}

impl Seg<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let mut h = etherparse::TcpHeader::new(self.sport, self.dport, self.seq, self.win);
        h.syn = self.flags & SYN != 0;
        h.ack = self.flags & ACK != 0;
        h.rst = self.flags & RST != 0;
        h.fin = self.flags & FIN != 0;
        h.psh = self.flags & PSH != 0;
        h.acknowledgment_number = self.ack;
        let mac = |ip: [u8; 4]| [0x02, 0, ip[0], ip[1], ip[2], ip[3]];
        let mut out = Vec::new();
        etherparse::PacketBuilder::ethernet2(mac(self.src), mac(self.dst))
            .ipv4(self.src, self.dst, self.ttl)
            .tcp_header(h)
            .write(&mut out, self.payload)
            .expect("valid segment");
        out
    }
}

/// Segments with the defaults filled in: TTL 64, window 64240, no data.
pub fn seg(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
) -> Seg<'static> {
    Seg {
        src,
        dst,
        sport,
        dport,
        seq,
        ack,
        flags,
        win: 64240,
        ttl: 64,
        payload: &[],
    }
}
