//! The report for a terminal, and as JSON lines (Suricata EVE style).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::model::{Finding, Report, ResetEvent};

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < U.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// Colour codes, or nothing.
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn sev_code(f: &Finding) -> &'static str {
    match f.severity {
        crate::Severity::Critical => "1;35",
        crate::Severity::High => "1;31",
        crate::Severity::Medium => "1;33",
        crate::Severity::Low => "1;36",
        crate::Severity::Info => "1",
    }
}

/// The human report.
pub fn text(r: &Report, name: &str, style: &Style) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "{}", style.paint("1", &format!("wirehunt hunt: {name}")));
    let _ = writeln!(
        o,
        "  {} packets, {}, {} hosts, {:.1} s{}",
        thousands(s.packets),
        bytes(s.bytes),
        thousands(s.hosts),
        s.duration_s,
        match (&s.first_seen, &s.last_seen) {
            (Some(a), Some(b)) => format!(" ({a} → {b})"),
            _ => String::new(),
        }
    );
    if !s.protocols.is_empty() {
        let total = s.packets.max(1) as f64;
        let p: Vec<String> = s
            .protocols
            .iter()
            .take(6)
            .map(|(p, n)| format!("{p} {:.1}%", *n as f64 * 100.0 / total))
            .collect();
        let _ = writeln!(o, "  protocols: {}", p.join(", "));
    }
    if !s.top_talkers.is_empty() {
        let t: Vec<String> = s
            .top_talkers
            .iter()
            .map(|(a, b)| format!("{a} ({})", bytes(*b)))
            .collect();
        let _ = writeln!(o, "  top talkers: {}", t.join(", "));
    }
    if !s.resets.is_empty() {
        let total: u64 = s.resets.values().sum();
        let v: Vec<String> = s.resets.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            o,
            "  resets: {total} ({}) — `--resets` lists each",
            v.join(", ")
        );
    }
    if !s.evicted.is_empty() {
        let v: Vec<String> = s.evicted.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            o,
            "  state dropped to stay within memory bounds: {}",
            v.join(", ")
        );
    }
    let _ = writeln!(o);
    if r.findings.is_empty() {
        let _ = writeln!(o, "{}", style.paint("1;32", "No findings."));
    } else {
        let _ = writeln!(
            o,
            "{}",
            style.paint("1", &format!("Findings ({})", r.findings.len()))
        );
    }
    for (i, f) in r.findings.iter().enumerate() {
        let _ = writeln!(o);
        let sev = style.paint(
            sev_code(f),
            &format!("[{}]", f.severity.as_str().to_uppercase()),
        );
        let _ = writeln!(o, "{:>3}. {sev} {}  {}", i + 1, f.class, f.title);
        let mut row = |k: &str, v: String| {
            if !v.is_empty() {
                let _ = writeln!(o, "       {k:<11}{v}");
            }
        };
        let mut who = Vec::new();
        if !f.attackers.is_empty() {
            who.push(format!("attacker {}", f.attackers.join(", ")));
        }
        if f.attackers_spoofed {
            who.push(match f.distinct_sources {
                Some(n) => format!("attacker spoofed ({n} distinct sources)"),
                None => "attacker spoofed".into(),
            });
        }
        if !f.attacker_macs.is_empty() {
            who.push(format!("MAC {}", f.attacker_macs.join(", ")));
        }
        if !f.targets.is_empty() {
            let t: Vec<&str> = f.targets.iter().take(8).map(String::as_str).collect();
            let more = if f.targets.len() > 8 {
                format!(" … ({} in all)", f.targets.len())
            } else {
                String::new()
            };
            who.push(format!("target {}{more}", t.join(", ")));
        }
        row("who", who.join("; "));
        let mut how = Vec::new();
        if let Some(t) = &f.technique {
            how.push(t.clone());
        }
        if let Some(t) = f.topology {
            how.push(format!("topology {t}"));
        }
        row("technique", how.join("; "));
        if let Some(p) = &f.ports_probed {
            let mut v = format!("{} {} port(s) probed ({})", p.count, p.protocol, p.ranges);
            if let Some(open) = &f.open_ports {
                if open.is_empty() {
                    v.push_str("; none open");
                } else {
                    let list: Vec<String> = open
                        .iter()
                        .take(20)
                        .map(|p| format!("{}:{}", p.address, p.port))
                        .collect();
                    let _ = write!(v, "; open: {}", list.join(", "));
                }
            }
            if let Some(c) = f.closed_ports {
                let _ = write!(v, "; {c} closed");
            }
            if let Some(c) = f.filtered_ports {
                let _ = write!(v, "; {c} filtered or silent");
            }
            row("ports", v);
        }
        row(
            "time",
            format!(
                "{} → {} ({:.1} s, {:.1}/s)",
                f.first_seen, f.last_seen, f.duration_s, f.rate
            ),
        );
        if let Some(t) = &f.tool {
            row("tool", t.clone());
        }
        row("why", f.explanation.clone());
        row(
            "confidence",
            format!("{:.2}: {}", f.confidence, f.confidence_reason),
        );
        let frames: Vec<String> = f.evidence.frames.iter().map(|n| n.to_string()).collect();
        row(
            "evidence",
            format!(
                "frames {}{} ({} in all)",
                frames.join(", "),
                if f.evidence.total as usize > frames.len() {
                    ", …"
                } else {
                    ""
                },
                f.evidence.total
            ),
        );
        row("filter", f.evidence.filter.clone());
        let m: Vec<String> = f
            .mitre
            .iter()
            .map(|m| format!("{} {}", m.id, m.name))
            .collect();
        row("mitre", m.join("; "));
        row("advice", f.advice.clone());
    }
    if !r.notes.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{}",
            style.paint("1", &format!("Benign but notable ({})", r.notes.len()))
        );
        for n in &r.notes {
            let _ = writeln!(o, "  - {} [{}]", n.text, n.evidence.filter);
        }
    }
    o
}

/// One line per reset, as `--resets` prints it.
pub fn resets_text(r: &Report, style: &Style) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:>8}  {:<45} {:<8} {:<17} reason",
        "frame", "reset", "flags", "verdict"
    );
    for e in &r.resets {
        let code = match e.verdict {
            crate::Verdict::InjectedSuspect => "1;31",
            crate::Verdict::Invalid => "1;33",
            _ => "0",
        };
        let _ = writeln!(
            o,
            "{:>8}  {:<45} {:<8} {} {}",
            e.frame,
            format!(
                "{}:{} → {}:{}",
                e.src_ip, e.src_port, e.dest_ip, e.dest_port
            ),
            e.flags,
            style.paint(code, &format!("{:<17}", e.verdict.as_str())),
            e.reason
        );
    }
    o
}

fn event(ts: &str, kind: &str, src: Option<&str>, dst: Option<&str>, body: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("timestamp".into(), json!(ts));
    m.insert("event_type".into(), json!(kind));
    if let Some(s) = src {
        m.insert("src_ip".into(), json!(s));
    }
    if let Some(d) = dst {
        m.insert("dest_ip".into(), json!(d));
    }
    m.insert(kind.into(), body);
    Value::Object(m)
}

fn reset_event(e: &ResetEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("src_ip");
        m.remove("dest_ip");
        m.remove("time");
    }
    event(&e.time, "reset", Some(&e.src_ip), Some(&e.dest_ip), v)
}

/// JSON lines: a summary, then findings, notes and (with `resets`) every reset.
pub fn json_lines(r: &Report, name: &str, resets: bool) -> String {
    let mut o = String::new();
    let mut summary = serde_json::to_value(&r.summary).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut summary {
        m.insert("capture".into(), json!(name));
        m.insert("findings".into(), json!(r.findings.len()));
    }
    let ts = r.summary.first_seen.clone().unwrap_or_default();
    let mut push = |v: Value| {
        o.push_str(&v.to_string());
        o.push('\n');
    };
    push(event(&ts, "summary", None, None, summary));
    for f in &r.findings {
        push(event(
            &f.first_seen,
            "finding",
            f.attackers.first().map(String::as_str),
            f.targets.first().map(String::as_str),
            serde_json::to_value(f).unwrap_or(Value::Null),
        ));
    }
    for n in &r.notes {
        push(event(
            &n.first_seen,
            "note",
            n.src_ip.as_deref(),
            n.dest_ip.as_deref(),
            serde_json::to_value(n).unwrap_or(Value::Null),
        ));
    }
    if resets {
        for e in &r.resets {
            push(reset_event(e));
        }
    }
    o
}
