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
    mut see: impl FnMut(&wirehunt_capture::Frame<'_>) -> bool,
) -> anyhow::Result<Pass> {
    let path = src.path;
    let mut reader = CaptureReader::open(
        path,
        OpenOptions {
            no_mmap: src.no_mmap,
        },
    )
    .with_context(|| format!("{}", path.display()))?;
    let file_size = if path.as_os_str() == "-" {
        None
    } else {
        std::fs::metadata(path).ok().map(|m| m.len())
    };
    let mut progress = Progress::new(reader.file_len());
    let mut frames = 0u64;
    let mut damage = None;
    while frames < src.limit {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                damage = Some(e);
                break;
            }
        };
        frames += 1;
        if frames.is_multiple_of(65_536) {
            progress.update(frame.offset);
        }
        if !see(&frame) {
            break;
        }
    }
    progress.done();
    Ok(Pass {
        info: reader.info().clone(),
        file_size,
        frames,
        damage,
    })
}

/// Reads a capture once. Every frame that passes the capture filter goes
/// to `see` with its dissection and conversation info, and whether it
/// matches the display filter (views that must still see the other frames,
/// as the packet list does, get them too); `see` returns false to stop.
pub fn each_frame(
    src: &Source<'_>,
    mut see: impl FnMut(&FrameCtx<'_, '_>, bool) -> bool,
) -> anyhow::Result<Pass> {
    let filter = match src.display_filter {
        Some(text) => Some(
            wirehunt_filter::Filter::new(text)
                .map_err(|e| anyhow::anyhow!("invalid display filter: {e}"))?,
        ),
        None => None,
    };
    let mut bpf = match src.capture_filter {
        Some(text) => Some(crate::bpf::CaptureFilter::new(text).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };

    let needs = filter
        .as_ref()
        .map_or(src.needs, |f| src.needs.union(f.needs()));
    let mut pipeline = wirehunt_fields::pipeline::Pipeline::new(needs, src.max_conversations);
    let mut first_ts = None;
    each_record(src, |frame| {
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
