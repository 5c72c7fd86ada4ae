#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs libFuzzer targets built by `make fuzz` for FUZZ_SECONDS each (default 60), one after the
# other, from their seed corpus, their dictionary and their regression inputs, and prints per
# target the executions and the coverage of libFuzzer's final stats. Any finding (crash, leak,
# sanitizer report, broken invariant, timeout, out-of-memory) fails the run; its input is left in
# WORK/artifacts/TARGET/. New corpus entries go to WORK/corpus/TARGET, never into the sources.
#
# usage: smoke.sh SRCDIR WORK TARGET...
# environment: FUZZ_SECONDS (60), FUZZ_TIMEOUT (seconds per input, 10), FUZZ_RSS_MB (2048),
#              FUZZ_FLAGS (more libFuzzer flags, e.g. -use_value_profile=1)
set -u
srcdir=$1
work=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
status=0
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

for t in "$@"; do
	bin=$work/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: $bin is missing (make fuzz builds it)" >&2
		status=1
		continue
	fi
	# inputs the targets read as a whole stay small; a feed gets room for chunking and caps
	case $t in
	feed) max_len=65536 ;;
	date) max_len=256 ;;
	url) max_len=2048 ;;
	*) max_len=16384 ;;
	esac
	mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
	dirs="$work/corpus/$t $srcdir/tests/fuzz/corpus/$t"
	[ -d "$srcdir/tests/fuzz/regress/$t" ] && dirs="$dirs $srcdir/tests/fuzz/regress/$t"
	log=$work/$t.log
	start=$(date +%s)
	# stdin and stdout are no terminal or pipe a configuration could name and block on
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout="$timeout" \
		-rss_limit_mb="$rss" -max_len="$max_len" -dict="$srcdir/tests/fuzz/$t.dict" \
		-artifact_prefix="$work/artifacts/$t/" ${FUZZ_FLAGS:-} $dirs </dev/null >"$log" 2>&1
	rc=$?
	wall=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	summary="fuzz $t: ${runs:-?} runs in ${wall}s (${speed:-?} exec/s), cov: ${cov:-?} ft: ${ft:-?}, corpus ${corp:-?}, peak RSS ${peak:-?} MB"
	if [ "$rc" -ne 0 ]; then
		echo "$summary: FINDING (exit $rc), log $log" >&2
		grep -E 'ERROR|WARNING|SUMMARY|invariant|Test unit written' "$log" | head -20 >&2
		status=1
	else
		echo "$summary: no finding"
	fi
done
exit $status
