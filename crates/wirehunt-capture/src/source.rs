//! Where the bytes come from: a memory-mapped file, or a stream (a regular
//! file where there is a second core, standard input, a gzip decoder) read
//! ahead by a thread of its own into a few reusable chunks, so that reading
//! (and decompressing) overlaps the dissection.
//!
//! Both give the reader the same two calls: [`Source::fill`] makes at least
//! `n` bytes visible at the current position (fewer only at the end of the
//! input) and [`Source::consume`] moves past bytes already used. A stream
//! holds at most [`CHUNKS_AHEAD`] chunks besides the one being read, and a
//! chunk grows only to hold the largest record seen, so memory stays
//! bounded by the reader's own record-size limits.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use memmap2::Mmap;

/// How far ahead of the reader a mapped input is asked into the CPU cache.
/// The pages of a mapped file come from memory the CPU has not seen; without
/// this, every record header is a full memory round trip (a stream reads
/// through a buffer the copy has just brought into the cache).
const PREFETCH_DISTANCE: usize = 8 << 10;

/// Asks the CPU to bring the memory of `items` into its cache, a line at a
/// time; a hint, with no effect on what the program computes.
pub fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let start = items.as_ptr().cast::<i8>();
        for off in (0..std::mem::size_of_val(items)).step_by(64) {
            // SAFETY: a prefetch is a hint: it never faults and changes no
            // state the program can see; the address is inside a live slice.
            #[allow(unsafe_code)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(off))
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// Bytes a stream's thread reads into one chunk.
const STREAM_CHUNK: usize = 4 << 20;
/// Room kept in front of a chunk's data for the unread end of the chunk
/// before it (a record cut by the chunk boundary), so that moving to the
/// next chunk copies only that end.
const CHUNK_HEADROOM: usize = 64 << 10;
/// Chunks read ahead of the one being consumed.
const CHUNKS_AHEAD: usize = 2;

/// What a stream's thread sends: a chunk whose data starts at
/// [`CHUNK_HEADROOM`] (empty data: the end of the input), or the read error
/// that ended it.
type Chunk = io::Result<Vec<u8>>;

/// Reads `reader` into chunks until its end, an error, or until nobody
/// listens; emptied chunks come back through `free` for reuse.
fn read_ahead(mut reader: Box<dyn Read + Send>, full: SyncSender<Chunk>, free: Receiver<Vec<u8>>) {
    loop {
        // A chunk handed back keeps its old bytes: they are read over, and
        // only what the reader fills is ever looked at, so it is not zeroed
        // again (that cost as much as a tenth of the copy).
        let mut chunk = free
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_HEADROOM + STREAM_CHUNK));
        chunk.resize(CHUNK_HEADROOM + STREAM_CHUNK, 0);
        let mut end = CHUNK_HEADROOM;
        let result = loop {
            if end == chunk.len() {
                break Ok(());
            }
            match reader.read(&mut chunk[end..]) {
                Ok(0) => break Ok(()),
                Ok(k) => end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(end);
        let last = end == CHUNK_HEADROOM || result.is_err();
        let sent = match result {
            // Bytes read before an error go first, then the error.
            Err(e) if end > CHUNK_HEADROOM => full.send(Ok(chunk)).and_then(|_| full.send(Err(e))),
            Err(e) => full.send(Err(e)),
            Ok(()) => full.send(Ok(chunk)),
        };
        if sent.is_err() || last {
            return;
        }
    }
}

pub(crate) enum Source {
    /// The whole input is addressable at once. `ahead` is how far the
    /// bytes have been asked into the CPU cache (see [`prefetch`]).
    Whole {
        data: Backing,
        pos: usize,
        ahead: usize,
    },
    /// A window over a reader, read ahead by a thread.
    Stream {
        /// Chunks read ahead, in order.
        chunks: Receiver<Chunk>,
        /// Chunks handed back for reuse.
        free: SyncSender<Vec<u8>>,
        /// The current chunk; the visible bytes are `buf[start..end]`.
        buf: Vec<u8>,
        start: usize,
        end: usize,
        /// Absolute offset of `buf[start]`.
        base: u64,
        eof: bool,
        /// Bytes in the input, when known (a regular file).
        total: Option<u64>,
    },
}

pub(crate) enum Backing {
    /// A mapped file, shared by every reader of a split pass.
    Map(Arc<Mmap>),
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
        let (full, chunks) = sync_channel(CHUNKS_AHEAD);
        let (free, returned) = sync_channel(CHUNKS_AHEAD + 1);
        // The thread ends at the end of the input, at an error, or when the
        // source is dropped (its next send fails); a reader blocked on a
        // quiet pipe ends with the process.
        std::thread::Builder::new()
            .name("wirehunt-read".into())
            .spawn(move || read_ahead(reader, full, returned))
            .expect("spawning the read-ahead thread");
        Source::Stream {
            chunks,
            free,
            buf: Vec::new(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            total: None,
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
                chunks,
                free,
                buf,
                start,
                end,
                eof,
                ..
            } => {
                while *end - *start < n && !*eof {
                    let next = match chunks.recv() {
                        Ok(Ok(c)) if c.len() > CHUNK_HEADROOM => c,
                        Ok(Err(e)) => {
                            *eof = true;
                            return Err(e);
                        }
                        // The end of the input (or of its thread).
                        Ok(Ok(_)) | Err(_) => {
                            *eof = true;
                            break;
                        }
                    };
                    let tail = *end - *start;
                    if tail <= CHUNK_HEADROOM {
                        // The unread end goes in front of the new chunk,
                        // which becomes the buffer.
                        let mut next = next;
                        let at = CHUNK_HEADROOM - tail;
                        next[at..CHUNK_HEADROOM].copy_from_slice(&buf[*start..*end]);
                        let old = std::mem::replace(buf, next);
                        *start = at;
                        *end = buf.len();
                        if old.capacity() > 0 {
                            let _ = free.try_send(old);
                        }
                    } else {
                        // A record longer than the headroom: the new data
                        // joins the buffer instead.
                        buf.copy_within(*start..*end, 0);
                        buf.truncate(tail);
                        buf.extend_from_slice(&next[CHUNK_HEADROOM..]);
                        *start = 0;
                        *end = buf.len();
                        let _ = free.try_send(next);
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
            Source::Stream { total, .. } => *total,
        }
    }

    /// Says how long a stream's input is (for progress).
    pub(crate) fn set_total_len(&mut self, len: Option<u64>) {
        if let Source::Stream { total, .. } = self {
            *total = len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `len` bytes of a pattern in pieces of varying size, then
    /// fails if `fail` is set.
    struct Pieces {
        at: usize,
        len: usize,
        fail: bool,
    }

    fn byte(i: usize) -> u8 {
        (i % 251) as u8
    }

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.len {
                return if self.fail {
                    Err(io::Error::other("disk on fire"))
                } else {
                    Ok(0)
                };
            }
            let n = out.len().min(self.len - self.at).min(1 + self.at % 70_000);
            for (i, b) in out[..n].iter_mut().enumerate() {
                *b = byte(self.at + i);
            }
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_stream_gives_every_byte_in_order_across_chunks() {
        let len = 3 * STREAM_CHUNK + 12_345;
        let mut src = Source::stream(Box::new(Pieces {
            at: 0,
            len,
            fail: false,
        }));
        // Steps of every size, some longer than the headroom, so that
        // records cross chunk boundaries both ways.
        let steps = [
            7,
            16,
            1500,
            CHUNK_HEADROOM + 1000,
            3 * CHUNK_HEADROOM,
            65_535,
            1,
        ];
        let mut pos = 0usize;
        let mut i = 0;
        while pos < len {
            let want = steps[i % steps.len()];
            i += 1;
            let seen = src.fill(want).unwrap();
            let n = want.min(len - pos);
            assert!(seen.len() >= n, "at {pos}: {} < {n}", seen.len());
            assert!(
                seen[..n]
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| b == byte(pos + k)),
                "at {pos}"
            );
            assert_eq!(src.offset(), pos as u64);
            src.consume(n);
            pos += n;
        }
        assert!(src.fill(1).unwrap().is_empty());
    }

    #[test]
    fn a_read_error_comes_after_the_bytes_before_it() {
        let len = STREAM_CHUNK + 100;
        let mut src = Source::stream(Box::new(Pieces {
            at: 0,
            len,
            fail: true,
        }));
        let seen = src.fill(len).unwrap();
        assert_eq!(seen.len(), len);
        src.consume(len);
        let e = src.fill(1).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        // The error ends the input.
        assert!(src.fill(1).unwrap().is_empty());
    }
}
