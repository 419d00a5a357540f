#!/usr/bin/env bash
# Throughput and peak memory of `wirehunt packets -T fields`, `hunt` and the
# `stats` views against tshark (the views' tshark twins with BENCH_TSHARK=1)
# on the reference workloads of ../shared/bench (generated on the fly into a
# temporary folder, deleted afterwards).
#   benches/bench.sh            # 1 GiB mixed + 14 M-packet SYN flood (needs numpy)
#   BENCH_SMALL=1 benches/bench.sh   # 100 MB mixed + 1 M-packet flood, quick look
#   WIREHUNT_BENCH_DIR=/tmp/wb benches/bench.sh   # keep the workloads there and reuse them
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
fields=(-T fields -e frame.number -e tcp.stream -e tcp.flags.reset)
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || true
  read -r secs kb <"$tmp/t"
  last=$secs
  echo "$label: ${secs}s, peak ${kb} KiB"
}
ratio() { # ours, theirs: how many times faster, to one decimal
  awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "  ratio: %.1fx\n", b / a }'
}
for f in mixed flood; do
  size=$(stat -c %s "$tmp/$f.pcap")
  echo "== $f.pcap ($size bytes)"
  measure "wirehunt (read ahead by a thread)" "$wh" packets "$tmp/$f.pcap" "${fields[@]}"
  measure "wirehunt hunt" "$wh" hunt "$tmp/$f.pcap"
done
echo "== display filter on mixed.pcap (-Y 'tcp.flags.reset == 1' -T fields -e frame.number)"
measure "wirehunt, no filter" "$wh" packets "$tmp/mixed.pcap" -T fields -e frame.number
measure "wirehunt, -Y reset" "$wh" packets "$tmp/mixed.pcap" -Y 'tcp.flags.reset == 1' -T fields -e frame.number
echo "== statistics views on mixed.pcap (one thread fed by the read-ahead thread; then, for phs,"
echo "   conv, endpoints and expert, mapped and split with --threads 2), each against its twin"
views=("info:" "phs:io,phs" "conv tcp:conv,tcp" "conv udp:conv,udp" "conv ip:conv,ip" "endpoints ip:endpoints,ip" "expert:expert" "io:io,stat,1")
for v in "${views[@]}"; do
  ours=${v%%:*}; theirs=${v#*:}
  # shellcheck disable=SC2086
  measure "wirehunt stats $ours" "$wh" stats $ours "$tmp/mixed.pcap"
  ours_secs=$last
  case $ours in
    phs|conv*|endpoints*|expert)
      # shellcheck disable=SC2086
      measure "wirehunt stats $ours --threads 2" "$wh" stats $ours --threads 2 "$tmp/mixed.pcap" ;;
  esac
  if [ -n "${BENCH_TSHARK:-}" ] && command -v tshark >/dev/null; then
    if [ -z "$theirs" ]; then
      measure "capinfos" capinfos "$tmp/mixed.pcap"
    else
      measure "tshark -q -z $theirs" tshark -n -q -r "$tmp/mixed.pcap" -z "$theirs"
    fi
    ratio "$ours_secs" "$last"
  fi
done
measure "wirehunt follow 0" "$wh" follow "$tmp/mixed.pcap" 0
ours_secs=$last
if [ -n "${BENCH_TSHARK:-}" ] && command -v tshark >/dev/null; then
  measure "tshark -q -z follow,tcp,raw,0" tshark -n -q -r "$tmp/mixed.pcap" -z follow,tcp,raw,0
  ratio "$ours_secs" "$last"
fi
if command -v tshark >/dev/null; then
  measure "tshark -Y reset" tshark -n -r "$tmp/mixed.pcap" -Y 'tcp.flags.reset == 1' -T fields -e frame.number
  echo "== tshark 4.0 (same command; the flood at 1 M packets, as 14 M exceed memory)"
  measure "tshark mixed" tshark -n -r "$tmp/mixed.pcap" "${fields[@]}"
  measure "tshark flood 1M" tshark -n -r "$tmp/flood1m.pcap" "${fields[@]}"
  measure "wirehunt flood 1M" "$wh" packets "$tmp/flood1m.pcap" "${fields[@]}"
fi
