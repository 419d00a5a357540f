//! `wirehunt hunt`: one pass over each capture through the detectors.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use wirehunt_hunt::render::{self, Style};
use wirehunt_hunt::{Config, Hunter, Report, Sensitivity, Severity};

use crate::EXIT_INPUT;
use crate::cli::HuntArgs;
use crate::pass::{Needs, Pass, Source, each_frame};
use crate::table::color_stdout;

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
/// report covers every frame before it (the pass says what the damage was).
pub fn hunt_file(path: &Path, cfg: Config, args: &HuntArgs) -> anyhow::Result<(Report, Pass)> {
    let mut hunter = Hunter::new(cfg);
    let src = Source {
        path,
        no_mmap: args.no_mmap,
        display_filter: args.display_filter.as_deref(),
        capture_filter: args.capture_filter.as_deref(),
        max_conversations: wirehunt_flow::FlowConfig::default().max_conversations,
        limit: u64::MAX,
        // The detectors read the dissection alone; a display filter adds
        // what its fields read.
        needs: Needs::NONE,
    };
    let pass = each_frame(&src, |ctx, matched| {
        // pcapng custom blocks are numbered as frames but carry no traffic.
        if matched && ctx.frame.is_packet() {
            let f = ctx.frame;
            hunter.observe(f.number, f.ts_ns, f.orig_len, ctx.pkt);
        }
        true
    })?;
    Ok((hunter.finish(), pass))
}

pub fn run(args: &HuntArgs) -> anyhow::Result<ExitCode> {
    let cfg = config(args)?;
    // Check both filters before reading a byte.
    crate::bpf::CaptureFilter::from_arg(args.capture_filter.as_deref())?;
    if let Some(text) = &args.display_filter {
        wirehunt_filter::Filter::new(text)
            .map_err(|e| anyhow::anyhow!("invalid display filter: {e}"))?;
    }
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
        color: color_stdout(),
    };
    let mut worst = None;
    let mut damaged = false;
    let mut stdout = std::io::stdout().lock();
    for (i, path) in args.captures.iter().enumerate() {
        let (report, pass) = hunt_file(path, cfg.clone(), args)?;
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
        damaged |= pass.report_damage(path, "analysed");
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
