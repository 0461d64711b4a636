#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) in build-asan/, seeds a
# corpus for each from the committed seeds (fuzz/corpus/<target>/), the rule folders and the
# bad-input catalogue (tests/bad/), and runs every target for SECONDS (default 60), two at a time.
# Exits non-zero if any target crashed, leaked, hung or ran out of memory; the offending input is
# saved as $FUZZ_WORK/artifacts/<target>-crash-* (add it to tests/bad/ with the fix).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: decimal rules expression facts ledger xlsx
# (xlsx: the Python package's workbook reader, fuzzed with Hypothesis by fuzz/fuzz_xlsx.py under
# $PYTHON, default python3, which must have the package installed)
#   FUZZ_WORK=../fuzz-work scripts/fuzz.sh 1800   keeps corpora and artifacts outside the tree
#   FUZZ_PARALLEL (2), FUZZ_NICE (0), FUZZ_BIN (prebuilt targets) adjust it
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(decimal rules expression facts ledger xlsx)
native=()
for t in "${targets[@]}"; do [[ "$t" == xlsx ]] || native+=("$t"); done
build=build-asan  # shared with scripts/sanitizers.sh asan: one instrumented library for both
work="${FUZZ_WORK:-$build/fuzz-work}"
parallel="${FUZZ_PARALLEL:-2}"

bin="${FUZZ_BIN:-$PWD/$build/fuzz}"  # FUZZ_BIN: prebuilt targets (a long run while the tree changes)
if [[ -z "${FUZZ_BIN:-}" ]] && ((${#native[@]})); then
  bash scripts/sanitizers.sh configure
  cmake --build "$build" --parallel "$parallel" --target "${native[@]/#/fuzz_}"
fi

# Seeds: small committed ones, then whole rule folders (files joined by the "#---" separator that
# fuzz_rules splits on) and the catalogue's bad inputs, each to the target that reads them.
mkdir -p "$work/artifacts"
join_folder() {  # join_folder DIR: the folder's YAML files as one fuzz_rules input
  local first=1 f
  for f in "$1"/*.yaml; do
    ((first)) || printf '\n#---\n'
    first=0
    cat "$f"
  done
}
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  cp -f fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  case "$target" in
    rules)
      join_folder tests/data/engine >"$corpus/seed-engine"
      join_folder tests/python/data/toy-rules >"$corpus/seed-toy"
      for f in rules/*.yaml; do cp -f "$f" "$corpus/seed-$(basename "$f")"; done
      ;;
  esac
  if [[ -d tests/bad ]]; then  # catalogue inputs under 64 kB, by the target named in expected.yaml
    while IFS= read -r expected; do
      dir="$(dirname "$expected")"
      grep -qE "^target: $target\$" "$expected" || continue
      for f in "$dir"/*; do
        [[ -f "$f" ]] || continue  # a case may hold a folder (a rules folder, a folder as input)
        [[ "$(basename "$f")" == expected.yaml || $(stat -c %s "$f") -gt 65536 ]] && continue
        cp -f "$f" "$corpus/bad-$(basename "$dir")-$(basename "$f")"
      done
    done < <(find tests/bad -name expected.yaml | sort)
  fi
done

# Runs the targets, `parallel` at a time; each writes its log to $work/<target>.log.
run() {
  local target="$1" dict=()
  if [[ "$target" == xlsx ]]; then
    nice -n "${FUZZ_NICE:-0}" "${PYTHON:-python3}" fuzz/fuzz_xlsx.py "$seconds" "$work/artifacts" >"$work/$target.log" 2>&1
    return
  fi
  [[ -f "fuzz/$target.dict" ]] && dict=(-dict="$PWD/fuzz/$target.dict")
  (cd "$work" && nice -n "${FUZZ_NICE:-0}" "$bin/fuzz_$target" "corpus/$target" \
    -max_total_time="$seconds" -timeout=120 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target-" "${dict[@]}" >"$target.log" 2>&1)
}
declare -A status=()
pids=()
names=()
for target in "${targets[@]}"; do
  run "$target" &
  pids+=($!)
  names+=("$target")
  if ((${#pids[@]} >= parallel)); then
    wait "${pids[0]}" && status[${names[0]}]=0 || status[${names[0]}]=$?
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" && status[${names[$i]}]=0 || status[${names[$i]}]=$?
done

failed=0
for target in "${targets[@]}"; do
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -oE '[0-9]+$' || echo '?')"
  if [[ "${status[$target]}" == 0 ]]; then
    echo "fuzz_$target: ${seconds}s, $execs runs, no crash"
  else
    echo "fuzz_$target: FAILED (exit ${status[$target]}) after $execs runs; see $work/$target.log"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|Test unit written' "$work/$target.log" | head -5 || true
    failed=1
  fi
done
exit "$failed"
