//! `wirehunt packets`: the packet list, `-T fields` and `--json` output.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_fields::columns::LineWriter;
use wirehunt_fields::{Field, FrameCtx, Value};
use wirehunt_flow::{ConversationTable, FlowConfig};

use crate::EXIT_INPUT;
use crate::cli::PacketsArgs;

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
    let filter = match &args.display_filter {
        Some(text) => Some(
            wirehunt_filter::Filter::new(text)
                .map_err(|e| anyhow::anyhow!("invalid display filter: {e}"))?,
        ),
        None => None,
    };
    let mut bpf = match &args.capture_filter {
        Some(text) => Some(crate::bpf::CaptureFilter::new(text).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
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
    } else {
        Mode::List(LineWriter::default())
    };

    let mut reader = CaptureReader::open(
        path,
        OpenOptions {
            no_mmap: args.no_mmap,
        },
    )
    .with_context(|| format!("{}", path.display()))?;
    let mut table = ConversationTable::new(FlowConfig {
        max_conversations: args.max_conversations.max(1),
        ..FlowConfig::default()
    });
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
    let mut first_ts = None;
    let mut http = wirehunt_fields::reassembly::HttpReassembly::default();
    let mut scratch = Vec::new();
    let mut damage = None;
    let limit = args.count.unwrap_or(u64::MAX);
    let mut n = 0u64;
    while n < limit && !out.closed {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                damage = Some(e);
                break;
            }
        };
        n += 1;
        let first_ts_ns = *first_ts.get_or_insert(frame.ts_ns);
        if let Some(b) = bpf.as_mut()
            && !b.matches(frame.link_type, frame.data)
        {
            continue;
        }
        let pkt =
            wirehunt_dissect::dissect_frame(frame.data, frame.orig_len as usize, frame.link_type);
        let flows = table.track(&pkt, frame.ts_ns);
        let http = http.feed(&pkt, &flows);
        let ctx = FrameCtx {
            frame: &frame,
            pkt: &pkt,
            flows,
            first_ts_ns,
            http,
        };
        if let Some(f) = &filter
            && !f.matches(&ctx)
        {
            // The packet list still sees the frame (an echo reply names
            // its request even when the request is filtered out).
            if let Mode::List(w) = &mut mode {
                scratch.clear();
                w.write(&ctx, frame.precision.digits().min(9), &mut scratch);
            }
            continue;
        }
        match &mut mode {
            Mode::List(w) => w.write(&ctx, frame.precision.digits().min(9), &mut out.buf),
            Mode::Fields(fields, fmt) => {
                write_fields(&ctx, fields, fmt, &mut scratch, &mut out.buf)
            }
            Mode::Json(fields) => write_json(&ctx, fields, &mut scratch, &mut out.buf),
        }
        out.maybe_flush()?;
    }
    out.flush()?;
    if let Some(e) = damage {
        let frames = if n == 1 {
            "frame before it was"
        } else {
            "frames before it were"
        };
        eprintln!(
            "wirehunt: {}: {e}; the {n} {frames} processed",
            path.display()
        );
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
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
                f.extract(ctx, &mut |v: Value<'_>| {
                    if !first {
                        out.push(fmt.aggregator);
                    }
                    first = false;
                    v.write_text(out);
                });
            }
            occ => {
                let mut done = false;
                f.extract(ctx, &mut |v: Value<'_>| {
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
        f.extract(ctx, &mut |v: Value<'_>| {
            scratch.clear();
            v.write_text(scratch);
            let text = String::from_utf8_lossy(scratch);
            values.push(match v {
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
