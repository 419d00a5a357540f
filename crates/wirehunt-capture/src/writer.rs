//! Writing classic pcap (little-endian, microseconds): for tests that build
//! captures, and for saving packets.

use crate::LinkType;

/// A classic pcap file built in memory.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    bytes: Vec<u8>,
}

impl PcapWriter {
    /// An empty capture of link type `link` (snaplen 65535).
    pub fn new(link: LinkType) -> PcapWriter {
        let mut bytes = Vec::with_capacity(4096);
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&65535u32.to_le_bytes());
        bytes.extend_from_slice(&link.0.to_le_bytes());
        PcapWriter { bytes }
    }

    /// Appends a record: time in microseconds since the epoch, the captured
    /// bytes and the length on the wire (at least the captured length).
    pub fn record(&mut self, ts_us: u64, data: &[u8], orig_len: u32) {
        let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.bytes
            .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        self.bytes.extend_from_slice(&caplen.to_le_bytes());
        self.bytes
            .extend_from_slice(&orig_len.max(caplen).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }

    /// Appends a complete frame.
    pub fn frame(&mut self, ts_us: u64, data: &[u8]) {
        self.record(ts_us, data, data.len() as u32);
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaptureReader;

    #[test]
    fn reads_back() {
        let mut w = PcapWriter::new(LinkType(101));
        w.frame(1_500_000, &[0x45, 0, 0, 20]);
        w.record(2_000_001, &[0x60], 40);
        let mut r = CaptureReader::from_bytes(w.into_bytes()).unwrap();
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.ts_ns, f.data, f.orig_len),
            (1_500_000_000, &[0x45, 0, 0, 20][..], 4)
        );
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.ts_ns, f.orig_len, f.link_type),
            (2_000_001_000, 40, LinkType(101))
        );
        assert!(r.next_frame().unwrap().is_none());
    }
}
