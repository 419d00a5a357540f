//! Any bytes as a capture file: reader, dissectors, conversation table, TCP
//! analysis, every registered field, the packet-list line, the detail view,
//! the statistics views and the hunt detectors must
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
    let mut pipeline = wirehunt_fields::pipeline::Pipeline::new(wirehunt_fields::Needs::ALL, 64);
    // Small tables, so that eviction paths run too (and each input is quick).
    let mut hunter = wirehunt_hunt::Hunter::new(wirehunt_hunt::Config {
        limits: wirehunt_hunt::Limits { connections: 56, probes: 56, sources: 14, resets: 64 },
        ..Default::default()
    });
    let mut line = wirehunt_fields::columns::LineWriter::default();
    let mut caps = wirehunt_stats::capinfo::CapStats::default();
    let mut phs = wirehunt_stats::phs::Hierarchy::default();
    let mut convs: Vec<_> = wirehunt_stats::conv::ConvKind::ALL
        .into_iter()
        .map(|k| wirehunt_stats::conv::ConvTable::new(k, 64))
        .collect();
    let mut expert = wirehunt_stats::expert::Expert::default();
    let mut io = wirehunt_stats::io::IoStats::new(1_000_000_000);
    let mut follow_tcp = wirehunt_stats::follow::Follow::new(wirehunt_dissect::Proto::Tcp, 0, 1 << 16);
    let mut follow_udp = wirehunt_stats::follow::Follow::new(wirehunt_dissect::Proto::Udp, 0, 1 << 16);
    let mut out = Vec::new();
    let mut first = None;
    for _ in 0..10_000 {
        let Ok(Some(frame)) = reader.next_frame() else { break };
        let first_ts_ns = *first.get_or_insert(frame.ts_ns);
        pipeline.run(&frame, first_ts_ns, |ctx| {
            out.clear();
            line.write(ctx, 6, &mut out);
            wirehunt_fields::detail::write_detail(ctx, &[], &mut out);
            caps.see(&frame);
            phs.see(ctx);
            for c in &mut convs {
                c.see(ctx.pkt, &ctx.flows, frame.ts_ns.wrapping_sub(first_ts_ns), frame.orig_len);
            }
            expert.see(ctx);
            io.see(frame.ts_ns.saturating_sub(first_ts_ns), frame.orig_len);
            follow_tcp.see(ctx);
            follow_udp.see(ctx);
            for f in wirehunt_fields::all() {
                f.extract(ctx, &mut |v: wirehunt_fields::Value<'_>| v.write_text(&mut out));
            }
            hunter.observe(frame.number, frame.ts_ns, frame.orig_len, ctx.pkt);
        });
    }
    let _ = caps.finish(reader.info(), Some(data.len() as u64), None).lines();
    let _ = (phs.tree(), expert.items(), io.buckets(), follow_tcp.chunks(), follow_udp.chunks());
    let report = hunter.finish();
    let _ = wirehunt_hunt::render::json_lines(&report, "fuzz", true);
}
