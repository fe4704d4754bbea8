#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz into build/fuzz and runs each
# for a bounded time, one after the other (tests/fuzz/README.md).
#   scripts/fuzz.sh            # 300 seconds per target
#   scripts/fuzz.sh 60         # 60 seconds per target
# Environment: XENIA_BUILD_JOBS (build parallelism, default nproc),
# XENIA_FUZZ_TARGETS (default "fuzz_xl_config fuzz_spec_text").
#
# Everything a run writes is under build/fuzz: the working corpus (seeded
# from tests/fuzz/corpus and tests/unit/libxl/xlcfg, kept and grown from run
# to run), crash/timeout/leak/oom inputs in build/fuzz/artifacts/<target>/,
# and each run's log in build/fuzz/logs/. Exits 1 if a run found anything.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, got '$seconds'" >&2
  exit 2
fi
jobs="${XENIA_BUILD_JOBS:-$(nproc)}"
read -r -a targets <<<"${XENIA_FUZZ_TARGETS:-fuzz_xl_config fuzz_spec_text}"
build=build/fuzz

# ------------------------------------------------------------- toolchain
scripts/install-deps.sh

# clang and libFuzzer's runtime: a tiny fuzzer must compile and link.
fuzz_toolchain_works() {
  command -v clang >/dev/null && command -v clang++ >/dev/null || return 1
  local dir
  dir="$(mktemp -d)"
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$dir/t.cc"
  local ok=0
  clang++ -fsanitize=fuzzer,address,undefined "$dir/t.cc" -o "$dir/t" 2>/dev/null || ok=1
  rm -rf "$dir"
  return "$ok"
}

if ! fuzz_toolchain_works; then
  # As scripts/install-deps.sh installs: only what is missing.
  packages=(clang-14 libfuzzer-14-dev libclang-rt-14-dev clang)
  missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "fuzz.sh: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if ! fuzz_toolchain_works; then
    echo "fuzz.sh: clang++ cannot link a -fsanitize=fuzzer program even with" \
      "${packages[*]} installed" >&2
    exit 1
  fi
fi

# ----------------------------------------------------------------- build
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENIA_FUZZ=ON -DXENIA_SANITIZE=OFF \
  -DXENIA_BUILD_TESTS=OFF -DXENIA_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

# ------------------------------------------------------------------- run
# UBSan's findings abort (-fno-sanitize-recover) with a stack trace; leaks
# count as findings, except those a target suppresses as a known bug of a
# library (see its source), which are not listed after every input.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-print_suppressions=0}"

# Seeds for each target: its directory under tests/fuzz/corpus (the name
# without "fuzz_"), and for fuzz_xl_config also the xl.cfg files of the
# unit tests.
seed_dirs() {
  local name="${1#fuzz_}"
  echo "tests/fuzz/corpus/$name"
  if [ "$1" = fuzz_xl_config ]; then echo "tests/unit/libxl/xlcfg"; fi
}

# Artifact files libFuzzer writes: crash-, timeout-, oom-, leak-, slow-unit-.
list_artifacts() { find "$1" -maxdepth 1 -type f -printf '%f\n' | sort; }

summary=()
findings=0
mkdir -p "$build/logs"
for target in "${targets[@]}"; do
  corpus="$build/corpus/${target#fuzz_}"
  artifacts="$build/artifacts/$target"
  log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  while read -r dir; do
    [ -d "$dir" ] || continue
    find "$dir" -maxdepth 1 -type f ! -name '.*' ! -name '*.md' -exec cp -n -t "$corpus" {} +
  done < <(seed_dirs "$target")
  before="$(list_artifacts "$artifacts")"

  echo "== $target: ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) files)"
  rc=0
  "$build/bin/$target" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?

  new="$(comm -13 <(echo "$before") <(list_artifacts "$artifacts") | sed '/^$/d')"
  crashes="$(grep -c -E '^(crash|leak|oom)-' <<<"$new" || true)"
  timeouts="$(grep -c -E '^timeout-' <<<"$new" || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)"
  if [ -z "$execs" ] && [ -n "$done_line" ]; then execs="$(awk '{print $2}' <<<"$done_line")"; fi
  if [ -z "$rate" ] && [ -n "$done_line" ]; then
    rate="$(awk '{ if ($5 > 0) printf "%d", $2 / $5; else print $2 }' <<<"$done_line")"
  fi
  # The corpus libFuzzer kept in memory ("corp: N/SIZE" of its last status
  # line) and the files now in the working corpus directory.
  corp="$(grep -o 'corp: [0-9]*/[0-9]*[bKMG]*' "$log" | tail -n 1 | sed 's/corp: //' || true)"
  files="$(find "$corpus" -type f | wc -l)"

  status=clean
  if [ "$crashes" -gt 0 ] || [ "$timeouts" -gt 0 ]; then
    status="FOUND: $(tr '\n' ' ' <<<"$new")"
    findings=1
  elif [ "$rc" -ne 0 ]; then
    status="FAILED (exit $rc, no artifact; see $log)"
    findings=1
  fi
  summary+=("$(printf '%-16s executions %-10s exec/s %-7s corpus %s files (in memory %s)  crashes %s  timeouts %s  %s' \
    "$target" "${execs:-?}" "${rate:-?}" "$files" "${corp:-?}" "$crashes" "$timeouts" "$status")")
  if [ "$status" != clean ]; then
    echo "-- $target: last lines of $log"
    tail -n 40 "$log"
  fi
done

echo
echo "== fuzz summary (${seconds}s per target; logs in $build/logs, artifacts in $build/artifacts)"
printf '%s\n' "${summary[@]}"
older="$(find "$build/artifacts" -type f | wc -l)"
echo "artifacts kept in $build/artifacts (all runs): $older"
exit "$findings"
