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

/// A table whose cells are kept back to back in one string, so that a
/// view with tens of thousands of rows costs no allocation per cell.
pub struct Table {
    head: Vec<(String, Align)>,
    /// Every cell's text, in row order.
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    /// Each column's widest cell so far, its heading included.
    width: Vec<usize>,
}

/// True when stdout is a terminal and `NO_COLOR` is unset.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl Table {
    pub fn new(head: &[(&str, Align)]) -> Table {
        Table {
            head: head.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            text: String::new(),
            ends: Vec::new(),
            width: head.iter().map(|(h, _)| text_width(h)).collect(),
        }
    }

    /// A whole row: missing cells are left empty, extra ones dropped.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let n = self.head.len();
        let mut k = 0;
        for c in cells.into_iter().take(n) {
            self.cell(c.as_ref());
            k += 1;
        }
        for _ in k..n {
            self.cell("");
        }
    }

    /// The next cell, filling rows left to right.
    pub fn cell(&mut self, s: &str) {
        self.cell_with(|out| out.push_str(s));
    }

    /// The next cell, written by `f` straight into the table's text.
    pub fn cell_with(&mut self, f: impl FnOnce(&mut String)) {
        let start = self.text.len();
        f(&mut self.text);
        let col = self.ends.len() % self.head.len().max(1);
        if let Some(w) = self.width.get_mut(col) {
            *w = (*w).max(text_width(&self.text[start..]));
        }
        self.ends.push(self.text.len());
    }

    pub fn render(&self, color: bool) -> String {
        let n = self.head.len();
        if n == 0 {
            return String::new();
        }
        let width = &self.width;
        let rows = self.ends.len().div_ceil(n);
        // Room for every line at full width (ASCII), colour codes aside.
        let line_width: usize = width.iter().sum::<usize>() + 2 * n + 1;
        let mut out = String::with_capacity(line_width * (rows + 1) + 16);
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
        for r in 0..rows {
            let first = r * n;
            let last = (first + n).min(self.ends.len());
            let mut cells = (first..last).map(|i| {
                let from = if i == 0 { 0 } else { self.ends[i - 1] };
                &self.text[from..self.ends[i]]
            });
            line(&mut cells, &mut out);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_fill_rows_and_columns_fit_their_widest_cell() {
        let mut t = Table::new(&[("Name", Align::Left), ("Frames", Align::Right)]);
        t.cell("a");
        t.cell_with(|o| o.push_str("1,234,567"));
        t.row(["longer name"]);
        t.row(["→ü", "7", "dropped"]);
        assert_eq!(
            t.render(false),
            "Name            Frames\n\
             a            1,234,567\n\
             longer name\n\
             →ü                   7\n"
        );
    }

    #[test]
    fn heading_is_bold_only_in_colour() {
        let mut t = Table::new(&[("A", Align::Left)]);
        t.row(["x"]);
        assert_eq!(t.render(true), "\x1b[1mA\x1b[0m\nx\n");
        assert_eq!(Table::new(&[]).render(false), "");
    }
}
