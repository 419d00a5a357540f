//! Filter errors a person can act on: the message, the filter echoed and a
//! caret under the offending part, and a suggestion for near misses.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    /// Byte offset and length of the offending text.
    pub pos: usize,
    pub len: usize,
    pub suggestion: Option<String>,
    /// The filter, for the caret display.
    pub filter: String,
}

impl FilterError {
    pub(crate) fn new(message: impl Into<String>, pos: usize, len: usize) -> FilterError {
        FilterError {
            message: message.into(),
            pos,
            len: len.max(1),
            suggestion: None,
            filter: String::new(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean \"{s}\"?")?;
        }
        if !self.filter.is_empty() {
            let mut pos = self.pos.min(self.filter.len());
            while !self.filter.is_char_boundary(pos) {
                pos -= 1;
            }
            let col = self.filter[..pos].chars().count();
            let width = self.filter[pos..].chars().count().clamp(1, self.len);
            write!(
                f,
                "\n    {}\n    {}^{}",
                self.filter,
                " ".repeat(col),
                "~".repeat(width - 1)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterError {}

/// Edit distance, for "did you mean".
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `names` to `name`, if close enough to be a typo.
pub(crate) fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let max = (name.len() / 4).clamp(1, 3);
    names
        .map(|n| (distance(name, n), n))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, n)| n)
}
