//! One pass over a capture: read, filter, dissect, follow conversations,
//! and hand each frame to a view. Shared by `packets`, `stats`, `follow`
//! and `hunt`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use wirehunt_capture::{CaptureError, CaptureInfo, CaptureReader, OpenOptions};
use wirehunt_fields::FrameCtx;
pub use wirehunt_fields::Needs;

use crate::EXIT_INPUT;
use crate::table::Progress;

/// What a pass over a capture leaves besides the views' own state.
pub struct Pass {
    pub info: CaptureInfo,
    pub file_size: Option<u64>,
    /// Frames read (before filters).
    pub frames: u64,
    pub damage: Option<CaptureError>,
}

impl Pass {
    /// After the view's output: names the damage, if any, on stderr
    /// ("the 12 frames before it were {done}") and says whether there was
    /// some.
    pub fn report_damage(&self, path: &Path, done: &str) -> bool {
        let Some(e) = &self.damage else {
            return false;
        };
        let n = self.frames;
        let frames = if n == 1 {
            "frame before it was"
        } else {
            "frames before it were"
        };
        eprintln!("wirehunt: {}: {e}; the {n} {frames} {done}", path.display());
        true
    }

    /// Reports the damage and picks the exit status.
    pub fn finish(self, path: &Path, done: &str) -> ExitCode {
        if self.report_damage(path, done) {
            ExitCode::from(EXIT_INPUT)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Where frames come from and which of them count.
pub struct Source<'a> {
    pub path: &'a Path,
    pub no_mmap: bool,
    /// Display filter (Wireshark's language).
    pub display_filter: Option<&'a str>,
    /// Capture filter (tcpdump's language), applied first.
    pub capture_filter: Option<&'a str>,
    pub max_conversations: usize,
    /// Stop after this many frames.
    pub limit: u64,
    /// What the view reads beyond the dissection (the display filter adds
    /// what its fields read).
    pub needs: Needs,
}

/// Reads a capture once, handing every record to `see` without dissecting
/// it (views of the file itself, as capinfos); `see` returns false to
/// stop.
pub fn each_record(
    src: &Source<'_>,
    see: impl FnMut(&wirehunt_capture::Frame<'_>) -> bool,
) -> anyhow::Result<Pass> {
    records(src, None, see)
}

/// [`each_record`], from `shared` when given (the file `src` names, mapped
/// once).
fn records(
    src: &Source<'_>,
    shared: Option<&wirehunt_capture::SharedCapture>,
    mut see: impl FnMut(&wirehunt_capture::Frame<'_>) -> bool,
) -> anyhow::Result<Pass> {
    let path = src.path;
    let opened = match shared {
        Some(s) => s.reader(),
        None => CaptureReader::open(
            path,
            OpenOptions {
                no_mmap: src.no_mmap,
            },
        ),
    };
    let mut reader = opened.with_context(|| format!("{}", path.display()))?;
    let file_size = if path.as_os_str() == "-" {
        None
    } else {
        std::fs::metadata(path).ok().map(|m| m.len())
    };
    let mut progress = Progress::new(reader.file_len());
    let (frames, damage) = read_all(&mut reader, src.limit, Some(&mut progress), |f, _| see(f));
    Ok(Pass {
        info: reader.info().clone(),
        file_size,
        frames,
        damage,
    })
}

/// Hands `see` every record of `reader` (at most `limit`) with its count so
/// far, moving `progress` on now and then; `see` returns false to stop.
/// Returns the records read and the damage that ended the reading.
fn read_all(
    reader: &mut CaptureReader,
    limit: u64,
    mut progress: Option<&mut Progress>,
    mut see: impl FnMut(&wirehunt_capture::Frame<'_>, u64) -> bool,
) -> (u64, Option<CaptureError>) {
    let mut frames = 0u64;
    let mut damage = None;
    while frames < limit {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                damage = Some(e);
                break;
            }
        };
        frames += 1;
        if frames.is_multiple_of(65_536)
            && let Some(p) = progress.as_mut()
        {
            p.update(frame.offset);
        }
        if !see(&frame, frames) {
            break;
        }
    }
    if let Some(p) = progress {
        p.done();
    }
    (frames, damage)
}

/// Reads a capture once. Every frame that passes the capture filter goes
/// to `see` with its dissection and conversation info, and whether it
/// matches the display filter (views that must still see the other frames,
/// as the packet list does, get them too); `see` returns false to stop.
pub fn each_frame(
    src: &Source<'_>,
    see: impl FnMut(&FrameCtx<'_, '_>, bool) -> bool,
) -> anyhow::Result<Pass> {
    frames(src, None, see)
}

/// [`each_frame`] over `shared`, the file `src` names mapped once: the
/// frames' bytes are the map's, so that what `see` keeps of them can be
/// kept by their place in it ([`wirehunt_capture::SharedCapture::locate`]).
pub fn each_frame_mapped(
    src: &Source<'_>,
    shared: &wirehunt_capture::SharedCapture,
    see: impl FnMut(&FrameCtx<'_, '_>, bool) -> bool,
) -> anyhow::Result<Pass> {
    frames(src, Some(shared), see)
}

fn frames(
    src: &Source<'_>,
    shared: Option<&wirehunt_capture::SharedCapture>,
    mut see: impl FnMut(&FrameCtx<'_, '_>, bool) -> bool,
) -> anyhow::Result<Pass> {
    let filter = match src.display_filter {
        Some(text) => Some(
            wirehunt_filter::Filter::new(text)
                .map_err(|e| anyhow::anyhow!("invalid display filter: {e}"))?,
        ),
        None => None,
    };
    let mut bpf = crate::bpf::CaptureFilter::from_arg(src.capture_filter)?;

    let needs = filter
        .as_ref()
        .map_or(src.needs, |f| src.needs.union(f.needs()));
    let mut pipeline = wirehunt_fields::pipeline::Pipeline::new(needs, src.max_conversations);
    let mut first_ts = None;
    records(src, shared, |frame| {
        let first_ts_ns = *first_ts.get_or_insert(frame.ts_ns);
        if let Some(b) = bpf.as_mut()
            && !b.matches(frame.link_type, frame.data)
        {
            return true;
        }
        pipeline.run(frame, first_ts_ns, |ctx| {
            let matched = filter.as_ref().is_none_or(|f| f.matches(ctx));
            see(ctx, matched)
        })
    })
}

/// Most threads a split pass uses.
const MAX_THREADS: usize = 16;

/// How many threads a pass over `src` with a given `--threads` uses, and
/// the mapped file they share; `None` reads it in one thread. That is the
/// default: on two cores a split gains up to a fifth on a capture the
/// kernel holds in large pages (one read back from disk) but loses as much
/// on one held in small pages (just written in small pieces), where walking
/// the mapped file faults far more often. Input that is not a regular file
/// (standard input, a pipe, gzip), `--no-mmap`, and passes that need the
/// frames in one order (a display filter, which may read stream numbers;
/// a frame limit) are never split.
fn split_plan(
    src: &Source<'_>,
    threads: Option<usize>,
) -> anyhow::Result<Option<(wirehunt_capture::SharedCapture, usize)>> {
    let n = threads.unwrap_or(1).min(MAX_THREADS);
    if n < 2 || src.no_mmap || src.display_filter.is_some() || src.limit != u64::MAX {
        return Ok(None);
    }
    let shared = wirehunt_capture::SharedCapture::open(src.path)
        .with_context(|| format!("{}", src.path.display()))?;
    Ok(shared.map(|s| (s, n)))
}

/// What the reading worker of a split pass leaves.
struct Part<V> {
    pass: Pass,
    view: V,
    /// The frame at which the worker met a frame (or state) shared with
    /// another worker, or saw another worker stop, and stopped.
    crossed: Option<u64>,
}

/// Frames the reading worker hands another at a time.
const BATCH: usize = 1024;
/// Batches on their way to one worker; the reader waits beyond that, so
/// that memory stays bounded whatever the workers' speed.
const BATCHES_AHEAD: usize = 4;

/// How many frames ahead a worker asks for the first [`PREFETCH_BYTES`]
/// of a frame.
const PREFETCH_FRAMES: usize = 8;
const PREFETCH_BYTES: usize = 128;

/// Frames for one worker, and the time of the capture's first frame.
struct Batch {
    first_ts_ns: i64,
    frames: Vec<wirehunt_capture::FrameRef>,
}

/// Which worker owns an address pair ([`wirehunt_dissect::shard`]). The
/// reading worker also walks every record and reads every frame's
/// addresses for the others, so it owns a smaller share of the pairs.
#[derive(Clone, Copy)]
struct Shares {
    workers: u64,
    /// Pair keys (their top 32 bits) below this belong to the reader.
    reader: u64,
}

impl Shares {
    fn new(workers: usize) -> Shares {
        let workers = workers.max(1) as u64;
        // The reader's share of the pairs, in percent: the others split
        // the rest evenly. On the mixed workload its walk over the records
        // costs about as much as a third of the dissection.
        let pct = (100 / workers).saturating_sub(30);
        Shares {
            workers,
            reader: (pct << 32) / 100,
        }
    }

    fn owner(&self, key: u64) -> usize {
        let x = key >> 32;
        if self.workers == 1 || x < self.reader {
            return 0;
        }
        (1 + (x - self.reader) * (self.workers - 1) / ((1u64 << 32) - self.reader)) as usize
    }

    /// Whether every IP header of a frame belongs to worker `me`, and ARP
    /// (whose duplicate check spans pairs) only to the reader.
    fn holds(&self, me: usize, pkt: &wirehunt_dissect::Packet<'_>) -> bool {
        wirehunt_dissect::shard::layer_pairs(pkt).all(|k| self.owner(k) == me)
            && (me == 0 || !pkt.has(wirehunt_dissect::Proto::Arp))
    }
}

/// Reads a capture once, like [`each_frame`], for views that only add
/// frames up (statistics): every frame that passes the filters goes to
/// `see` with its dissection and conversations, and the view comes back.
///
/// With `threads` of 2 or more, a regular file is mapped and split over
/// that many workers ([`split_plan`] says when it is not), each with a
/// view of its own from `make`; `merge` adds each later worker's view to
/// the first one's. The first worker reads the records and hands each
/// frame to the worker that owns its pair of IP addresses
/// ([`wirehunt_dissect::shard`]), by its place in the map, so each
/// conversation's frames meet one pipeline, in capture order, and its
/// state is what a one-thread pass would hold; only stream numbers count
/// per worker, so views must not need them beyond telling conversations
/// apart. When a frame or piece of state spans two pairs (a tunnel, an
/// ICMP error from a router, SDP's media, a bound reached) the workers
/// stop and the pass is read again in one thread, so the result never
/// depends on the split.
pub fn each_frame_split<V: Send>(
    src: &Source<'_>,
    threads: Option<usize>,
    make: impl Fn() -> V + Sync,
    see: impl Fn(&mut V, &FrameCtx<'_, '_>) + Sync,
    merge: impl Fn(&mut V, V),
) -> anyhow::Result<(Pass, V)> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{channel, sync_channel};
    if let Some((shared, n)) = split_plan(src, threads)? {
        let abort = AtomicBool::new(false);
        let shares = Shares::new(n);
        let (part, others) = std::thread::scope(|scope| {
            let (free, returned) = channel();
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            for me in 1..n {
                let (tx, rx) = sync_channel(BATCHES_AHEAD);
                senders.push(tx);
                let (shared, abort, make, see, free) = (&shared, &abort, &make, &see, free.clone());
                let worker = move || {
                    let (view, crossed) =
                        split_worker(src, shared, &shares, me, abort, rx, free, make(), see);
                    if crossed.is_some() {
                        abort.store(true, Ordering::Relaxed);
                    }
                    (view, crossed)
                };
                handles.push(
                    std::thread::Builder::new()
                        .name(format!("wirehunt-{me}"))
                        .spawn_scoped(scope, worker)
                        .expect("spawning a worker thread"),
                );
            }
            drop(free);
            let part = split_reader(
                src,
                &shared,
                &shares,
                &abort,
                senders,
                returned,
                make(),
                &see,
            );
            if part.as_ref().map_or(true, |p| p.crossed.is_some()) {
                abort.store(true, Ordering::Relaxed);
            }
            let others: Vec<(V, Option<u64>)> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect();
            (part, others)
        });
        let part = part?;
        let crossed = std::iter::once(part.crossed)
            .chain(others.iter().map(|o| o.1))
            .flatten()
            .min();
        // For tests and benchmarks: whether the split held.
        if std::env::var_os("WIREHUNT_TRACE_SPLIT").is_some() {
            match crossed {
                None => eprintln!("wirehunt: split over {n} threads"),
                Some(f) => eprintln!("wirehunt: split over {n} threads given up at frame {f}"),
            }
        }
        if crossed.is_none() {
            let mut view = part.view;
            for (other, _) in others {
                merge(&mut view, other);
            }
            return Ok((part.pass, view));
        }
    }
    let mut view = make();
    let pass = each_frame(src, |ctx, matched| {
        if matched {
            see(&mut view, ctx);
        }
        true
    })?;
    Ok((pass, view))
}

/// The reading worker of [`each_frame_split`]: reads every record, counts
/// the frames of the pairs it owns and sends the others' on in batches.
#[allow(clippy::too_many_arguments)]
fn split_reader<V>(
    src: &Source<'_>,
    shared: &wirehunt_capture::SharedCapture,
    shares: &Shares,
    abort: &std::sync::atomic::AtomicBool,
    senders: Vec<std::sync::mpsc::SyncSender<Batch>>,
    returned: std::sync::mpsc::Receiver<Vec<wirehunt_capture::FrameRef>>,
    mut view: V,
    see: &(impl Fn(&mut V, &FrameCtx<'_, '_>) + Sync),
) -> anyhow::Result<Part<V>> {
    use wirehunt_dissect::shard::frame_pair;
    let mut bpf = crate::bpf::CaptureFilter::from_arg(src.capture_filter)?;
    let mut reader = shared
        .reader()
        .with_context(|| format!("{}", src.path.display()))?;
    let n = senders.len() + 1;
    // The conversation table's room is shared out, so that the workers
    // together hold what one pass would.
    let mut pipeline =
        wirehunt_fields::pipeline::Pipeline::new(src.needs, (src.max_conversations / n).max(1));
    let mut progress = Progress::new(Some(shared.len()));
    let mut batches: Vec<Vec<_>> = senders.iter().map(|_| Vec::with_capacity(BATCH)).collect();
    let (mut first_ts, mut crossed) = (None, None);
    let (frames, damage) = read_all(
        &mut reader,
        u64::MAX,
        Some(&mut progress),
        |frame, n_read| {
            if n_read.is_multiple_of(16_384) && abort.load(std::sync::atomic::Ordering::Relaxed) {
                crossed = Some(u64::MAX);
                return false;
            }
            let first_ts_ns = *first_ts.get_or_insert(frame.ts_ns);
            if let Some(b) = bpf.as_mut()
                && !b.matches(frame.link_type, frame.data)
            {
                return true;
            }
            let owner = frame_pair(frame.data, frame.link_type).map_or(0, |k| shares.owner(k));
            if owner != 0 {
                let (Some(at), Some(batch)) = (shared.locate(frame), batches.get_mut(owner - 1))
                else {
                    crossed = Some(frame.number);
                    return false;
                };
                batch.push(at);
                if batch.len() == BATCH {
                    let mut next = returned
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    next.clear();
                    let frames = std::mem::replace(batch, next);
                    if senders[owner - 1]
                        .send(Batch {
                            first_ts_ns,
                            frames,
                        })
                        .is_err()
                    {
                        // The worker stopped.
                        crossed = Some(frame.number);
                        return false;
                    }
                }
                return true;
            }
            let kept = pipeline.run(frame, first_ts_ns, |ctx| {
                let here = shares.holds(0, ctx.pkt);
                if here {
                    see(&mut view, ctx);
                }
                here
            });
            if !kept || !pipeline.keyed_by_pairs() {
                crossed = Some(frame.number);
                return false;
            }
            true
        },
    );
    if crossed.is_none() {
        let first_ts_ns = first_ts.unwrap_or(0);
        for (tx, frames) in senders.iter().zip(batches) {
            if !frames.is_empty()
                && tx
                    .send(Batch {
                        first_ts_ns,
                        frames,
                    })
                    .is_err()
            {
                crossed = Some(u64::MAX);
            }
        }
    }
    Ok(Part {
        pass: Pass {
            info: reader.info().clone(),
            file_size: Some(shared.len()),
            frames,
            damage,
        },
        view,
        crossed,
    })
}

/// A worker of [`each_frame_split`] other than the reader: counts the
/// frames it is sent, in order, until the reader is done. Returns its view
/// and the frame at which it met one shared with another worker, or saw
/// another stop.
#[allow(clippy::too_many_arguments)]
fn split_worker<V>(
    src: &Source<'_>,
    shared: &wirehunt_capture::SharedCapture,
    shares: &Shares,
    me: usize,
    abort: &std::sync::atomic::AtomicBool,
    batches: std::sync::mpsc::Receiver<Batch>,
    free: std::sync::mpsc::Sender<Vec<wirehunt_capture::FrameRef>>,
    mut view: V,
    see: &(impl Fn(&mut V, &FrameCtx<'_, '_>) + Sync),
) -> (V, Option<u64>) {
    let n = shares.workers as usize;
    let mut pipeline =
        wirehunt_fields::pipeline::Pipeline::new(src.needs, (src.max_conversations / n).max(1));
    while let Ok(batch) = batches.recv() {
        if abort.load(std::sync::atomic::Ordering::Relaxed) {
            return (view, Some(u64::MAX));
        }
        for (i, at) in batch.frames.iter().enumerate() {
            // The headers of the frames a little further on are asked into
            // the cache: the reader brought them into another core's.
            if let Some(r) = batch.frames.get(i + PREFETCH_FRAMES) {
                let d = shared.data(r);
                wirehunt_capture::prefetch(&d[..d.len().min(PREFETCH_BYTES)]);
            }
            // The next frame's first bytes, as the reader would give them.
            let next = batch.frames.get(i + 1).map_or(&[][..], |r| {
                let d = shared.data(r);
                &d[..d.len().min(wirehunt_capture::LOOKAHEAD_LEN)]
            });
            let frame = shared.frame(at, next);
            let kept = pipeline.run(&frame, batch.first_ts_ns, |ctx| {
                let here = shares.holds(me, ctx.pkt);
                if here {
                    see(&mut view, ctx);
                }
                here
            });
            if !kept || !pipeline.keyed_by_pairs() {
                return (view, Some(frame.number));
            }
        }
        let mut frames = batch.frames;
        frames.clear();
        let _ = free.send(frames);
    }
    (view, None)
}

#[cfg(test)]
mod tests {
    use super::Shares;

    #[test]
    fn shares_give_every_worker_pairs_and_the_reader_less() {
        for workers in 1..=6usize {
            let shares = Shares::new(workers);
            let mut counts = vec![0u64; workers];
            let samples = 100_000u64;
            for i in 0..samples {
                // Keys spread evenly over the whole range.
                let key = i.wrapping_mul(u64::MAX / samples);
                let owner = shares.owner(key);
                assert!(owner < workers, "{workers} workers: owner {owner}");
                counts[owner] += 1;
            }
            let even = samples / workers as u64;
            if workers == 1 {
                assert_eq!(counts[0], samples);
                continue;
            }
            // The reader keeps 30 points less than an even share.
            let reader_pct = counts[0] * 100 / samples;
            assert_eq!(reader_pct, (100 / workers as u64).saturating_sub(30));
            for (w, &c) in counts.iter().enumerate().skip(1) {
                assert!(
                    c >= even,
                    "{workers} workers: worker {w} got {c} of {samples}"
                );
            }
        }
    }
}
