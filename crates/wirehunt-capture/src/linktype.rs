//! Link-layer header types (the `LINKTYPE_*` registry of tcpdump.org) and the
//! names Wireshark gives their encapsulations.

/// A `LINKTYPE_*` value as stored in a pcap header or a pcapng IDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// OpenBSD's DLT_RAW value as written by some tools.
    pub const RAW_12: LinkType = LinkType(12);
    /// BSD/OS DLT_RAW value.
    pub const RAW_14: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    pub const NFLOG: LinkType = LinkType(239);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// Not a `LINKTYPE_*` value: the pseudo link type of pcapng Custom
    /// Blocks, which carry no packet.
    pub const PCAPNG_BLOCK: LinkType = LinkType(u32::MAX);

    /// Wireshark's short encapsulation name (`capinfos` prints it in brackets).
    pub fn short_name(self) -> &'static str {
        match self.0 {
            0 => "null",
            1 => "ether",
            12 | 14 | 101 => "rawip",
            105 => "ieee-802-11",
            108 => "loop",
            113 => "linux-sll",
            127 => "ieee-802-11-radiotap",
            228 => "rawip4",
            229 => "rawip6",
            239 => "nflog",
            276 => "linux-sll2",
            u32::MAX => "pcapng-block",
            _ => "unknown",
        }
    }

    /// Wireshark's descriptive encapsulation name.
    pub fn description(self) -> &'static str {
        match self.0 {
            0 => "NULL/Loopback",
            1 => "Ethernet",
            12 | 14 | 101 => "Raw IP",
            105 => "IEEE 802.11 Wireless LAN",
            108 => "OpenBSD loopback",
            113 => "Linux cooked-mode capture v1",
            127 => "IEEE 802.11 plus radiotap radio header",
            228 => "Raw IPv4",
            229 => "Raw IPv6",
            239 => "NFLOG",
            276 => "Linux cooked-mode capture v2",
            u32::MAX => "pcapng block",
            _ => "Unknown",
        }
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.description(), self.0)
    }
}
