//! Human output: aligned tables, bold headings on a terminal (never when
//! `NO_COLOR` is set or output is piped), and a progress bar on stderr for
//! long reads.

use std::io::{IsTerminal, Write};

/// Column alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    head: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

/// True when stdout is a terminal and `NO_COLOR` is unset.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl Table {
    pub fn new(head: &[(&str, Align)]) -> Table {
        Table {
            head: head.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self, color: bool) -> String {
        let n = self.head.len();
        let mut width: Vec<usize> = self.head.iter().map(|(h, _)| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = width[i].saturating_sub(c.chars().count());
                let last = i + 1 == n;
                match self.head[i].1 {
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                    Align::Left => {
                        s.push_str(c);
                        if !last {
                            s.push_str(&" ".repeat(pad));
                        }
                    }
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        let heads: Vec<String> = self.head.iter().map(|(h, _)| h.clone()).collect();
        if color {
            out.push_str("\x1b[1m");
        }
        line(&heads, &mut out);
        if color {
            out.pop();
            out.push_str("\x1b[0m\n");
        }
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

/// A progress bar on stderr, shown only on a terminal and only once a
/// read has taken more than a moment.
pub struct Progress {
    total: Option<u64>,
    start: std::time::Instant,
    shown: bool,
    enabled: bool,
    last_pct: u64,
}

impl Progress {
    pub fn new(total: Option<u64>) -> Progress {
        Progress {
            total,
            start: std::time::Instant::now(),
            shown: false,
            enabled: std::io::stderr().is_terminal(),
            last_pct: u64::MAX,
        }
    }

    /// Called now and then with the byte offset reached.
    pub fn update(&mut self, offset: u64) {
        let Some(total) = self.total.filter(|&t| t > 0) else {
            return;
        };
        if !self.enabled || (!self.shown && self.start.elapsed().as_millis() < 700) {
            return;
        }
        let pct = (offset.min(total) * 100 / total).min(100);
        if pct == self.last_pct {
            return;
        }
        self.last_pct = pct;
        self.shown = true;
        let fill = (pct / 4) as usize;
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r[{}{}] {pct:>3}%",
            "#".repeat(fill),
            " ".repeat(25 - fill)
        );
        let _ = e.flush();
    }

    /// Erases the bar.
    pub fn done(&mut self) {
        if self.shown {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r{}\r", " ".repeat(34));
            let _ = e.flush();
            self.shown = false;
        }
    }
}
