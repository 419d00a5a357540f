//! pcapng: a sequence of blocks, each `type, total length, body, total
//! length`. A Section Header Block starts a section and fixes its byte order;
//! Interface Description Blocks declare interfaces; packets arrive in
//! Enhanced, Simple or (obsolete) Packet Blocks.
//!
//! The packet blocks are read here by hand (fixed layouts, hot path, no
//! allocation); the rarer control blocks are parsed with `pcap-parser`.

use pcap_parser::pcapng::{
    Block, InterfaceDescriptionBlock, NameResolutionBlock, SectionHeaderBlock, parse_block_be,
    parse_block_le,
};

use crate::info::{Interface, Section, TimePrecision};
use crate::{CaptureInfo, LinkType};

pub(crate) const SHB: u32 = 0x0a0d_0d0a;
pub(crate) const IDB: u32 = 1;
pub(crate) const OPB: u32 = 2;
pub(crate) const SPB: u32 = 3;
pub(crate) const NRB: u32 = 4;
pub(crate) const ISB: u32 = 5;
pub(crate) const EPB: u32 = 6;
/// Custom blocks: the copy bit clear (may be copied) and set.
pub(crate) const CB_COPY: u32 = 0x0000_0bad;
pub(crate) const CB_NO_COPY: u32 = 0x4000_0bad;
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

#[inline]
pub(crate) fn u32_at(b: &[u8], i: usize, big_endian: bool) -> u32 {
    let v = [b[i], b[i + 1], b[i + 2], b[i + 3]];
    if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

#[inline]
pub(crate) fn u16_at(b: &[u8], i: usize, big_endian: bool) -> u16 {
    let v = [b[i], b[i + 1]];
    if big_endian {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

/// Iterates `(code, value)` over a raw pcapng option list, stopping at
/// `opt_endofopt` or at the first option that does not fit.
pub(crate) fn options(raw: &[u8], big_endian: bool) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let code = u16_at(rest, 0, big_endian);
        let len = u16_at(rest, 2, big_endian) as usize;
        if code == 0 || 4 + len > rest.len() {
            return None;
        }
        let value = &rest[4..4 + len];
        let padded = (4 + len).next_multiple_of(4).min(rest.len());
        rest = &rest[padded..];
        Some((code, value))
    })
}

/// An option's string: up to its first NUL (writers pad or terminate
/// strings with NULs inside the option length; Wireshark stops there).
fn text(v: &[u8]) -> String {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// Converts a raw 64-bit timestamp in interface units to nanoseconds.
#[inline]
pub(crate) fn ts_to_ns(raw: u64, precision: TimePrecision, offset_s: i64) -> i64 {
    let ns: u128 = match precision {
        TimePrecision::Decimal(9) => raw as u128,
        TimePrecision::Decimal(6) => raw as u128 * 1000,
        TimePrecision::Decimal(n) if n <= 9 => raw as u128 * 10u128.pow(9 - n as u32),
        TimePrecision::Decimal(n) => raw as u128 / 10u128.pow((n as u32 - 9).min(38)),
        TimePrecision::Binary(n) => {
            let n = n.min(127) as u32;
            (raw as u128 * 1_000_000_000) >> n
        }
    };
    (ns.min(i64::MAX as u128) as i64).saturating_add(offset_s.saturating_mul(1_000_000_000))
}

fn precision_from(tsresol: u8) -> TimePrecision {
    if tsresol & 0x80 != 0 {
        TimePrecision::Binary(tsresol & 0x7f)
    } else {
        TimePrecision::Decimal(tsresol)
    }
}

/// Records a Section Header Block (the whole block in `b`).
pub(crate) fn read_shb(b: &[u8], big_endian: bool, info: &mut CaptureInfo) {
    let mut section = Section {
        big_endian,
        ..Section::default()
    };
    let parsed = if big_endian {
        parse_block_be(b)
    } else {
        parse_block_le(b)
    };
    if let Ok((_, Block::SectionHeader(shb))) = parsed {
        fill_section(&mut section, &shb);
    }
    info.sections.push(section);
}

fn fill_section(section: &mut Section, shb: &SectionHeaderBlock<'_>) {
    for opt in &shb.options {
        let v = text(opt.value());
        match opt.code.0 {
            1 => section.comments.push(v),
            2 => section.hardware = Some(v),
            3 => section.os = Some(v),
            4 => section.user_application = Some(v),
            _ => {}
        }
    }
}

/// Records an Interface Description Block.
pub(crate) fn read_idb(b: &[u8], big_endian: bool, info: &mut CaptureInfo) {
    let section = info.sections.len().saturating_sub(1);
    let link_type = LinkType(u16_at(b, 8, big_endian) as u32);
    let snaplen = u32_at(b, 12, big_endian);
    let mut iface = Interface {
        link_type,
        snaplen,
        precision: TimePrecision::Decimal(6),
        ts_offset: 0,
        name: None,
        description: None,
        os: None,
        filter: None,
        fcs_len: None,
        tsresol: None,
        stat_entries: 0,
        packets: 0,
        section,
    };
    let parsed = if big_endian {
        parse_block_be(b)
    } else {
        parse_block_le(b)
    };
    if let Ok((_, Block::InterfaceDescription(idb))) = parsed {
        fill_interface(&mut iface, &idb);
    } else if b.len() >= 20 {
        // pcap-parser refuses some odd option lists; read what we can.
        for (code, v) in options(&b[16..b.len() - 4], big_endian) {
            if code == 9 && !v.is_empty() {
                iface.precision = precision_from(v[0]);
                iface.tsresol = Some(v[0]);
            }
        }
    }
    info.interfaces.push(iface);
}

fn fill_interface(iface: &mut Interface, idb: &InterfaceDescriptionBlock<'_>) {
    iface.precision = precision_from(idb.if_tsresol);
    iface.ts_offset = idb.if_tsoffset;
    for opt in &idb.options {
        let v = opt.value();
        match opt.code.0 {
            2 => iface.name = Some(text(v)),
            9 if !v.is_empty() => iface.tsresol = Some(v[0]),
            3 => iface.description = Some(text(v)),
            11 if !v.is_empty() => iface.filter = Some(text(&v[1..])),
            12 => iface.os = Some(text(v)),
            13 if !v.is_empty() => iface.fcs_len = Some(v[0]),
            _ => {}
        }
    }
}

/// Records the entries of a Name Resolution Block.
pub(crate) fn read_nrb(b: &[u8], big_endian: bool, info: &mut CaptureInfo) {
    let parsed = if big_endian {
        parse_block_be(b)
    } else {
        parse_block_le(b)
    };
    let Ok((_, Block::NameResolution(nrb))) = parsed else {
        return;
    };
    add_name_records(&nrb, info);
}

fn add_name_records(nrb: &NameResolutionBlock<'_>, info: &mut CaptureInfo) {
    for rec in &nrb.nr {
        if info.name_records.len() >= CaptureInfo::MAX_NAME_RECORDS {
            return;
        }
        let v = rec.record_value;
        let (addr, names): (std::net::IpAddr, &[u8]) = match rec.record_type.0 {
            1 if v.len() >= 4 => (
                <[u8; 4]>::try_from(&v[..4]).unwrap_or([0; 4]).into(),
                &v[4..],
            ),
            2 if v.len() >= 16 => (
                <[u8; 16]>::try_from(&v[..16]).unwrap_or([0; 16]).into(),
                &v[16..],
            ),
            _ => continue,
        };
        for name in names.split(|&c| c == 0).filter(|n| !n.is_empty()) {
            info.name_records
                .push((addr, String::from_utf8_lossy(name).into_owned()));
        }
    }
}
