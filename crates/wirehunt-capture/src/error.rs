//! Errors of the capture layer. Every error that concerns the file's content
//! carries the byte offset where the reader stopped and the number of the
//! frame it was trying to read, so a user can look at the damage.

use std::io;

/// Why a capture could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The operating system refused to open or read the file.
    #[error("cannot read the capture: {0}")]
    Io(#[from] io::Error),
    /// The first bytes are neither pcap, pcapng nor gzip.
    #[error(
        "not a capture file: unknown magic number {magic:02x?} (expected pcap, pcapng or gzip)"
    )]
    UnknownFormat {
        /// The first bytes of the file.
        magic: [u8; 4],
    },
    /// The file ends inside a header or a record.
    #[error(
        "the file is cut short at byte offset {offset}: frame {frame} needs {needed} bytes, {available} are left"
    )]
    Truncated {
        /// Absolute byte offset of the record that is incomplete.
        offset: u64,
        /// Number the incomplete frame would have had.
        frame: u64,
        /// Bytes the record announces.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// A record or block header holds values no valid capture has.
    #[error("damaged record at byte offset {offset} (frame {frame}): {reason}")]
    Damaged {
        /// Absolute byte offset of the damaged record or block.
        offset: u64,
        /// Number the damaged frame would have had.
        frame: u64,
        /// What is wrong, in words.
        reason: String,
    },
}

impl CaptureError {
    /// True for errors about the content (the file is damaged), false for
    /// errors opening or reading it.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            CaptureError::Truncated { .. } | CaptureError::Damaged { .. }
        )
    }
}
