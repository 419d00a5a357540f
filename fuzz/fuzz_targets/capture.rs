//! Any bytes as a capture file: reader, dissectors, conversation table,
//! every registered field, the packet-list line and the hunt detectors must
//! neither panic nor allocate without bound. Crashes found here become plain
//! regression tests in `crates/wirehunt/tests/fuzz_regressions.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wirehunt_fuzz_one(data);
});

fn wirehunt_fuzz_one(data: &[u8]) {
    let Ok(mut reader) = wirehunt_capture::CaptureReader::from_bytes(data.to_vec()) else {
        return;
    };
    let mut table = wirehunt_flow::ConversationTable::new(wirehunt_flow::FlowConfig {
        max_conversations: 64,
        ..Default::default()
    });
    // Small tables, so that eviction paths run too (and each input is quick).
    let mut hunter = wirehunt_hunt::Hunter::new(wirehunt_hunt::Config {
        limits: wirehunt_hunt::Limits { connections: 56, probes: 56, sources: 14, resets: 64 },
        ..Default::default()
    });
    let mut line = wirehunt_fields::columns::LineWriter::default();
    let mut out = Vec::new();
    let mut first = None;
    for _ in 0..10_000 {
        let Ok(Some(frame)) = reader.next_frame() else { break };
        let pkt = wirehunt_dissect::dissect_frame(frame.data, frame.orig_len as usize, frame.link_type);
        let flows = table.track(&pkt, frame.ts_ns);
        let ctx = wirehunt_fields::FrameCtx {
            frame: &frame,
            pkt: &pkt,
            flows,
            first_ts_ns: *first.get_or_insert(frame.ts_ns),
            http: Default::default(),
        };
        out.clear();
        line.write(&ctx, 6, &mut out);
        for f in wirehunt_fields::all() {
            f.extract(&ctx, &mut |v: wirehunt_fields::Value<'_>| v.write_text(&mut out));
        }
        hunter.observe(frame.number, frame.ts_ns, frame.orig_len, &pkt);
    }
    let report = hunter.finish();
    let _ = wirehunt_hunt::render::json_lines(&report, "fuzz", true);
}
