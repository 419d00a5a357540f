#!/usr/bin/env bash
# Throughput and peak memory of `wirehunt packets -T fields`, `packets -V`,
# `hunt` and the `stats` views against tshark (the views' tshark twins with BENCH_TSHARK=1)
# on the reference workloads of ../shared/bench (generated on the fly into a
# temporary folder, deleted afterwards).
#   benches/bench.sh            # 1 GiB mixed + 14 M-packet SYN flood (needs numpy)
#   BENCH_SMALL=1 benches/bench.sh   # 100 MB mixed + 1 M-packet flood, quick look
#   WIREHUNT_BENCH_DIR=/tmp/wb benches/bench.sh   # keep the workloads there and reuse them
#   BENCH_AS_WRITTEN=1 benches/bench.sh   # measure the captures as their writer left them in
#                                         # the page cache, not as a read from disk leaves them
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen=${WIREHUNT_BENCH_GEN:-$here/../shared/bench}
if [ -n "${WIREHUNT_BENCH_DIR:-}" ]; then
  tmp=$WIREHUNT_BENCH_DIR; mkdir -p "$tmp"
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fi
cargo build --release -q --manifest-path "$here/Cargo.toml"
wh=$here/target/release/wirehunt
mixed_bytes=1e9; flood_pkts=14e6
if [ -n "${BENCH_SMALL:-}" ]; then mixed_bytes=1e8; flood_pkts=1e6; fi
gen_once() { # script, file, size
  [ -s "$tmp/$2" ] || python3 "$gen/$1" "$tmp/$2" "$3" >/dev/null
}
gen_once gen_mixed.py mixed.pcap "$mixed_bytes"
gen_once gen_small.py flood.pcap "$flood_pkts"
gen_once gen_small.py flood1m.pcap 1e6
# How the kernel holds a file in its page cache depends on how the file got
# there: a file just written in small pieces (as the generators write) sits
# in small pages, one read back from disk in large ones, and copying it out
# of the cache then costs about 40% less (`stats io`: 0.19 s against 0.12 s).
# An analyst's capture is usually one read from disk, so each capture is
# flushed, dropped from the cache and read once before the runs; tshark's
# times do not depend on it.
if [ -z "${BENCH_AS_WRITTEN:-}" ]; then
  python3 - "$tmp"/mixed.pcap "$tmp"/flood.pcap "$tmp"/flood1m.pcap <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)
PY
fi
fields=(-T fields -e frame.number -e tcp.stream -e tcp.flags.reset)
measure() { # label, command... (RUNS=N before it: the median of N runs)
  local label=$1 runs=${RUNS:-1} i secs kb all=() peak=0; shift
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || true
    read -r secs kb <"$tmp/t"
    all+=("$secs")
    if ((kb > peak)); then peak=$kb; fi
  done
  last=$(printf '%s\n' "${all[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  if ((runs > 1)); then
    echo "$label: ${last}s (median of $runs: ${all[*]}), peak ${peak} KiB"
  else
    echo "$label: ${last}s, peak ${peak} KiB"
  fi
}
# wirehunt's runs are short and vary by a tenth from run to run: each is the
# median of BENCH_RUNS (3 unless set); tshark's take seconds and run once.
ours() { RUNS=${BENCH_RUNS:-3} measure "$@"; }
ratio() { # ours, theirs: how many times faster, to one decimal
  awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "  ratio: %.1fx\n", b / a }'
}
twin() { # our seconds, label, command...: the twin, with BENCH_TSHARK=1, and the ratio
  local mine=$1; shift
  if [ -n "${BENCH_TSHARK:-}" ] && command -v tshark >/dev/null; then
    measure "$@"
    ratio "$mine" "$last"
  fi
}
for f in mixed flood; do
  size=$(stat -c %s "$tmp/$f.pcap")
  echo "== $f.pcap ($size bytes)"
  ours "wirehunt (read ahead by a thread)" "$wh" packets "$tmp/$f.pcap" "${fields[@]}"
  ours "wirehunt hunt" "$wh" hunt "$tmp/$f.pcap"
done
echo "== display filter on mixed.pcap (-Y 'tcp.flags.reset == 1' -T fields -e frame.number)"
ours "wirehunt, no filter" "$wh" packets "$tmp/mixed.pcap" -T fields -e frame.number
ours "wirehunt, -Y reset" "$wh" packets "$tmp/mixed.pcap" -Y 'tcp.flags.reset == 1' -T fields -e frame.number
echo "== statistics views on mixed.pcap (one thread fed by the read-ahead thread; then, for phs,"
echo "   conv, endpoints and expert, mapped and split with --threads 2), each against its twin"
views=("info:" "phs:io,phs" "conv tcp:conv,tcp" "conv udp:conv,udp" "conv ip:conv,ip" "endpoints ip:endpoints,ip" "expert:expert" "io:io,stat,1")
for v in "${views[@]}"; do
  view=${v%%:*}; theirs=${v#*:}
  # shellcheck disable=SC2086
  ours "wirehunt stats $view" "$wh" stats $view "$tmp/mixed.pcap"
  ours_secs=$last
  case $view in
    phs|conv*|endpoints*|expert)
      # shellcheck disable=SC2086
      ours "wirehunt stats $view --threads 2" "$wh" stats $view --threads 2 "$tmp/mixed.pcap" ;;
  esac
  if [ -z "$theirs" ]; then
    twin "$ours_secs" "capinfos" capinfos "$tmp/mixed.pcap"
  else
    twin "$ours_secs" "tshark -q -z $theirs" tshark -n -q -r "$tmp/mixed.pcap" -z "$theirs"
  fi
done
ours "wirehunt follow 0" "$wh" follow "$tmp/mixed.pcap" 0
twin "$last" "tshark -q -z follow,tcp,raw,0" tshark -n -q -r "$tmp/mixed.pcap" -z follow,tcp,raw,0
echo "== packet detail on mixed.pcap (-V, to /dev/null; tshark writes about three times as much text)"
ours "wirehunt packets -V" "$wh" packets "$tmp/mixed.pcap" -V
twin "$last" "tshark -V" tshark -n -r "$tmp/mixed.pcap" -V
if command -v tshark >/dev/null; then
  measure "tshark -Y reset" tshark -n -r "$tmp/mixed.pcap" -Y 'tcp.flags.reset == 1' -T fields -e frame.number
  echo "== tshark 4.0 (same command; the flood at 1 M packets, as 14 M exceed memory)"
  measure "tshark mixed" tshark -n -r "$tmp/mixed.pcap" "${fields[@]}"
  measure "tshark flood 1M" tshark -n -r "$tmp/flood1m.pcap" "${fields[@]}"
  ours "wirehunt flood 1M" "$wh" packets "$tmp/flood1m.pcap" "${fields[@]}"
fi
