#!/usr/bin/env bash
# Regenerates the tshark expected files in crates/wirehunt/tests/tshark/
# from Debian's tshark 4.0 (apt-get install tshark). For every capture of
# ../shared/corpus/{public,generated} it runs
#   tshark -n -r CAPTURE                                   (packet list)
#   tshark -n -r CAPTURE -T fields -e _ws.col.Protocol     (protocol column)
#   tshark -n -r CAPTURE -T fields -E header=y -e FIELD…   (the field list in tests/tshark_parity.rs)
# into a temporary folder; the ignored test `regenerate` then writes the
# small committed files (full lines for small captures, digests for the rest).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${WIREHUNT_CORPUS:-$here/../shared/corpus}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
# The field list is the FIELDS array of the parity test, one name per line.
fields=$(awk '/^const FIELDS: &\[&str\] = &\[/{on=1; next} on && /^\];/{exit} on' \
  "$here/crates/wirehunt/tests/tshark_parity.rs" | sed -n 's/^ *"\([a-z0-9_.-]*\)",$/-e \1/p' | tr '\n' ' ')
for set in public generated; do
  for cap in "$corpus/$set"/*.pcap "$corpus/$set"/*.pcapng; do
    [ -e "$cap" ] || continue
    name="$set/$(basename "$cap")"
    mkdir -p "$raw/$set"
    out="$raw/$name"
    tshark -n -r "$cap" >"$out.list" 2>"$out.err" || true
    tshark -n -r "$cap" -T fields -e _ws.col.Protocol >"$out.proto" 2>/dev/null || true
    # shellcheck disable=SC2086
    tshark -n -r "$cap" -T fields -E header=y $fields >"$out.fields" 2>/dev/null || true
  done
done
WIREHUNT_TSHARK_RAW="$raw" WIREHUNT_CORPUS="$corpus" \
  cargo test -q --manifest-path "$here/Cargo.toml" -p wirehunt --test tshark_parity -- --ignored regenerate --exact
