//! Capture filters (`-f`) in tcpdump's BPF syntax, compiled by libpcap, on
//! capture files as on live interfaces. Built only with the `bpf` feature
//! (it links libpcap); without it `-f` says how to get it.

use wirehunt_capture::LinkType;

/// Why `-f` is unavailable in a build without libpcap.
#[cfg(not(feature = "bpf"))]
pub const UNAVAILABLE: &str = "capture filters (-f) are compiled by libpcap, and this wirehunt was built without it; \
     install libpcap-dev and rebuild with `cargo build --release --features bpf`, or use a display filter (-Y)";

/// A BPF filter, compiled once per link type met.
pub struct CaptureFilter {
    #[cfg_attr(not(feature = "bpf"), allow(dead_code))]
    text: String,
    #[cfg(feature = "bpf")]
    programs: Vec<(LinkType, Option<pcap::BpfProgram>)>,
}

impl CaptureFilter {
    /// The filter `text` compiles to, if there is one; its error as the
    /// command's.
    pub fn from_arg(text: Option<&str>) -> anyhow::Result<Option<CaptureFilter>> {
        text.map(|t| CaptureFilter::new(t).map_err(|e| anyhow::anyhow!(e)))
            .transpose()
    }

    /// Compiles `text` (for Ethernet, to report syntax errors at once).
    #[cfg(feature = "bpf")]
    pub fn new(text: &str) -> Result<CaptureFilter, String> {
        let mut f = CaptureFilter {
            text: text.to_string(),
            programs: Vec::new(),
        };
        let prog = f.compile(LinkType(1))?;
        f.programs.push((LinkType(1), Some(prog)));
        Ok(f)
    }

    #[cfg(not(feature = "bpf"))]
    pub fn new(_text: &str) -> Result<CaptureFilter, String> {
        Err(UNAVAILABLE.to_string())
    }

    #[cfg(feature = "bpf")]
    fn compile(&self, link: LinkType) -> Result<pcap::BpfProgram, String> {
        let dead = pcap::Capture::dead(pcap::Linktype(link.0 as i32)).map_err(|e| e.to_string())?;
        dead.compile(&self.text, true)
            .map_err(|e| format!("invalid capture filter \"{}\": {e}", self.text))
    }

    /// Whether a frame of link type `link` passes. A link type the filter
    /// cannot be compiled for (libpcap knows no such field there) passes
    /// nothing.
    #[cfg(feature = "bpf")]
    pub fn matches(&mut self, link: LinkType, data: &[u8]) -> bool {
        let i = match self.programs.iter().position(|(l, _)| *l == link) {
            Some(i) => i,
            None => {
                let prog = self.compile(link).ok();
                self.programs.push((link, prog));
                self.programs.len() - 1
            }
        };
        self.programs[i].1.as_ref().is_some_and(|p| p.filter(data))
    }

    #[cfg(not(feature = "bpf"))]
    pub fn matches(&mut self, _link: LinkType, _data: &[u8]) -> bool {
        true
    }
}
