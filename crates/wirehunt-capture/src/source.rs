//! Where the bytes come from: a memory-mapped file, or a stream (standard
//! input, a gzip decoder, a file read with `--no-mmap`) read through one
//! reusable buffer.
//!
//! Both give the reader the same two calls: [`Source::fill`] makes at least
//! `n` bytes visible at the current position (fewer only at the end of the
//! input) and [`Source::consume`] moves past bytes already used. The stream
//! buffer only grows to the largest record seen, so memory stays bounded by
//! the reader's own record-size limits.

use std::io::{self, Read};

use memmap2::Mmap;

/// How far ahead of the reader a mapped input is asked into the CPU cache.
/// The pages of a mapped file come from memory the CPU has not seen; without
/// this, every record header is a full memory round trip (a stream reads
/// through a buffer the copy has just brought into the cache).
const PREFETCH_DISTANCE: usize = 8 << 10;

/// Asks the CPU to bring `bytes` into its cache; a hint, with no effect on
/// what the program computes.
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults and changes no state
        // the program can see; the address is inside a live slice.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Initial size of the stream buffer.
const STREAM_CHUNK: usize = 1 << 20;

pub(crate) enum Source {
    /// The whole input is addressable at once. `ahead` is how far the
    /// bytes have been asked into the CPU cache (see [`prefetch`]).
    Whole {
        data: Backing,
        pos: usize,
        ahead: usize,
    },
    /// A window over a reader.
    Stream {
        reader: Box<dyn Read + Send>,
        buf: Vec<u8>,
        start: usize,
        end: usize,
        /// Absolute offset of `buf[start]`.
        base: u64,
        eof: bool,
    },
}

pub(crate) enum Backing {
    Map(Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

impl Source {
    pub(crate) fn whole(data: Backing) -> Source {
        Source::Whole {
            data,
            pos: 0,
            ahead: 0,
        }
    }

    pub(crate) fn stream(reader: Box<dyn Read + Send>) -> Source {
        Source::Stream {
            reader,
            buf: vec![0; STREAM_CHUNK],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Absolute offset of the current position.
    pub(crate) fn offset(&self) -> u64 {
        match self {
            Source::Whole { pos, .. } => *pos as u64,
            Source::Stream { base, .. } => *base,
        }
    }

    /// Makes at least `n` bytes visible from the current position and
    /// returns all visible bytes; the slice is shorter than `n` only when
    /// the input ends first.
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        match self {
            Source::Whole { data, pos, ahead } => {
                let bytes = data.bytes();
                if *pos + PREFETCH_DISTANCE / 2 > *ahead {
                    let to = (*pos + PREFETCH_DISTANCE).min(bytes.len());
                    prefetch(&bytes[(*ahead).max(*pos).min(to)..to]);
                    *ahead = to;
                }
                Ok(&bytes[*pos..])
            }
            Source::Stream {
                reader,
                buf,
                start,
                end,
                eof,
                ..
            } => {
                if *end - *start < n && !*eof {
                    if *start + n > buf.len() {
                        // Move the unread tail to the front, then grow if
                        // one record is larger than the buffer.
                        buf.copy_within(*start..*end, 0);
                        *end -= *start;
                        *start = 0;
                        if n > buf.len() {
                            buf.resize(n.next_power_of_two(), 0);
                        }
                    }
                    while *end - *start < n {
                        match reader.read(&mut buf[*end..]) {
                            Ok(0) => {
                                *eof = true;
                                break;
                            }
                            Ok(k) => *end += k,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Ok(&buf[*start..*end])
            }
        }
    }

    /// The `len` bytes at `at` past the current position; they must have
    /// been made visible by [`Source::fill`].
    pub(crate) fn slice(&self, at: usize, len: usize) -> &[u8] {
        match self {
            Source::Whole { data, pos, .. } => &data.bytes()[*pos + at..*pos + at + len],
            Source::Stream { buf, start, .. } => &buf[*start + at..*start + at + len],
        }
    }

    /// The bytes visible from the current position (read, not consumed).
    pub(crate) fn visible(&self) -> &[u8] {
        match self {
            Source::Whole { data, pos, .. } => &data.bytes()[*pos..],
            Source::Stream {
                buf, start, end, ..
            } => &buf[*start..*end],
        }
    }

    pub(crate) fn consume(&mut self, n: usize) {
        match self {
            Source::Whole { pos, .. } => *pos += n,
            Source::Stream { start, base, .. } => {
                *start += n;
                *base += n as u64;
            }
        }
    }

    /// Total size when known (memory-mapped or owned input).
    pub(crate) fn total_len(&self) -> Option<u64> {
        match self {
            Source::Whole { data, .. } => Some(data.bytes().len() as u64),
            Source::Stream { .. } => None,
        }
    }
}
