//! Command-line arguments. Flags follow tshark where a habit exists.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "wirehunt", version, about = "Threat hunting in packet captures", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List packets as tshark does, or print chosen fields (-T fields -e …).
    Packets(PacketsArgs),
    /// Find, classify and explain attacks; give every TCP reset a verdict.
    Hunt(HuntArgs),
    /// Wireshark's statistics views, with tshark's numbers.
    Stats(StatsArgs),
    /// The payload of one TCP or UDP stream, each direction in order
    /// (Follow TCP Stream; tshark -z follow,tcp,ascii,STREAM).
    Follow(FollowArgs),
}

#[derive(Debug, Args)]
pub struct FollowArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The stream number (tcp.stream or udp.stream, as `packets` shows it).
    #[arg(value_name = "STREAM")]
    pub stream: u32,
    /// tcp or udp.
    #[arg(long, default_value = "tcp", value_parser = ["tcp", "udp"])]
    pub proto: String,
    /// ascii (printable text), hex (a dump with offsets) or raw (one hex line per piece).
    #[arg(long, default_value = "ascii", value_parser = ["ascii", "hex", "raw"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(subcommand)]
    pub view: StatsView,
}

#[derive(Debug, Subcommand)]
pub enum StatsView {
    /// Capture file properties, as capinfos prints them.
    Info(InputArgs),
    /// Protocol hierarchy: frames and bytes per protocol (tshark -z io,phs).
    Phs(InputArgs),
    /// Conversations between two endpoints (tshark -z conv,TYPE).
    Conv(TableArgs),
    /// Endpoints and what they sent and received (tshark -z endpoints,TYPE).
    Endpoints(TableArgs),
    /// Frames and bytes per interval, with a chart (tshark -z io,stat,INTERVAL).
    Io(IoArgs),
    /// Expert information: resets, retransmissions, lost segments, … (tshark -z expert).
    Expert(ExpertArgs),
}

#[derive(Debug, Args)]
pub struct ExpertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Show only items at least this severe.
    #[arg(long, value_name = "SEVERITY", value_parser = ["error", "warning", "note", "chat"])]
    pub severity: Option<String>,
}

/// What every statistics view reads.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Capture file (pcap, pcapng, optionally gzip-compressed); `-` reads standard input.
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,
    /// Count only the frames matching this display filter.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Capture filter in tcpdump's syntax (libpcap), applied first.
    #[arg(short = 'f', value_name = "BPF")]
    pub capture_filter: Option<String>,
    /// JSON instead of a table (field names in the README).
    #[arg(long)]
    pub json: bool,
    /// Read regular files as a stream even on one core (where they are
    /// otherwise memory-mapped).
    #[arg(long)]
    pub no_mmap: bool,
    /// Read a regular file in N threads (phs, conv, endpoints and expert;
    /// other views use one): one walks the records and hands each frame to
    /// the thread owning its address pair. The output is the same for any
    /// N. Default 1: on two cores a split gains a tenth at most.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// eth, ip, ipv6, tcp or udp.
    #[arg(value_name = "TYPE", value_parser = ["eth", "ip", "ipv6", "tcp", "udp"])]
    pub kind: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Show only the first N rows.
    #[arg(short = 'n', long = "top", value_name = "N")]
    pub top: Option<usize>,
    /// Row order: frames (tshark's), bytes, start, duration or address.
    #[arg(long, value_name = "KEY", default_value = "frames",
          value_parser = ["frames", "bytes", "start", "duration", "address"])]
    pub sort: String,
}

#[derive(Debug, Args)]
pub struct IoArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Interval length: 1s, 100ms, 10us, 1m, or plain seconds (0.5).
    #[arg(long, short = 'i', value_name = "DURATION", default_value = "1s")]
    pub interval: String,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Capture file(s); `-` reads standard input.
    #[arg(value_name = "CAPTURE", required = true)]
    pub captures: Vec<PathBuf>,
    /// JSON lines (Suricata EVE style): summary, finding, note (and reset with --resets).
    #[arg(long)]
    pub json: bool,
    /// List every TCP reset with its verdict and reason.
    #[arg(long)]
    pub resets: bool,
    /// Analyse only the frames matching this display filter, e.g.
    /// -Y 'ip.addr == 10.0.0.0/8'.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Capture filter in tcpdump's syntax (libpcap), applied first.
    #[arg(short = 'f', value_name = "BPF")]
    pub capture_filter: Option<String>,
    /// Exit with status 1 when a finding reaches this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Preset thresholds: low finds only clear attacks, high also small ones.
    #[arg(long, value_name = "LEVEL", value_parser = ["low", "medium", "high"])]
    pub sensitivity: Option<String>,
    /// TOML file with `sensitivity` and a `[thresholds]` table (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read regular files as a stream even on one core (where they are
    /// otherwise memory-mapped).
    #[arg(long)]
    pub no_mmap: bool,
}

#[derive(Debug, Args)]
pub struct PacketsArgs {
    /// Capture file (pcap, pcapng, optionally gzip-compressed); `-` reads standard input.
    #[arg(value_name = "CAPTURE")]
    pub capture: Option<PathBuf>,
    /// Capture file, as tshark's -r.
    #[arg(short = 'r', value_name = "CAPTURE", conflicts_with = "capture")]
    pub read: Option<PathBuf>,
    /// Stop after N frames.
    #[arg(short = 'c', value_name = "N")]
    pub count: Option<u64>,
    /// Output format: `fields` prints the fields named by -e.
    #[arg(short = 'T', value_name = "FORMAT", value_parser = ["fields", "text"])]
    pub format: Option<String>,
    /// Display filter (Wireshark's language): only matching frames are printed,
    /// e.g. -Y 'tcp.flags.reset == 1'.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Capture filter in tcpdump's syntax (libpcap), applied before anything
    /// else, e.g. -f 'tcp[tcpflags] & (tcp-rst) != 0'.
    // The brackets are tcpdump's, not a link (the comment is the help text).
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(short = 'f', value_name = "BPF")]
    pub capture_filter: Option<String>,
    /// A field to print (repeatable), e.g. -e ip.src -e tcp.stream.
    #[arg(short = 'e', value_name = "FIELD")]
    pub fields: Vec<String>,
    /// Field output options as tshark: separator=/t|/s|C, header=y|n, occurrence=f|l|a, aggregator=C.
    #[arg(short = 'E', value_name = "OPTION")]
    pub field_options: Vec<String>,
    /// One JSON object per frame (the -e fields, or every field present).
    #[arg(long)]
    pub json: bool,
    /// The field-by-field detail of each frame (as tshark -V).
    #[arg(short = 'V')]
    pub verbose: bool,
    /// Expand only these protocols in the detail view (comma-separated, as tshark -O).
    #[arg(short = 'O', value_name = "PROTOCOLS", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Accepted for tshark habits: wirehunt never resolves names unless asked.
    #[arg(short = 'n')]
    pub no_resolve: bool,
    /// Read regular files as a stream even on one core and for -V (where
    /// they are otherwise memory-mapped).
    #[arg(long)]
    pub no_mmap: bool,
    /// Most conversations tracked at once before the idlest are evicted.
    #[arg(long, value_name = "N", default_value_t = (1 << 21) / 8 * 7)]
    pub max_conversations: usize,
    /// Write the detail view (-V, -O) in N threads beside the one reading
    /// the capture; 1 does all in one thread. The output is the same for
    /// any N. Default: one more than the cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

impl PacketsArgs {
    pub fn capture(&self) -> Option<&PathBuf> {
        self.capture.as_ref().or(self.read.as_ref())
    }
}
