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
        let mut width: Vec<usize> = self.head.iter().map(|(h, _)| text_width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(text_width(c));
            }
        }
        // Room for every line at full width (ASCII), colour codes aside.
        let line_width: usize = width.iter().sum::<usize>() + 2 * n + 1;
        let mut out = String::with_capacity(line_width * (self.rows.len() + 1) + 16);
        // Cells padded to their column's width, two spaces apart, without
        // spaces at the end of the line.
        let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
            let start = out.len();
            for (i, c) in cells.enumerate().take(n) {
                if i > 0 {
                    out.push_str("  ");
                }
                let pad = width[i].saturating_sub(text_width(c));
                match self.head[i].1 {
                    Align::Right => {
                        spaces(out, pad);
                        out.push_str(c);
                    }
                    Align::Left => {
                        out.push_str(c);
                        if i + 1 < n {
                            spaces(out, pad);
                        }
                    }
                }
            }
            let kept = out[start..].trim_end().len();
            out.truncate(start + kept);
            out.push('\n');
        };
        if color {
            out.push_str("\x1b[1m");
        }
        line(&mut self.head.iter().map(|(h, _)| h.as_str()), &mut out);
        if color {
            out.pop();
            out.push_str("\x1b[0m\n");
        }
        for r in &self.rows {
            line(&mut r.iter().map(String::as_str), &mut out);
        }
        out
    }
}

/// Characters in `s` (its width in a terminal, for the text tables hold).
fn text_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
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
