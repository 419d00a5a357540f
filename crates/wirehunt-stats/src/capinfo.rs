//! Capture file properties, as `capinfos` reports them.
//!
//! [`CapStats`] sees every frame; [`CapStats::finish`] combines what it
//! counted with what the file says about itself ([`CaptureInfo`]) into
//! [`CapInfo`], whose [`CapInfo::lines`] are capinfos' lines (label and
//! value) and whose JSON keys are those labels in snake_case.
//!
//! capinfos' rules, reproduced: the data size adds up lengths on the wire;
//! first and last packet times are the earliest and the latest stamps;
//! rates need a duration above zero ("n/a" otherwise); a capture with a
//! record that has no time (a pcapng simple packet block) has no times,
//! no rates and an unknown time order.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wirehunt_capture::time::utc_text;

use crate::units::nstime_to_sec;
use wirehunt_capture::{CaptureInfo, FileFormat, Frame, LinkType, TimePrecision};

/// Counters over the frames.
#[derive(Debug, Clone, Default)]
pub struct CapStats {
    packets: u64,
    data_bytes: u64,
    /// (ns, digits) of the earliest and latest stamps.
    first: Option<(i64, u8)>,
    last: Option<(i64, u8)>,
    prev_ts: Option<i64>,
    out_of_order: bool,
    missing_ts: bool,
    /// Captured lengths of frames cut short by the snapshot length.
    inferred: Option<(u32, u32)>,
    /// Frames per link type.
    encaps: Vec<(LinkType, u64)>,
    /// (frame, comment) of pcapng packet comments, capped.
    comments: Vec<(u64, String)>,
}

/// Most packet comments kept.
const MAX_COMMENTS: usize = 10_000;

impl CapStats {
    pub fn see(&mut self, f: &Frame<'_>) {
        if !f.is_packet() {
            // capinfos counts packets; pcapng custom blocks are not.
            return;
        }
        self.packets += 1;
        self.data_bytes += f.orig_len as u64;
        if f.has_ts {
            let digits = f.precision.digits().min(9);
            if self.first.is_none_or(|(t, _)| f.ts_ns < t) {
                self.first = Some((f.ts_ns, digits));
            }
            if self.last.is_none_or(|(t, _)| f.ts_ns > t) {
                self.last = Some((f.ts_ns, digits));
            }
            if self.prev_ts.is_some_and(|p| f.ts_ns < p) {
                self.out_of_order = true;
            }
            self.prev_ts = Some(f.ts_ns);
        } else {
            self.missing_ts = true;
        }
        let cap = f.cap_len();
        if cap < f.orig_len {
            self.inferred = Some(match self.inferred {
                None => (cap, cap),
                Some((lo, hi)) => (lo.min(cap), hi.max(cap)),
            });
        }
        match self.encaps.iter_mut().find(|(l, _)| *l == f.link_type) {
            Some((_, n)) => *n += 1,
            None => self.encaps.push((f.link_type, 1)),
        }
        if self.comments.len() < MAX_COMMENTS {
            for c in f.comments() {
                self.comments
                    .push((f.number, String::from_utf8_lossy(c).into_owned()));
            }
        }
    }

    /// The report, given the file's own description, its size on disk and
    /// its SHA-256 (None for standard input).
    pub fn finish(
        &self,
        info: &CaptureInfo,
        file_size: Option<u64>,
        sha256: Option<String>,
    ) -> CapInfo {
        let file_type = info.format.name().to_string();
        // The file's encapsulation: one link type for all interfaces, or
        // per packet.
        let mut links: Vec<LinkType> = info.interfaces.iter().map(|i| i.link_type).collect();
        links.dedup();
        let per_packet = links.len() > 1;
        let file_encapsulation = match links.first() {
            Some(l) if !per_packet => l.description().to_string(),
            Some(_) => "Per packet".to_string(),
            None => "Unknown".to_string(),
        };
        let mut encaps = self.encaps.clone();
        encaps.sort_by_key(|(l, _)| wtap_encap(*l));
        let encapsulations_in_use = if per_packet {
            encaps
                .iter()
                .map(|(l, n)| EncapCount {
                    encapsulation: l.description().to_string(),
                    packets: *n,
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut precs: Vec<u8> = info
            .interfaces
            .iter()
            .map(|i| wtap_tsprec(i.precision))
            .collect();
        precs.dedup();
        let file_prec = if precs.len() == 1 {
            Some(precs[0])
        } else {
            None
        };
        let file_timestamp_precision = match file_prec {
            Some(p) => format!("{} ({p})", tsprec_name(p)),
            None => "per-packet (-1)".to_string(),
        };
        let snaplen = match info.format {
            FileFormat::Pcap { .. } => info.interfaces.first().map(|i| i.snaplen),
            FileFormat::PcapNg => None,
        };
        let times = if self.missing_ts {
            None
        } else {
            self.first.zip(self.last)
        };
        let duration_ns = times.map(|((a, _), (b, _))| b - a);
        let dur_digits = file_prec.unwrap_or(9);
        // As capinfos: both ends as doubles of absolute seconds, subtracted.
        let secs = times.map(|((a, _), (b, _))| nstime_to_sec(b) - nstime_to_sec(a));
        let rate = |x: f64, unit: &str| match secs {
            Some(s) if s > 0.0 => Some(format!("{:.2} {unit}", x / s)),
            Some(_) => Some("n/a".to_string()),
            None => None,
        };
        let section = info.sections.first();
        let v4 = info
            .name_records
            .iter()
            .filter(|(a, _)| a.is_ipv4())
            .count();
        CapInfo {
            file_type,
            file_encapsulation,
            encapsulations_in_use,
            file_timestamp_precision,
            packet_size_limit: match snaplen {
                Some(n) => format!("file hdr: {n} bytes"),
                None => "file hdr: (not set)".to_string(),
            },
            packet_size_limit_inferred: self.inferred.map(|(lo, hi)| {
                if lo == hi {
                    format!("inferred: {lo} bytes")
                } else {
                    format!("inferred: {lo} bytes - {hi} bytes (range)")
                }
            }),
            number_of_packets: self.packets,
            file_size,
            data_size: self.data_bytes,
            capture_duration: duration_ns
                .map(|d| format!("{} seconds", crate::units::seconds(d, dur_digits))),
            first_packet_time: times.map(|((t, d), _)| utc_text(t, file_prec.unwrap_or(d))),
            last_packet_time: times.map(|(_, (t, d))| utc_text(t, file_prec.unwrap_or(d))),
            data_byte_rate: rate(self.data_bytes as f64, "bytes/sec"),
            data_bit_rate: rate(self.data_bytes as f64 * 8.0, "bits/sec"),
            average_packet_size: (self.packets > 0)
                .then(|| format!("{:.2} bytes", self.data_bytes as f64 / self.packets as f64)),
            average_packet_rate: rate(self.packets as f64, "packets/sec"),
            sha256,
            strict_time_order: if self.missing_ts {
                "Unknown"
            } else if self.out_of_order {
                "False"
            } else {
                "True"
            }
            .to_string(),
            capture_hardware: section.and_then(|s| s.hardware.clone()),
            capture_oper_sys: section.and_then(|s| s.os.clone()),
            capture_application: section.and_then(|s| s.user_application.clone()),
            capture_comments: section.map(|s| s.comments.clone()).unwrap_or_default(),
            number_of_interfaces_in_file: info.interfaces.len(),
            interfaces: info
                .interfaces
                .iter()
                .map(|i| InterfaceInfo {
                    name: i.name.clone(),
                    description: i.description.clone(),
                    encapsulation: format!(
                        "{} ({} - {})",
                        i.link_type.description(),
                        wtap_encap(i.link_type),
                        i.link_type.short_name()
                    ),
                    capture_length: i.snaplen,
                    time_precision: {
                        let p = wtap_tsprec(i.precision);
                        format!("{} ({p})", tsprec_name(p))
                    },
                    time_ticks_per_second: ticks(i.precision),
                    time_resolution: i.tsresol.map(|r| format!("0x{r:02x}")),
                    filter_string: i.filter.clone(),
                    operating_system: i.os.clone(),
                    number_of_stat_entries: i.stat_entries,
                    number_of_packets: i.packets,
                })
                .collect(),
            resolved_ipv4_addresses: v4,
            resolved_ipv6_addresses: info.name_records.len() - v4,
            packet_comments: self
                .comments
                .iter()
                .map(|(frame, comment)| PacketComment {
                    frame: *frame,
                    comment: comment.clone(),
                })
                .collect(),
        }
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 4 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Wiretap's encapsulation number (capinfos prints it beside the name).
pub fn wtap_encap(l: LinkType) -> u32 {
    match l.0 {
        0 => 15,
        1 => 1,
        12 | 14 | 101 => 7,
        105 => 20,
        108 => 15,
        113 => 25,
        127 => 23,
        228 => 129,
        229 => 130,
        239 => 141,
        276 => 210,
        _ => 0,
    }
}

/// Wiretap's timestamp precision (0..=9 decimal digits).
fn wtap_tsprec(p: TimePrecision) -> u8 {
    p.digits().min(9)
}

fn tsprec_name(p: u8) -> &'static str {
    match p {
        0 => "seconds",
        1 => "100 milliseconds (deciseconds)",
        2 => "10 milliseconds (centiseconds)",
        3 => "milliseconds",
        4 => "100 microseconds",
        5 => "10 microseconds",
        6 => "microseconds",
        7 => "100 nanoseconds",
        8 => "10 nanoseconds",
        _ => "nanoseconds",
    }
}

fn ticks(p: TimePrecision) -> u64 {
    match p {
        TimePrecision::Decimal(n) => 10u64.saturating_pow(n as u32),
        TimePrecision::Binary(n) => 1u64.checked_shl(n as u32).unwrap_or(u64::MAX),
    }
}

/// Frames per encapsulation, for files with several.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncapCount {
    pub encapsulation: String,
    pub packets: u64,
}

/// One interface of the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InterfaceInfo {
    pub name: Option<String>,
    pub description: Option<String>,
    pub encapsulation: String,
    pub capture_length: u32,
    pub time_precision: String,
    pub time_ticks_per_second: u64,
    pub time_resolution: Option<String>,
    pub filter_string: Option<String>,
    pub operating_system: Option<String>,
    pub number_of_stat_entries: u64,
    pub number_of_packets: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PacketComment {
    pub frame: u64,
    pub comment: String,
}

/// capinfos' report. Keys are capinfos' labels in snake_case; values keep
/// capinfos' text (units included) so that they read the same.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapInfo {
    pub file_type: String,
    pub file_encapsulation: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encapsulations_in_use: Vec<EncapCount>,
    pub file_timestamp_precision: String,
    pub packet_size_limit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_size_limit_inferred: Option<String>,
    pub number_of_packets: u64,
    pub file_size: Option<u64>,
    pub data_size: u64,
    pub capture_duration: Option<String>,
    pub first_packet_time: Option<String>,
    pub last_packet_time: Option<String>,
    pub data_byte_rate: Option<String>,
    pub data_bit_rate: Option<String>,
    pub average_packet_size: Option<String>,
    pub average_packet_rate: Option<String>,
    pub sha256: Option<String>,
    pub strict_time_order: String,
    pub capture_hardware: Option<String>,
    pub capture_oper_sys: Option<String>,
    pub capture_application: Option<String>,
    pub capture_comments: Vec<String>,
    pub number_of_interfaces_in_file: usize,
    pub interfaces: Vec<InterfaceInfo>,
    pub resolved_ipv4_addresses: usize,
    pub resolved_ipv6_addresses: usize,
    pub packet_comments: Vec<PacketComment>,
}

impl CapInfo {
    /// capinfos' lines, in its order: (label, value). Interface lines are
    /// labelled "interface N LABEL".
    pub fn lines(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.to_string(), v.trim().to_string()));
        push("File type", self.file_type.clone());
        push("File encapsulation", self.file_encapsulation.clone());
        for e in &self.encapsulations_in_use {
            push(
                "encapsulation in use",
                format!("{} ({})", e.encapsulation, e.packets),
            );
        }
        push(
            "File timestamp precision",
            self.file_timestamp_precision.clone(),
        );
        push("Packet size limit", self.packet_size_limit.clone());
        if let Some(v) = &self.packet_size_limit_inferred {
            push("Packet size limit", v.clone());
        }
        push("Number of packets", self.number_of_packets.to_string());
        if let Some(n) = self.file_size {
            push("File size", format!("{n} bytes"));
        }
        push("Data size", format!("{} bytes", self.data_size));
        let opt = [
            ("Capture duration", &self.capture_duration),
            ("First packet time", &self.first_packet_time),
            ("Last packet time", &self.last_packet_time),
            ("Data byte rate", &self.data_byte_rate),
            ("Data bit rate", &self.data_bit_rate),
            ("Average packet size", &self.average_packet_size),
            ("Average packet rate", &self.average_packet_rate),
            ("SHA256", &self.sha256),
        ];
        for (k, v) in opt {
            if let Some(v) = v {
                push(k, v.clone());
            }
        }
        push("Strict time order", self.strict_time_order.clone());
        for (k, v) in [
            ("Capture hardware", &self.capture_hardware),
            ("Capture oper-sys", &self.capture_oper_sys),
            ("Capture application", &self.capture_application),
        ] {
            if let Some(v) = v {
                push(k, v.clone());
            }
        }
        for c in &self.capture_comments {
            // capinfos shows a comment on one line.
            push("Capture comment", c.replace(['\r', '\n'], " "));
        }
        push(
            "Number of interfaces in file",
            self.number_of_interfaces_in_file.to_string(),
        );
        for (n, i) in self.interfaces.iter().enumerate() {
            let mut ipush = |k: &str, v: String| push(&format!("interface {n} {k}"), v);
            if let Some(v) = &i.name {
                ipush("Name", v.clone());
            }
            if let Some(v) = &i.description {
                ipush("Description", v.clone());
            }
            ipush("Encapsulation", i.encapsulation.clone());
            ipush("Capture length", i.capture_length.to_string());
            ipush("Time precision", i.time_precision.clone());
            ipush("Time ticks per second", i.time_ticks_per_second.to_string());
            if let Some(v) = &i.time_resolution {
                ipush("Time resolution", v.clone());
            }
            if let Some(v) = &i.filter_string {
                ipush("Filter string", v.clone());
            }
            if let Some(v) = &i.operating_system {
                ipush("Operating system", v.clone());
            }
            ipush(
                "Number of stat entries",
                i.number_of_stat_entries.to_string(),
            );
            ipush("Number of packets", i.number_of_packets.to_string());
        }
        if self.resolved_ipv4_addresses + self.resolved_ipv6_addresses > 0 {
            push(
                "Number of resolved IPv4 addresses in file",
                self.resolved_ipv4_addresses.to_string(),
            );
            push(
                "Number of resolved IPv6 addresses in file",
                self.resolved_ipv6_addresses.to_string(),
            );
        }
        for c in &self.packet_comments {
            push(&format!("Packet {} comment", c.frame), c.comment.clone());
        }
        out
    }
}
