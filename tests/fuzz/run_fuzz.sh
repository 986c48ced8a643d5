#!/usr/bin/env bash
# run_fuzz.sh FUZZER SECONDS SEED_DIR: fuzzes for SECONDS in a scratch corpus
# seeded from SEED_DIR (which is never written), prints libFuzzer's final
# stats, and fails when the fuzzer does (crash, leak, UB, property violated).
set -euo pipefail
fuzzer=$1 seconds=$2 seeds=$3
[[ -x "$fuzzer" ]] || { echo "fuzzer not built: $fuzzer"; exit 1; }
[[ -d "$seeds" ]] || { echo "seed corpus missing: $seeds"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
status=0
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1 || status=$?
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$work/log" || true
if ((status != 0)); then
  tail -n 40 "$work/log"
  echo "fuzzer failed with status $status"
  exit "$status"
fi
