//! What a capture file says about itself.

use crate::LinkType;

/// The container format, from the magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Classic libpcap.
    Pcap {
        big_endian: bool,
        nanosecond: bool,
        /// Kuznetzov's "modified" pcap with longer record headers.
        modified: bool,
        version_major: u16,
        version_minor: u16,
    },
    /// pcapng; the byte order may change per section.
    PcapNg,
}

impl FileFormat {
    /// capinfos' "File type" wording.
    pub fn name(&self) -> &'static str {
        match self {
            FileFormat::Pcap {
                nanosecond: true, ..
            } => "Wireshark/tcpdump/... - nanosecond pcap",
            FileFormat::Pcap { modified: true, .. } => "Wireshark/tcpdump/... - pcap (modified)",
            FileFormat::Pcap { .. } => "Wireshark/tcpdump/... - pcap",
            FileFormat::PcapNg => "Wireshark/... - pcapng",
        }
    }
}

/// Timestamp resolution of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecision {
    /// 10^-n seconds.
    Decimal(u8),
    /// 2^-n seconds.
    Binary(u8),
}

impl TimePrecision {
    /// Number of decimal digits needed to show a timestamp (capinfos' "Time
    /// precision"); binary resolutions round up to the next decimal digit.
    pub fn digits(self) -> u8 {
        match self {
            TimePrecision::Decimal(n) => n,
            TimePrecision::Binary(n) => {
                // 2^-n needs ceil(n * log10(2)) digits.
                ((n as u32 * 30103).div_ceil(100_000)) as u8
            }
        }
    }
}

/// One capture interface (pcap has exactly one).
#[derive(Debug, Clone)]
pub struct Interface {
    pub link_type: LinkType,
    pub snaplen: u32,
    pub precision: TimePrecision,
    /// `if_tsoffset`, seconds added to every timestamp.
    pub ts_offset: i64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub os: Option<String>,
    pub filter: Option<String>,
    /// `if_fcslen` when given.
    pub fcs_len: Option<u8>,
    /// The `if_tsresol` byte when the file states one (nanosecond pcap
    /// files count as stating 9).
    pub tsresol: Option<u8>,
    /// Interface statistics blocks for this interface.
    pub stat_entries: u64,
    /// Frames read so far on this interface.
    pub packets: u64,
    /// pcapng section the interface belongs to.
    pub section: usize,
}

/// One pcapng section (pcap files have one implicit section).
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub big_endian: bool,
    pub hardware: Option<String>,
    pub os: Option<String>,
    pub user_application: Option<String>,
    pub comments: Vec<String>,
}

/// Everything the file says about itself, filled as it is read.
#[derive(Debug, Clone)]
pub struct CaptureInfo {
    pub format: FileFormat,
    /// True when the file was gzip-compressed.
    pub compressed: bool,
    pub sections: Vec<Section>,
    pub interfaces: Vec<Interface>,
    /// Address-to-name records (pcapng NRB), capped at
    /// [`CaptureInfo::MAX_NAME_RECORDS`].
    pub name_records: Vec<(std::net::IpAddr, String)>,
    /// Interface statistics blocks seen.
    pub stat_blocks: u64,
    /// Blocks skipped because their type is unknown or unused.
    pub skipped_blocks: u64,
}

impl CaptureInfo {
    /// Upper bound on stored name records (hostile files may hold millions).
    pub const MAX_NAME_RECORDS: usize = 65_536;

    pub(crate) fn new(format: FileFormat, compressed: bool) -> CaptureInfo {
        CaptureInfo {
            format,
            compressed,
            sections: Vec::new(),
            interfaces: Vec::new(),
            name_records: Vec::new(),
            stat_blocks: 0,
            skipped_blocks: 0,
        }
    }
}
