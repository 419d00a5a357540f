#!/usr/bin/env python3
"""Regenerates the display-filter expectations: for every capture of
../shared/corpus/{public,generated} and every filter of
crates/wirehunt/tests/filters/FILTERS.txt, the frames tshark selects:

    tshark -n -r CAPTURE -Y FILTER -T fields -e frame.number

stored as crates/wirehunt/tests/filters/SET/CAPTURE.txt, one line per filter
that selects at least one frame: "INDEX COUNT DIGEST" (INDEX counts the
filters of FILTERS.txt from 0, rejected ones included; DIGEST is the first 16
hex digits of the SHA-256 of the frame numbers, one per line, each followed
by a newline). Filters marked "! " must be rejected by tshark; the script
stops if one is accepted. Needs tshark (Debian's 4.0). Runs two at a time.

ONLY=I,J,... runs just those filter indexes and keeps the other lines of the
stored files (for filters appended to FILTERS.txt).
"""
import concurrent.futures as cf
import hashlib
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
corpus = os.environ.get("WIREHUNT_CORPUS", os.path.join(repo, "..", "shared", "corpus"))
out_dir = os.path.join(repo, "crates", "wirehunt", "tests", "filters")

filters = []
for line in open(os.path.join(out_dir, "FILTERS.txt"), encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    filters.append((line[2:], False) if line.startswith("! ") else (line, True))

probe = os.path.join(repo, "tests", "data", "10b_benign_closed_port.pcap")
for text, good in filters:
    if not good:
        r = subprocess.run(["tshark", "-n", "-r", probe, "-Y", text], capture_output=True)
        if r.returncode == 0:
            sys.exit(f"tshark accepts the filter marked bad: {text}")

def run(job):
    cap, i = job
    r = subprocess.run(["tshark", "-n", "-r", cap, "-Y", filters[i][0], "-T", "fields", "-e", "frame.number"],
                       capture_output=True)
    if r.returncode != 0 and not r.stdout:
        # Damaged captures: tshark prints what it read, then fails.
        if b"appears to have been cut short" not in r.stderr and b"corrupted" not in r.stderr and b"damaged" not in r.stderr:
            sys.stderr.write(f"tshark failed on {cap} / {filters[i][0]}: {r.stderr[:200]!r}\n")
    frames = r.stdout.decode().split()
    return cap, i, frames

only = os.environ.get("ONLY")
only = None if not only else {int(x) for x in only.split(",")}

def stored(path):
    """The lines of a stored file by filter index (for ONLY)."""
    kept = {}
    if only is not None and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if not line.startswith("#") and line.strip():
                i = int(line.split()[0])
                if i not in only:
                    kept[i] = line
    return kept

jobs = []
caps = []
for s in ("public", "generated"):
    d = os.path.join(corpus, s)
    for name in sorted(os.listdir(d)):
        if ".pcap" in name:
            caps.append((s, name))
            for i, (_, good) in enumerate(filters):
                if good and (only is None or i in only):
                    jobs.append((os.path.join(d, name), i))

results = {}
with cf.ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as ex:
    for cap, i, frames in ex.map(run, jobs):
        results.setdefault(cap, {})[i] = frames

for s, name in caps:
    cap = os.path.join(corpus, s, name)
    os.makedirs(os.path.join(out_dir, s), exist_ok=True)
    path = os.path.join(out_dir, s, name + ".txt")
    lines = stored(path)
    for i, frames in results.get(cap, {}).items():
        if frames:
            digest = hashlib.sha256("".join(f + "\n" for f in frames).encode()).hexdigest()[:16]
            lines[i] = f"{i} {len(frames)} {digest}\n"
    lines = [lines[i] for i in sorted(lines)]
    with open(path, "w") as f:
        f.write(f"# tshark -n -r {s}/{name} -Y FILTER -T fields -e frame.number (scripts/tshark-filters.py)\n")
        f.writelines(lines)
print(f"{len(caps)} captures, {len(filters)} filters, {len(jobs)} tshark runs")
