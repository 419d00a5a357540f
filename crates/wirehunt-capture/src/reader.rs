//! The capture reader: format detection and the record loop.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::info::TimePrecision;
use crate::pcap::{self, PcapHeader, RecordHeader};
use crate::pcapng::{self, u32_at};
use crate::source::{Backing, Source};
use crate::{
    CaptureError, CaptureInfo, CustomBlock, FileFormat, Frame, Interface, LinkType, Section,
};
use crate::{MAX_BLOCK_LEN, MAX_PCAP_RECORD};

/// How to open a capture.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Read regular files as a stream even on one core (where they are
    /// otherwise mapped).
    pub no_mmap: bool,
}

/// Whether a regular file is read faster as a stream than mapped: with a
/// second core, the stream's thread brings the bytes into the shared cache
/// while the reader works (a mapped file's page faults and cache misses
/// stay on the reader's thread). Measured on the mixed workload: one-thread
/// views 0.45 s mapped, 0.30-0.37 s streamed.
fn streams_faster() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

enum Format {
    Pcap(PcapHeader),
    PcapNg {
        big_endian: bool,
        section_first_iface: usize,
    },
}

/// Where the next frame lies in the source, found before borrowing it.
struct Located {
    header_len: usize,
    cap_len: usize,
    options_at: usize,
    options_len: usize,
    orig_len: u32,
    ts_ns: i64,
    /// False for pcapng simple packet blocks, which carry no time.
    has_ts: bool,
    interface: u32,
    link_type: LinkType,
    block_len: usize,
    big_endian: bool,
    custom: Option<CustomBlock>,
}

/// Reads frames one at a time from a capture.
pub struct CaptureReader {
    src: Source,
    format: Format,
    info: CaptureInfo,
    next_number: u64,
    /// Bytes of the frame handed out last, consumed on the next call.
    pending: usize,
    done: bool,
}

/// A file opened for reading: mapped, or read as a stream (with its
/// length when that is the length of the capture: a regular file, not
/// compressed).
enum Opened {
    Map(Arc<Mmap>),
    Stream(Box<dyn Read + Send>, Option<u64>),
}

/// Maps a regular, uncompressed file when `map`; anything else is read as
/// a stream.
fn open_file(path: &Path, map: bool) -> Result<Opened, CaptureError> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)?;
    let meta = file.metadata()?;
    let gzip = gzip_magic(&magic[..n]);
    if gzip || !meta.is_file() || !map {
        let len = (meta.is_file() && !gzip).then_some(meta.len());
        let stream = Box::new(io::Cursor::new(magic[..n].to_vec()).chain(file));
        return Ok(Opened::Stream(stream, len));
    }
    // SAFETY contract (one of wirehunt's two `unsafe` blocks; the other is
    // the prefetch hint in source.rs): the map is read-only and private;
    // if another process truncates the file while we read, the OS may
    // signal SIGBUS, as for every mmap-based reader (ripgrep documents
    // the same trade-off). Reading as a stream (the default on more than
    // one core unless `--threads` splits the pass or `packets -V` writes in
    // threads, or `--no-mmap`) avoids it.
    #[allow(unsafe_code)]
    let map = unsafe { Mmap::map(&file)? };
    Ok(Opened::Map(Arc::new(map)))
}

/// A capture file mapped once: its reader walks the records, and the frames
/// it finds can be handed to other threads by their place in the map
/// ([`FrameRef`]), as a split pass does.
#[derive(Clone)]
pub struct SharedCapture {
    map: Arc<Mmap>,
}

impl SharedCapture {
    /// Maps `path` when it is a regular, uncompressed file; `None` for
    /// anything that can be read only once (standard input, a pipe, gzip).
    pub fn open(path: &Path) -> Result<Option<SharedCapture>, CaptureError> {
        if path.as_os_str() == "-" {
            return Ok(None);
        }
        Ok(match open_file(path, true)? {
            Opened::Map(map) => Some(SharedCapture { map }),
            Opened::Stream(..) => None,
        })
    }

    /// Bytes in the file.
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A reader from the file's first record.
    pub fn reader(&self) -> Result<CaptureReader, CaptureError> {
        CaptureReader::new(Source::whole(Backing::Map(Arc::clone(&self.map))), false)
    }

    /// Where a frame read from this file by [`SharedCapture::reader`]
    /// lies, to be handed to another thread; `None` when its bytes are not
    /// in the map (never for frames of this file's readers).
    pub fn locate(&self, frame: &Frame<'_>) -> Option<FrameRef> {
        Some(FrameRef {
            number: frame.number,
            ts_ns: frame.ts_ns,
            has_ts: frame.has_ts,
            orig_len: frame.orig_len,
            link_type: frame.link_type,
            interface: frame.interface,
            precision: frame.precision,
            offset: frame.offset,
            data: self.span(frame.data)?,
            options: self.span(frame.options)?,
            options_big_endian: frame.options_big_endian,
            custom: frame.custom,
        })
    }

    /// Start and length of `part` in the map (an empty part anywhere is
    /// the empty span).
    fn span(&self, part: &[u8]) -> Option<(usize, usize)> {
        if part.is_empty() {
            return Some((0, 0));
        }
        // Addresses compared as numbers: no pointer is made from them.
        let at = (part.as_ptr() as usize).checked_sub(self.map.as_ptr() as usize)?;
        (at.checked_add(part.len())? <= self.map.len()).then_some((at, part.len()))
    }

    fn bytes(&self, (at, len): (usize, usize)) -> &[u8] {
        self.map.get(at..at + len).unwrap_or_default()
    }

    /// The captured bytes of a located frame.
    pub fn data(&self, r: &FrameRef) -> &[u8] {
        self.bytes(r.data)
    }

    /// The frame `r` locates, with `lookahead` as its hint of what comes
    /// next (see [`Frame::lookahead`]).
    pub fn frame<'a>(&'a self, r: &FrameRef, lookahead: &'a [u8]) -> Frame<'a> {
        Frame {
            number: r.number,
            ts_ns: r.ts_ns,
            has_ts: r.has_ts,
            orig_len: r.orig_len,
            link_type: r.link_type,
            interface: r.interface,
            precision: r.precision,
            offset: r.offset,
            data: self.bytes(r.data),
            custom: r.custom,
            lookahead,
            options: self.bytes(r.options),
            options_big_endian: r.options_big_endian,
        }
    }
}

/// A frame of a [`SharedCapture`] by its place in the map rather than by
/// reference: small, and free of the reader's borrow, so that the thread
/// reading the records can hand frames to others.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef {
    number: u64,
    ts_ns: i64,
    has_ts: bool,
    orig_len: u32,
    link_type: LinkType,
    interface: u32,
    precision: TimePrecision,
    offset: u64,
    data: (usize, usize),
    options: (usize, usize),
    options_big_endian: bool,
    custom: Option<CustomBlock>,
}

fn gzip_magic(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

impl CaptureReader {
    /// Opens `path`; `-` means standard input.
    pub fn open(path: &Path, opts: OpenOptions) -> Result<CaptureReader, CaptureError> {
        if path.as_os_str() == "-" {
            return CaptureReader::from_reader(Box::new(io::stdin()));
        }
        match open_file(path, !opts.no_mmap && !streams_faster())? {
            Opened::Map(map) => CaptureReader::new(Source::whole(Backing::Map(map)), false),
            Opened::Stream(rest, len) => {
                let mut r = CaptureReader::from_reader(rest)?;
                r.src.set_total_len(len);
                Ok(r)
            }
        }
    }

    /// Reads a capture from any byte stream (gzip is detected).
    pub fn from_reader(mut reader: Box<dyn Read + Send>) -> Result<CaptureReader, CaptureError> {
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut reader, &mut magic)?;
        let head = io::Cursor::new(magic[..n].to_vec());
        if gzip_magic(&magic[..n]) {
            let gz = flate2::read::MultiGzDecoder::new(head.chain(reader));
            return CaptureReader::new(Source::stream(Box::new(gz)), true);
        }
        CaptureReader::new(Source::stream(Box::new(head.chain(reader))), false)
    }

    /// Reads a capture held in memory (gzip is detected).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        if gzip_magic(&bytes) {
            return CaptureReader::from_reader(Box::new(io::Cursor::new(bytes)));
        }
        CaptureReader::new(Source::whole(Backing::Owned(bytes)), false)
    }

    fn new(mut src: Source, compressed: bool) -> Result<CaptureReader, CaptureError> {
        let head = src.fill(pcap::FILE_HEADER_LEN)?;
        let mut magic = [0u8; 4];
        let k = head.len().min(4);
        magic[..k].copy_from_slice(&head[..k]);
        if let Some(h) = PcapHeader::parse(head) {
            let mut info = CaptureInfo::new(h.format(), compressed);
            info.sections.push(Section {
                big_endian: h.big_endian,
                ..Section::default()
            });
            info.interfaces.push(Interface {
                link_type: h.link_type,
                snaplen: h.snaplen,
                precision: TimePrecision::Decimal(if h.nanosecond { 9 } else { 6 }),
                ts_offset: 0,
                name: None,
                description: None,
                os: None,
                filter: None,
                fcs_len: None,
                tsresol: h.nanosecond.then_some(9),
                stat_entries: 0,
                packets: 0,
                section: 0,
            });
            src.consume(pcap::FILE_HEADER_LEN);
            return Ok(CaptureReader {
                src,
                format: Format::Pcap(h),
                info,
                next_number: 1,
                pending: 0,
                done: false,
            });
        }
        if u32::from_le_bytes(magic) == pcapng::SHB {
            return Ok(CaptureReader {
                src,
                format: Format::PcapNg {
                    big_endian: false,
                    section_first_iface: 0,
                },
                info: CaptureInfo::new(FileFormat::PcapNg, compressed),
                next_number: 1,
                pending: 0,
                done: false,
            });
        }
        if head.len() < 4 {
            return Err(CaptureError::Truncated {
                offset: 0,
                frame: 0,
                needed: 4,
                available: head.len() as u64,
            });
        }
        Err(CaptureError::UnknownFormat { magic })
    }

    /// What the file has said about itself so far (complete after the last
    /// frame).
    pub fn info(&self) -> &CaptureInfo {
        &self.info
    }

    /// Size of the input in bytes when known (not for streams).
    pub fn file_len(&self) -> Option<u64> {
        self.src.total_len()
    }

    /// Byte offset the reader has reached.
    pub fn offset(&self) -> u64 {
        self.src.offset() + self.pending as u64
    }

    /// The next frame, `Ok(None)` at the end, or the error that stopped the
    /// reading (after which every call returns `Ok(None)`).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        self.src.consume(std::mem::take(&mut self.pending));
        let located = match &self.format {
            Format::Pcap(h) => self.locate_pcap(*h),
            Format::PcapNg { .. } => self.locate_pcapng(),
        };
        let loc = match located {
            Ok(Some(loc)) => loc,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        let number = self.next_number;
        self.next_number += 1;
        self.pending = loc.block_len;
        if let Some(iface) = self.info.interfaces.get_mut(loc.interface as usize) {
            iface.packets += 1;
        }
        let offset = self.src.offset();
        let precision = self
            .info
            .interfaces
            .get(loc.interface as usize)
            .map_or(TimePrecision::Decimal(6), |i| i.precision);
        let lookahead = self.lookahead(loc.block_len);
        Ok(Some(Frame {
            lookahead,
            precision,
            number,
            ts_ns: loc.ts_ns,
            has_ts: loc.has_ts,
            orig_len: loc.orig_len,
            link_type: loc.link_type,
            interface: loc.interface,
            offset,
            data: self.src.slice(loc.header_len, loc.cap_len),
            options: self.src.slice(loc.options_at, loc.options_len),
            options_big_endian: loc.big_endian,
            custom: loc.custom,
        }))
    }

    /// The first bytes of the packet after the record of `block_len` bytes
    /// at the current position, when they are already read (a pcap record
    /// or a pcapng enhanced packet block); else nothing.
    fn lookahead(&self, block_len: usize) -> &[u8] {
        let after = self.src.visible().get(block_len..).unwrap_or_default();
        let data_at = match self.format {
            Format::Pcap(h) => Some(h.record_header_len()),
            Format::PcapNg { big_endian, .. } => {
                let ty = after.get(..4).map(|b| {
                    let b = [b[0], b[1], b[2], b[3]];
                    if big_endian {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    }
                });
                (ty == Some(6)).then_some(28)
            }
        };
        data_at
            .and_then(|at| after.get(at..))
            .map_or(&[], |b| &b[..b.len().min(crate::LOOKAHEAD_LEN)])
    }

    fn truncated(&self, needed: usize, available: usize) -> CaptureError {
        CaptureError::Truncated {
            offset: self.src.offset(),
            frame: self.next_number,
            needed: needed as u64,
            available: available as u64,
        }
    }

    fn damaged(&self, reason: String) -> CaptureError {
        CaptureError::Damaged {
            offset: self.src.offset(),
            frame: self.next_number,
            reason,
        }
    }

    fn locate_pcap(&mut self, h: PcapHeader) -> Result<Option<Located>, CaptureError> {
        let hl = h.record_header_len();
        let buf = self.src.fill(hl)?;
        if buf.is_empty() {
            return Ok(None);
        }
        if buf.len() < hl {
            let n = buf.len();
            return Err(self.truncated(hl, n));
        }
        let rec = RecordHeader::parse(&h, buf);
        if rec.incl_len > MAX_PCAP_RECORD {
            return Err(self.damaged(format!(
                "record claims a {}-byte packet, bigger than the maximum of {MAX_PCAP_RECORD}",
                rec.incl_len
            )));
        }
        let total = hl + rec.incl_len as usize;
        let buf = self.src.fill(total)?;
        if buf.len() < total {
            let n = buf.len();
            return Err(self.truncated(total, n));
        }
        Ok(Some(Located {
            header_len: hl,
            cap_len: rec.incl_len as usize,
            options_at: total,
            options_len: 0,
            orig_len: rec.orig_len,
            ts_ns: rec.ts_ns(h.nanosecond),
            has_ts: true,
            interface: 0,
            link_type: h.link_type,
            block_len: total,
            big_endian: h.big_endian,
            custom: None,
        }))
    }

    fn locate_pcapng(&mut self) -> Result<Option<Located>, CaptureError> {
        loop {
            let Format::PcapNg {
                big_endian,
                section_first_iface,
            } = self.format
            else {
                return Ok(None);
            };
            let head = self.src.fill(12)?;
            if head.is_empty() {
                return Ok(None);
            }
            if head.len() < 12 {
                let n = head.len();
                return Err(self.truncated(12, n));
            }
            let block_type = u32_at(head, 0, big_endian);
            let mut be = big_endian;
            if block_type == pcapng::SHB {
                be = match u32::from_le_bytes([head[8], head[9], head[10], head[11]]) {
                    pcapng::BYTE_ORDER_MAGIC => false,
                    m if m.swap_bytes() == pcapng::BYTE_ORDER_MAGIC => true,
                    _ => {
                        return Err(
                            self.damaged("section header with an unknown byte-order magic".into())
                        );
                    }
                };
            }
            let total = u32_at(head, 4, be);
            if total < 12 || !total.is_multiple_of(4) {
                return Err(self.damaged(format!(
                    "block of type {block_type:#x} has total length {total}, not a multiple of 4 of at least 12"
                )));
            }
            if total > MAX_BLOCK_LEN {
                return Err(self.damaged(format!(
                    "block of type {block_type:#x} claims {total} bytes, more than the maximum of {MAX_BLOCK_LEN}"
                )));
            }
            let total = total as usize;
            let b = self.src.fill(total)?;
            if b.len() < total {
                let n = b.len();
                return Err(self.truncated(total, n));
            }
            let b = &b[..total];
            if u32_at(b, total - 4, be) != total as u32 {
                return Err(self.damaged(format!(
                    "block of type {block_type:#x}: trailing length differs from leading length {total}"
                )));
            }
            match block_type {
                pcapng::SHB => {
                    pcapng::read_shb(b, be, &mut self.info);
                    self.format = Format::PcapNg {
                        big_endian: be,
                        section_first_iface: self.info.interfaces.len(),
                    };
                }
                pcapng::IDB if total >= 20 => pcapng::read_idb(b, be, &mut self.info),
                pcapng::EPB | pcapng::OPB => {
                    let min = 32;
                    if total < min {
                        return Err(
                            self.damaged(format!("packet block of {total} bytes is too short"))
                        );
                    }
                    let (if_id, ts_high, ts_low, cap, orig) = if block_type == pcapng::EPB {
                        (
                            u32_at(b, 8, be),
                            u32_at(b, 12, be),
                            u32_at(b, 16, be),
                            u32_at(b, 20, be),
                            u32_at(b, 24, be),
                        )
                    } else {
                        (
                            pcapng::u16_at(b, 8, be) as u32,
                            u32_at(b, 12, be),
                            u32_at(b, 16, be),
                            u32_at(b, 20, be),
                            u32_at(b, 24, be),
                        )
                    };
                    let room = total - 32;
                    if cap as usize > room {
                        return Err(self.damaged(format!(
                            "packet block announces {cap} captured bytes but holds only {room}"
                        )));
                    }
                    let global = section_first_iface + if_id as usize;
                    let Some(iface) = self.info.interfaces.get(global) else {
                        return Err(self.damaged(format!(
                            "packet block refers to interface {if_id}, which the section has not described"
                        )));
                    };
                    let raw_ts = ((ts_high as u64) << 32) | ts_low as u64;
                    let opt_at = 28 + (cap as usize).next_multiple_of(4);
                    let opt_end = total - 4;
                    return Ok(Some(Located {
                        header_len: 28,
                        cap_len: cap as usize,
                        options_at: opt_at.min(opt_end),
                        options_len: opt_end.saturating_sub(opt_at),
                        orig_len: orig,
                        ts_ns: pcapng::ts_to_ns(raw_ts, iface.precision, iface.ts_offset),
                        has_ts: true,
                        interface: global as u32,
                        link_type: iface.link_type,
                        block_len: total,
                        big_endian: be,
                        custom: None,
                    }));
                }
                pcapng::SPB => {
                    let Some(iface) = self.info.interfaces.get(section_first_iface) else {
                        return Err(self.damaged(
                            "simple packet block before any interface description".into(),
                        ));
                    };
                    let orig = u32_at(b, 8, be);
                    let mut cap = (total - 16).min(orig as usize);
                    if iface.snaplen != 0 {
                        cap = cap.min(iface.snaplen as usize);
                    }
                    return Ok(Some(Located {
                        header_len: 12,
                        cap_len: cap,
                        options_at: total - 4,
                        options_len: 0,
                        orig_len: orig,
                        ts_ns: 0,
                        has_ts: false,
                        interface: section_first_iface as u32,
                        link_type: iface.link_type,
                        block_len: total,
                        big_endian: be,
                        custom: None,
                    }));
                }
                pcapng::CB_COPY | pcapng::CB_NO_COPY if total >= 16 => {
                    let cap = total - 16;
                    return Ok(Some(Located {
                        header_len: 12,
                        cap_len: cap,
                        options_at: total - 4,
                        options_len: 0,
                        orig_len: cap as u32,
                        ts_ns: 0,
                        has_ts: false,
                        interface: u32::MAX,
                        link_type: LinkType::PCAPNG_BLOCK,
                        block_len: total,
                        big_endian: be,
                        custom: Some(CustomBlock {
                            pen: u32_at(b, 8, be),
                            copy: block_type == pcapng::CB_COPY,
                        }),
                    }));
                }
                pcapng::NRB => pcapng::read_nrb(b, be, &mut self.info),
                pcapng::ISB => {
                    self.info.stat_blocks += 1;
                    if b.len() >= 12 {
                        let id = section_first_iface + u32_at(b, 8, be) as usize;
                        if let Some(i) = self.info.interfaces.get_mut(id) {
                            i.stat_entries += 1;
                        }
                    }
                }
                _ => self.info.skipped_blocks += 1,
            }
            self.src.consume(total);
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
