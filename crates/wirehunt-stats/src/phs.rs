//! Protocol hierarchy (`tshark -q -z io,phs`).
//!
//! Every frame adds its frame length to each protocol on its path from
//! the link layer inward; children keep their order of first appearance.
//! The path is the frame's `frame.protocols` chain without the
//! `ethertype` steps and the headers quoted by ICMP errors
//! ([`write_hierarchy_path`]). A frame whose payload wirehunt does not decode ends in `data`,
//! where tshark may name an application protocol: [`Hierarchy::undecoded`]
//! counts those frames so the output can say how much that is.

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use wirehunt_fields::FrameCtx;
use wirehunt_fields::protocols::write_hierarchy_path;

/// One protocol in the tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhsNode {
    pub protocol: String,
    pub frames: u64,
    pub bytes: u64,
    pub children: Vec<PhsNode>,
}

struct Node {
    name: Box<str>,
    frames: u64,
    bytes: u64,
    /// The frame that first took this path (orders merged trees).
    first: u64,
    children: Vec<u32>,
}

/// The tree, built frame by frame.
pub struct Hierarchy {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    frames: u64,
    bytes: u64,
    undecoded: u64,
    scratch: Vec<u8>,
    /// The nodes each path seen so far goes through (a range of
    /// `path_nodes`) and how many of its steps are `data`: most frames
    /// take a path seen before, and then cost one lookup.
    paths: HashMap<Box<[u8]>, (u32, u32, u32), RandomState>,
    path_nodes: Vec<u32>,
}

/// Most paths remembered; frames of later new paths are counted step by
/// step.
const MAX_PATHS: usize = 4096;

/// Most distinct nodes kept (a hostile capture could nest endlessly
/// varied tunnels); later new paths stop at the last known node.
const MAX_NODES: usize = 1 << 16;

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy {
            nodes: Vec::new(),
            roots: Vec::new(),
            frames: 0,
            bytes: 0,
            undecoded: 0,
            scratch: Vec::with_capacity(128),
            paths: HashMap::default(),
            path_nodes: Vec::new(),
        }
    }
}

impl Hierarchy {
    /// Counts one frame. A frame with a pcapng comment has its path
    /// rooted at `pkt_comment`, as in Wireshark.
    pub fn see(&mut self, ctx: &FrameCtx<'_, '_>) {
        let len = u64::from(ctx.frame.orig_len);
        let commented = ctx.frame.comments().next().is_some();
        self.frames += 1;
        self.bytes += len;
        let mut chain = std::mem::take(&mut self.scratch);
        chain.clear();
        if commented {
            chain.extend_from_slice(b"pkt_comment:");
        }
        write_hierarchy_path(ctx, &mut chain);
        if let Some(&(start, end, data)) = self.paths.get(chain.as_slice()) {
            self.undecoded += u64::from(data);
            for &i in &self.path_nodes[start as usize..end as usize] {
                let n = &mut self.nodes[i as usize];
                n.frames += 1;
                n.bytes += len;
            }
            self.scratch = chain;
            return;
        }
        let start = self.path_nodes.len();
        let (mut parent, mut data, mut whole) = (None, 0, true);
        for name in chain.split(|&c| c == b':') {
            if name.is_empty() {
                continue;
            }
            if name == b"data" {
                self.undecoded += 1;
                data += 1;
            }
            let Some(idx) = self.child(parent, name, ctx.frame.number) else {
                whole = false;
                break;
            };
            let n = &mut self.nodes[idx as usize];
            n.frames += 1;
            n.bytes += len;
            parent = Some(idx);
            self.path_nodes.push(idx);
        }
        if whole && self.paths.len() < MAX_PATHS {
            let end = self.path_nodes.len() as u32;
            self.paths
                .insert(chain.as_slice().into(), (start as u32, end, data));
        } else {
            self.path_nodes.truncate(start);
        }
        self.scratch = chain;
    }

    /// The child `name` of `parent` (of the root: `None`), made with no
    /// frames and `first` as its first frame if new; `None` when the tree
    /// is full.
    fn child(&mut self, parent: Option<u32>, name: &[u8], first: u64) -> Option<u32> {
        let siblings = match parent {
            Some(p) => &self.nodes[p as usize].children,
            None => &self.roots,
        };
        if let Some(i) = siblings
            .iter()
            .copied()
            .find(|&i| self.nodes[i as usize].name.as_bytes() == name)
        {
            return Some(i);
        }
        if self.nodes.len() >= MAX_NODES {
            return None;
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(Node {
            name: String::from_utf8_lossy(name).into(),
            frames: 0,
            bytes: 0,
            first,
            children: Vec::new(),
        });
        match parent {
            Some(p) => self.nodes[p as usize].children.push(i),
            None => self.roots.push(i),
        }
        Some(i)
    }

    /// Adds the frames another hierarchy counted (over other frames of the
    /// same capture): children stay in order of their first frame.
    pub fn merge(&mut self, other: Hierarchy) {
        self.frames += other.frames;
        self.bytes += other.bytes;
        self.undecoded += other.undecoded;
        self.merge_level(None, &other, &other.roots);
    }

    fn merge_level(&mut self, parent: Option<u32>, other: &Hierarchy, theirs: &[u32]) {
        for &t in theirs {
            let o = &other.nodes[t as usize];
            let Some(idx) = self.child(parent, o.name.as_bytes(), o.first) else {
                continue;
            };
            let n = &mut self.nodes[idx as usize];
            n.frames += o.frames;
            n.bytes += o.bytes;
            n.first = n.first.min(o.first);
            self.merge_level(Some(idx), other, &o.children);
        }
        let siblings = match parent {
            Some(p) => &mut self.nodes[p as usize].children,
            None => &mut self.roots,
        };
        let mut sorted = std::mem::take(siblings);
        sorted.sort_by_key(|&i| self.nodes[i as usize].first);
        match parent {
            Some(p) => self.nodes[p as usize].children = sorted,
            None => self.roots = sorted,
        }
    }

    /// Frames seen.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes seen (frame lengths).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Frames with payload wirehunt does not decode (a `data` node).
    pub fn undecoded(&self) -> u64 {
        self.undecoded
    }

    /// The finished tree.
    pub fn tree(&self) -> Vec<PhsNode> {
        fn build(h: &Hierarchy, i: u32, depth: usize) -> PhsNode {
            let n = &h.nodes[i as usize];
            PhsNode {
                protocol: n.name.to_string(),
                frames: n.frames,
                bytes: n.bytes,
                // The depth is bounded by the dissector's layer limit.
                children: if depth < 64 {
                    n.children.iter().map(|&c| build(h, c, depth + 1)).collect()
                } else {
                    Vec::new()
                },
            }
        }
        self.roots.iter().map(|&r| build(self, r, 0)).collect()
    }
}
