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

jobs = []
caps = []
for s in ("public", "generated"):
    d = os.path.join(corpus, s)
    for name in sorted(os.listdir(d)):
        if ".pcap" in name:
            caps.append((s, name))
            for i, (_, good) in enumerate(filters):
                if good:
                    jobs.append((os.path.join(d, name), i))

results = {}
with cf.ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as ex:
    for cap, i, frames in ex.map(run, jobs):
        results.setdefault(cap, {})[i] = frames

for s, name in caps:
    cap = os.path.join(corpus, s, name)
    os.makedirs(os.path.join(out_dir, s), exist_ok=True)
    lines = []
    for i, frames in sorted(results.get(cap, {}).items()):
        if frames:
            digest = hashlib.sha256("".join(f + "\n" for f in frames).encode()).hexdigest()[:16]
            lines.append(f"{i} {len(frames)} {digest}\n")
    with open(os.path.join(out_dir, s, name + ".txt"), "w") as f:
        f.write(f"# tshark -n -r {s}/{name} -Y FILTER -T fields -e frame.number (scripts/tshark-filters.py)\n")
        f.writelines(lines)
print(f"{len(caps)} captures, {len(filters)} filters, {len(jobs)} tshark runs")
