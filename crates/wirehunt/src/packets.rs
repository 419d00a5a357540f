//! `wirehunt packets`: the packet list, `-T fields` and `--json` output.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use wirehunt_fields::columns::LineWriter;
use wirehunt_fields::{Field, FrameCtx, Value};

use crate::cli::PacketsArgs;
use crate::pass::{Source, each_frame};

/// How `-T fields` joins values (tshark's `-E` options).
struct FieldFormat {
    separator: u8,
    aggregator: u8,
    header: bool,
    occurrence: Occurrence,
}

#[derive(Clone, Copy, PartialEq)]
enum Occurrence {
    First,
    Last,
    All,
}

fn parse_field_options(opts: &[String]) -> anyhow::Result<FieldFormat> {
    let mut f = FieldFormat {
        separator: b'\t',
        aggregator: b',',
        header: false,
        occurrence: Occurrence::All,
    };
    for o in opts {
        let (k, v) = o
            .split_once('=')
            .with_context(|| format!("-E {o}: expected KEY=VALUE"))?;
        let one_char = |v: &str| -> anyhow::Result<u8> {
            match v {
                "/t" => Ok(b'\t'),
                "/s" => Ok(b' '),
                _ if v.len() == 1 => Ok(v.as_bytes()[0]),
                _ => bail!("-E {o}: expected one character, /t or /s"),
            }
        };
        match k {
            "separator" => f.separator = one_char(v)?,
            "aggregator" => f.aggregator = one_char(v)?,
            "header" => f.header = matches!(v, "y" | "Y"),
            "occurrence" => {
                f.occurrence = match v {
                    "f" => Occurrence::First,
                    "l" => Occurrence::Last,
                    "a" => Occurrence::All,
                    _ => bail!("-E {o}: occurrence is f, l or a"),
                }
            }
            "quote" => {}
            _ => bail!("-E {o}: unknown option (separator, aggregator, header, occurrence)"),
        }
    }
    Ok(f)
}

/// Output buffered in memory and written in large blocks; a closed pipe
/// ends the run quietly.
struct Output {
    buf: Vec<u8>,
    stdout: io::Stdout,
    closed: bool,
}

impl Output {
    const FLUSH_AT: usize = 256 * 1024;

    fn new() -> Output {
        Output {
            buf: Vec::with_capacity(Self::FLUSH_AT + 4096),
            stdout: io::stdout(),
            closed: false,
        }
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= Self::FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            self.buf.clear();
            return Ok(());
        }
        let mut lock = self.stdout.lock();
        let r = lock.write_all(&self.buf).and_then(|_| lock.flush());
        self.buf.clear();
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

enum Mode {
    List(LineWriter),
    Detail(wirehunt_fields::detail::DetailWriter),
    Fields(Vec<&'static Field>, FieldFormat),
    Json(Vec<&'static Field>),
}

pub fn run(args: &PacketsArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = args.capture() else {
        bail!(
            "no capture given: wirehunt packets CAPTURE (or -r CAPTURE, or - for standard input)"
        );
    };
    // Check everything before reading a byte.
    let mut unknown = Vec::new();
    let mut fields = Vec::new();
    for name in &args.fields {
        match wirehunt_fields::lookup(name) {
            Some(f) => fields.push(f),
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        bail!("unknown field(s): {}", unknown.join(", "));
    }
    let fields_mode = args.format.as_deref() == Some("fields");
    if fields_mode && fields.is_empty() {
        bail!("-T fields needs at least one -e FIELD");
    }
    let format = parse_field_options(&args.field_options)?;
    let mut mode = if args.json {
        Mode::Json(if fields.is_empty() {
            wirehunt_fields::all().iter().collect()
        } else {
            fields
        })
    } else if fields_mode {
        Mode::Fields(fields, format)
    } else if args.verbose || !args.only.is_empty() {
        Mode::Detail(wirehunt_fields::detail::DetailWriter::new(
            args.only.clone(),
        ))
    } else {
        Mode::List(LineWriter::default())
    };

    let mut out = Output::new();
    if let Mode::Fields(fields, fmt) = &mode
        && fmt.header
    {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.buf.push(fmt.separator);
            }
            out.buf.extend_from_slice(f.name.as_bytes());
        }
        out.buf.push(b'\n');
    }
    // The packet list and the detail view show everything; `-T fields`
    // computes what its fields read.
    let needs = match &mode {
        Mode::Fields(fields, _) => fields
            .iter()
            .fold(crate::pass::Needs::NONE, |n, f| n.union(f.needs())),
        _ => crate::pass::Needs::ALL,
    };
    let src = Source {
        path,
        no_mmap: args.no_mmap,
        display_filter: args.display_filter.as_deref(),
        capture_filter: args.capture_filter.as_deref(),
        max_conversations: args.max_conversations,
        limit: args.count.unwrap_or(u64::MAX),
        needs,
    };
    if let Mode::Detail(_) = mode {
        // One writing thread more than the cores: on two cores, three kept
        // both busier than two (1.25 s against 1.33 s on the 1 GB
        // workload), as the pass's thread comes and goes. One core does
        // it all in one thread.
        let threads = args.threads.map_or_else(
            || match std::thread::available_parallelism().map_or(1, |n| n.get()) {
                1 => 1,
                cores => cores + 1,
            },
            usize::from,
        );
        if threads > 1 {
            let pass = detail_in_threads(&src, &args.only, threads.min(MAX_THREADS))?;
            return Ok(pass.finish(path, "processed"));
        }
    }
    let mut scratch = Vec::new();
    let mut write_err = None;
    let pass = each_frame(&src, |ctx, matched| {
        let digits = ctx.frame.precision.digits().min(9);
        if !matched {
            // The packet list still sees the frame (an echo reply names
            // its request even when the request is filtered out).
            if let Mode::List(w) = &mut mode {
                scratch.clear();
                w.write(ctx, digits, &mut scratch);
            }
            return true;
        }
        match &mut mode {
            Mode::List(w) => w.write(ctx, digits, &mut out.buf),
            Mode::Detail(detail) => detail.write(ctx, &mut out.buf),
            Mode::Fields(fields, fmt) => write_fields(ctx, fields, fmt, &mut scratch, &mut out.buf),
            Mode::Json(fields) => write_json(ctx, fields, &mut scratch, &mut out.buf),
        }
        if let Err(e) = out.maybe_flush() {
            write_err = Some(e);
            return false;
        }
        !out.closed
    })?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    out.flush()?;
    Ok(pass.finish(path, "processed"))
}

/// Most threads the detail view is written in.
const MAX_THREADS: usize = 16;
/// A batch goes to a writing thread when it holds this many frames or
/// bytes: large enough that handing it over costs nothing next to writing
/// it, small enough that the threads start at once and few are in flight.
const BATCH_FRAMES: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;

/// The text of batches written in several threads, put out in the order of
/// the batches: the thread that finishes the batch due next writes it, with
/// those after it that are done already. No thread waits for another to
/// finish a batch.
struct InOrder {
    pending: std::sync::Mutex<Pending>,
    /// The output is gone (a closed pipe, an error).
    closed: std::sync::atomic::AtomicBool,
    error: std::sync::Mutex<Option<io::Error>>,
}

#[derive(Default)]
struct Pending {
    /// The batch due next.
    next: u64,
    /// Batches done before their turn, by number.
    done: std::collections::BTreeMap<u64, Vec<u8>>,
    /// Emptied buffers, for the threads' next batches.
    spare: Vec<Vec<u8>>,
}

impl InOrder {
    fn closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes batch `seq`'s text; when it is due, writes it and the done
    /// batches after it (unless the output is gone). Returns an empty
    /// buffer for the caller's next batch.
    fn finish(&self, seq: u64, text: Vec<u8>) -> Vec<u8> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.done.insert(seq, text);
        loop {
            let next = p.next;
            let Some(mut text) = p.done.remove(&next) else {
                break;
            };
            if !self.closed() {
                let mut out = io::stdout().lock();
                if let Err(e) = out.write_all(&text).and_then(|_| out.flush()) {
                    self.closed
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    if e.kind() != io::ErrorKind::BrokenPipe {
                        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    }
                }
            }
            p.next += 1;
            text.clear();
            p.spare.push(text);
        }
        p.spare.pop().unwrap_or_default()
    }
}

/// The detail view with the pass in this thread and the writing in
/// `threads` others. The pass has to see the frames one by one (sequence
/// analysis, reassembly), but writing a frame's tree only reads what the
/// pass found: frames go in batches ([`FrameBatch`]) to whichever thread is
/// free, and each batch's text is written after the one before it
/// ([`InOrder`]), so the output is the same as from one thread.
fn detail_in_threads(
    src: &Source<'_>,
    only: &[String],
    threads: usize,
) -> anyhow::Result<crate::pass::Pass> {
    use std::sync::mpsc::{channel, sync_channel};
    use std::sync::{Arc, Mutex};
    use wirehunt_fields::batch::FrameBatch;

    let out = InOrder {
        pending: Mutex::default(),
        closed: false.into(),
        error: Mutex::new(None),
    };
    // A regular file is mapped, and the batches keep its frames by their
    // place in the map rather than copying them: the copy, and the read
    // that brings the file in, were a fifth of the work. `--no-mmap` (and
    // anything that is not a regular file) reads a stream and copies.
    let map = if src.no_mmap {
        None
    } else {
        wirehunt_capture::SharedCapture::open(src.path)
            .with_context(|| format!("{}", src.path.display()))?
    };
    let pass = std::thread::scope(|scope| {
        // Two batches waiting per thread keep them busy while the pass
        // runs ahead; more would only hold memory.
        let (to_write, batches) = sync_channel::<(u64, FrameBatch)>(2 * threads);
        // Owned by the writers alone: when they are all gone (a panic),
        // sending fails and the pass stops instead of waiting for ever.
        let batches = Arc::new(Mutex::new(batches));
        let (give_back, written) = channel::<FrameBatch>();
        for _ in 0..threads {
            let (batches, give_back, out) = (Arc::clone(&batches), give_back.clone(), &out);
            let mut detail = wirehunt_fields::detail::DetailWriter::new(only.to_vec());
            scope.spawn(move || {
                let mut text = Vec::new();
                loop {
                    let next = batches.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, mut batch)) = next else {
                        break;
                    };
                    if !out.closed() {
                        batch.each(|ctx| detail.write(ctx, &mut text));
                    }
                    text = out.finish(seq, text);
                    batch.clear();
                    let _ = give_back.send(batch);
                }
            });
        }
        drop((batches, give_back));
        let new_batch = || match &map {
            Some(m) => FrameBatch::over_map(m.clone()),
            None => FrameBatch::default(),
        };
        let mut batch = new_batch();
        let mut seq = 0;
        let mut hand_over = |batch: &mut FrameBatch| {
            let empty = written.try_recv().unwrap_or_else(|_| new_batch());
            let full = std::mem::replace(batch, empty);
            seq += 1;
            to_write.send((seq - 1, full)).is_ok()
        };
        let see = |ctx: &FrameCtx<'_, '_>, matched: bool| {
            if !matched {
                return true;
            }
            batch.push(ctx);
            if batch.len() >= BATCH_FRAMES || batch.bytes_len() >= BATCH_BYTES {
                return hand_over(&mut batch) && !out.closed();
            }
            !out.closed()
        };
        let pass = match &map {
            Some(m) => crate::pass::each_frame_mapped(src, m, see),
            None => each_frame(src, see),
        };
        if !batch.is_empty() {
            hand_over(&mut batch);
        }
        pass
    })?;
    if let Some(e) = out.error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e.into());
    }
    Ok(pass)
}

fn write_fields(
    ctx: &FrameCtx<'_, '_>,
    fields: &[&'static Field],
    fmt: &FieldFormat,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(fmt.separator);
        }
        match fmt.occurrence {
            Occurrence::All => {
                let mut first = true;
                f.extract(ctx, &mut |v: &Value<'_>| {
                    if !first {
                        out.push(fmt.aggregator);
                    }
                    first = false;
                    v.write_text(out);
                });
            }
            occ => {
                let mut done = false;
                f.extract(ctx, &mut |v: &Value<'_>| {
                    if occ == Occurrence::Last || !done {
                        scratch.clear();
                        v.write_text(scratch);
                        done = true;
                    }
                });
                if done {
                    out.extend_from_slice(scratch);
                }
            }
        }
    }
    out.push(b'\n');
}

fn write_json(
    ctx: &FrameCtx<'_, '_>,
    fields: &[&'static Field],
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    let mut first_field = true;
    for f in fields {
        let mut values: Vec<serde_json::Value> = Vec::new();
        f.extract(ctx, &mut |v: &Value<'_>| {
            scratch.clear();
            v.write_text(scratch);
            let text = String::from_utf8_lossy(scratch);
            values.push(match *v {
                Value::Uint(n) => n.into(),
                Value::Bool(b) => b.into(),
                _ => text.into_owned().into(),
            });
        });
        if values.is_empty() {
            continue;
        }
        if !first_field {
            out.push(b',');
        }
        first_field = false;
        let key = serde_json::to_string(f.name).unwrap_or_default();
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        let v = if values.len() == 1 {
            values.pop().unwrap_or_default()
        } else {
            serde_json::Value::Array(values)
        };
        out.extend_from_slice(v.to_string().as_bytes());
    }
    out.extend_from_slice(b"}\n");
}
