#!/usr/bin/env python3
"""Regenerates the statistics expectations of `wirehunt stats` and
`wirehunt follow`: for every capture of ../shared/corpus/{public,generated}
it runs Debian's capinfos and tshark 4.0 (TZ=UTC)

    capinfos CAPTURE ; capinfos -M CAPTURE            (stats info)
    tshark -n -q -r CAPTURE -z io,phs                  (stats phs)
    tshark -n -q -r CAPTURE -z conv,X -z endpoints,X   X = eth ip ipv6 tcp udp
    tshark -n -q -r CAPTURE -z expert                  (stats expert, TCP and ARP items)
    tshark -n -q -r CAPTURE -z io,stat,1               (stats io --interval 1s)
    tshark -n -q -r CAPTURE -z follow,P,raw,N …        (follow, first streams with data)

and writes crates/wirehunt/tests/stats/SET/CAPTURE.txt: one "[view]"
section per view, each holding tshark's values one row per line,
tab-separated, in tshark's order. A view longer than MAX_ROWS rows is stored
(or MAX_CHARS characters) is stored as "digest ROWS SHA256-16" over its
rows (each followed by a newline).
Byte counts of conversations keep tshark's own rounding ("416 kB"); the
test rounds wirehunt's exact counts the same way before comparing.

Needs capinfos and tshark (apt-get install tshark). Runs two captures at a time.
"""
import concurrent.futures as cf
import hashlib
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
corpus = os.environ.get("WIREHUNT_CORPUS", os.path.join(repo, "..", "shared", "corpus"))
out_dir = os.path.join(repo, "crates", "wirehunt", "tests", "stats")
MAX_ROWS = 120
MAX_CHARS = 6000
MAX_IO_SECONDS = 86400
FOLLOW_STREAMS = 8
KINDS = ["eth", "ip", "ipv6", "tcp", "udp"]
TITLES = {"Ethernet": "eth", "IPv4": "ip", "IPv6": "ipv6", "TCP": "tcp", "UDP": "udp"}
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")


def run(args):
    r = subprocess.run(args, capture_output=True, env=ENV)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def section(name, rows, out):
    out.append(f"[{name}]")
    if len(rows) > MAX_ROWS or sum(len(r) + 1 for r in rows) > MAX_CHARS:
        h = hashlib.sha256("".join(r + "\n" for r in rows).encode()).hexdigest()[:16]
        out.append(f"digest {len(rows)} {h}")
    else:
        out.extend(rows)


def info(cap):
    rc, long_out, err = run(["capinfos", cap])
    _, machine, _ = run(["capinfos", "-M", cap])
    if rc != 0:
        return ["error\t" + err.strip().splitlines()[0] if err.strip() else "error"]
    rows = []
    longs = {}
    for line in long_out.splitlines():
        k, _, v = line.partition(":")
        longs.setdefault(k.strip(), v.strip())
    iface = None
    for line in machine.splitlines():
        if line.startswith("SHA1") or line.startswith("RIPEMD160") or line.startswith("File name"):
            continue
        m = re.match(r"Interface #(\d+) info:", line)
        if m:
            iface = m.group(1)
            continue
        if line.startswith(" ") and "=" in line and iface is not None:
            k, _, v = line.strip().partition(" = ")
            rows.append(f"interface {iface} {k}\t{v}")
            continue
        if line.startswith(" ") and iface is None:
            rows.append(f"encapsulation in use\t{line.strip()}")
            continue
        if iface is not None and not line.startswith(" ") and ":" not in line and rows:
            # The rest of a value that holds a newline.
            rows[-1] += "\\n" + line
            continue
        k, _, v = line.partition(":")
        k = k.strip()
        v = v.strip()
        if k in ("File type", "File encapsulation"):
            v = longs.get(k, v)
        if k == "Encapsulation in use by packets (# of pkts)":
            continue
        rows.append(f"{k}\t{v}")
    return rows


def phs(cap):
    _, out, _ = run(["tshark", "-n", "-q", "-r", cap, "-z", "io,phs"])
    rows = []
    for line in out.splitlines():
        m = re.match(r"^( *)(\S+)\s+frames:(\d+) bytes:(\d+)$", line)
        if m:
            rows.append(f"{len(m.group(1)) // 2}\t{m.group(2)}\t{m.group(3)}\t{m.group(4)}")
    return rows


def conv(cap):
    args = ["tshark", "-n", "-q", "-r", cap]
    for k in KINDS:
        args += ["-z", f"conv,{k}", "-z", f"endpoints,{k}"]
    _, out, _ = run(args)
    views = {}
    cur = None
    for line in out.splitlines():
        m = re.match(r"^(Ethernet|IPv4|IPv6|TCP|UDP) (Conversations|Endpoints)$", line)
        if m:
            cur = ("conv" if m.group(2) == "Conversations" else "endpoints") + " " + TITLES[m.group(1)]
            views[cur] = []
            continue
        if cur is None or line.startswith("=") or line.startswith("Filter:") or "|" in line:
            continue
        if cur.startswith("conv"):
            m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+ \S*bytes|\d+ \S?B)\s+(\d+) (\d+ \S*bytes|\d+ \S?B)\s+"
                         r"(\d+) (\d+ \S*bytes|\d+ \S?B)\s+(-?[\d.]+)\s+(-?[\d.]+)$", line)
            if not m:
                sys.exit(f"{cap}: unparsed conversation line: {line!r}")
            a, b = m.group(1), m.group(2)
            rows = [a, b] + [m.group(i) for i in range(3, 11)]
            views[cur].append("\t".join(rows))
        else:
            parts = line.split()
            if parts:
                views[cur].append("\t".join(parts))
    return views


def expert(cap):
    _, out, _ = run(["tshark", "-n", "-q", "-r", cap, "-z", "expert"])
    rows = []
    sev = None
    for line in out.splitlines():
        m = re.match(r"^(Errors|Warns|Notes|Chats|Comments) \((\d+)\)$", line)
        if m:
            sev = m.group(1)
            continue
        m = re.match(r"^\s+(\d+)\s+(\S+)\s+(.+?)  (.*)$", line)
        # TCP and ARP items only: the other protocols' come from dissectors
        # wirehunt does not have.
        if (
            sev
            and m
            and not line.strip().startswith("Frequency")
            and m.group(3).strip() in ("TCP", "ARP/RARP")
        ):
            rows.append(f"{sev}\t{m.group(2)}\t{m.group(4)}\t{m.group(1)}")
    return rows


def io(cap, duration):
    if duration is None or duration > MAX_IO_SECONDS:
        # tshark would print (and hold) one row per second of the span.
        return [f"skipped\t{duration}"]
    _, out, _ = run(["tshark", "-n", "-q", "-r", cap, "-z", "io,stat,1"])
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\|\s*([\d.]+) <> +(\S+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$", line)
        if m:
            # Frames and bytes only: tshark shortens the interval to the
            # capture's duration when that is shorter.
            rows.append(f"{m.group(3)}\t{m.group(4)}")
    return rows


def follow(cap):
    views = {}
    for proto in ("tcp", "udp"):
        _, out, _ = run(["tshark", "-n", "-r", cap, "-Y", f"{proto}.len > 0" if proto == "tcp" else "udp",
                         "-T", "fields", "-e", f"{proto}.stream"])
        streams = []
        for s in out.split():
            if s.isdigit() and int(s) not in streams:
                streams.append(int(s))
            if len(streams) >= FOLLOW_STREAMS:
                break
        if not streams:
            continue
        args = ["tshark", "-n", "-q", "-r", cap]
        for s in streams:
            args += ["-z", f"follow,{proto},raw,{s}"]
        _, out, _ = run(args)
        cur = None
        for line in out.splitlines():
            m = re.match(rf"^Filter: {proto}\.stream eq (\d+)$", line)
            if m:
                cur = f"follow {proto} {m.group(1)}"
                views[cur] = []
                continue
            if cur is None or line.startswith("=") or line.startswith("Follow:"):
                continue
            if line.startswith("Node "):
                views[cur].append(line)
            elif line.strip():
                views[cur].append(("1\t" if line.startswith("\t") else "0\t") + line.strip())
    return views


def one(job):
    cap, dest = job
    out = []
    rows = info(cap)
    section("info", rows, out)
    duration = next((float(r.split("\t")[1].split()[0]) for r in rows if r.startswith("Capture duration\t")), None)
    section("phs", phs(cap), out)
    views = conv(cap)
    for k in KINDS:
        section(f"conv {k}", views.get(f"conv {k}", []), out)
        section(f"endpoints {k}", views.get(f"endpoints {k}", []), out)
    section("expert", expert(cap), out)
    section("io 1", io(cap, duration), out)
    for name, rows in sorted(follow(cap).items(), key=lambda kv: (kv[0].split()[1], int(kv[0].split()[2]))):
        section(name, rows, out)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return dest


jobs = []
for s in ("public", "generated"):
    d = os.path.join(corpus, s)
    for name in sorted(os.listdir(d)):
        if name.endswith(".pcap") or name.endswith(".pcapng"):
            jobs.append((os.path.join(d, name), os.path.join(out_dir, s, name + ".txt")))
only = sys.argv[1:]
if only:
    jobs = [j for j in jobs if any(o in j[0] for o in only)]
with cf.ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as ex:
    for dest in ex.map(one, jobs):
        print(dest, flush=True)
