//! `wirehunt hunt`: one pass over each capture through the detectors.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use wirehunt_capture::{CaptureError, CaptureReader, OpenOptions};
use wirehunt_hunt::render::{self, Style};
use wirehunt_hunt::{Config, Hunter, Report, Sensitivity, Severity};

use crate::EXIT_INPUT;
use crate::cli::HuntArgs;

fn config(args: &HuntArgs) -> anyhow::Result<Config> {
    let sens = args.sensitivity.as_deref().map(|s| match s {
        "low" => Sensitivity::Low,
        "high" => Sensitivity::High,
        _ => Sensitivity::Medium,
    });
    match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?;
            Config::from_toml(&text, sens).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        }
        None => Ok(Config::with_sensitivity(sens.unwrap_or_default())),
    }
}

/// Runs the detectors over one capture; damage ends the reading but the
/// report covers every frame before it.
pub fn hunt_file(
    path: &Path,
    cfg: Config,
    no_mmap: bool,
    filter: Option<&wirehunt_filter::Filter>,
    mut bpf: Option<&mut crate::bpf::CaptureFilter>,
) -> anyhow::Result<(Report, Option<(u64, CaptureError)>)> {
    let mut reader = CaptureReader::open(path, OpenOptions { no_mmap })
        .with_context(|| format!("{}", path.display()))?;
    let mut hunter = Hunter::new(cfg);
    let mut n = 0u64;
    let mut damage = None;
    // Conversations are tracked only for filters (tcp.stream and the like).
    let mut table =
        filter.map(|_| wirehunt_flow::ConversationTable::new(wirehunt_flow::FlowConfig::default()));
    let mut first_ts = None;
    let mut http = wirehunt_fields::reassembly::HttpReassembly::default();
    let mut analyzer = wirehunt_flow::analysis::TcpAnalyzer::default();
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                n += 1;
                if let Some(b) = bpf.as_deref_mut()
                    && !b.matches(frame.link_type, frame.data)
                {
                    continue;
                }
                let pkt = wirehunt_dissect::dissect_frame(
                    frame.data,
                    frame.orig_len as usize,
                    frame.link_type,
                );
                if let (Some(f), Some(t)) = (filter, table.as_mut()) {
                    let flows = t.track(&pkt, frame.ts_ns);
                    let ctx = wirehunt_fields::FrameCtx {
                        frame: &frame,
                        pkt: &pkt,
                        tcp: analyzer.see(&pkt, &flows, frame.number, frame.ts_ns),
                        http: http.feed(&pkt, &flows),
                        flows,
                        first_ts_ns: *first_ts.get_or_insert(frame.ts_ns),
                    };
                    if !f.matches(&ctx) {
                        continue;
                    }
                }
                hunter.observe(frame.number, frame.ts_ns, frame.orig_len, &pkt);
            }
            Ok(None) => break,
            Err(e) => {
                damage = Some((n, e));
                break;
            }
        }
    }
    Ok((hunter.finish(), damage))
}

pub fn run(args: &HuntArgs) -> anyhow::Result<ExitCode> {
    let cfg = config(args)?;
    let mut bpf = match &args.capture_filter {
        Some(text) => Some(crate::bpf::CaptureFilter::new(text).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
    let filter = match &args.display_filter {
        Some(text) => Some(
            wirehunt_filter::Filter::new(text)
                .map_err(|e| anyhow::anyhow!("invalid display filter: {e}"))?,
        ),
        None => None,
    };
    let fail_on = args.fail_on.as_deref().and_then(Severity::parse);
    if args
        .captures
        .iter()
        .filter(|p| p.as_os_str() == "-")
        .count()
        > 1
    {
        bail!("standard input (-) can be read only once");
    }
    let style = Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut worst = None;
    let mut damaged = false;
    let mut stdout = std::io::stdout().lock();
    for (i, path) in args.captures.iter().enumerate() {
        let (report, damage) = hunt_file(
            path,
            cfg.clone(),
            args.no_mmap,
            filter.as_ref(),
            bpf.as_mut(),
        )?;
        let name = path.display().to_string();
        let out = if args.json {
            render::json_lines(&report, &name, args.resets)
        } else {
            let mut s = String::new();
            if i > 0 {
                s.push('\n');
            }
            s.push_str(&render::text(&report, &name, &style));
            if args.resets {
                s.push('\n');
                s.push_str(&render::resets_text(&report, &style));
            }
            s
        };
        if let Err(e) = stdout
            .write_all(out.as_bytes())
            .and_then(|_| stdout.flush())
        {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
        if let Some((n, e)) = damage {
            damaged = true;
            let frames = if n == 1 {
                "frame before it was"
            } else {
                "frames before it were"
            };
            eprintln!("wirehunt: {name}: {e}; the {n} {frames} analysed");
        }
        worst = worst.max(report.worst());
    }
    if damaged {
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    if let (Some(f), Some(w)) = (fail_on, worst)
        && w >= f
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
