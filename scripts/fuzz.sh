#!/usr/bin/env bash
# minilink's fuzz targets (go test -fuzz): the --link, -p, --expose, -e and --change parsers and the
# /etc/hosts rewrite, each for FUZZ_TIME (default 20s), one after the other since Go fuzzes one
# target per run. They are pure functions: no root, no namespace, no network. A summary line per
# target gives its executions; the run fails when any target fails.
#
#   scripts/fuzz.sh                 every Fuzz* target of the packages below (make fuzz)
#   scripts/fuzz.sh 'Hosts|Link'    only the targets whose name matches the regular expression
#   FUZZ_TIME=2m scripts/fuzz.sh    longer (any -fuzztime value: 30s, 1m, 100000x)
#
# An input that fails a target is written by Go to the package's testdata/fuzz/FuzzX/: commit it,
# and the plain `go test` replays it from then on as a regression test. The inputs that only
# widen coverage stay in Go's cache ($(go env GOCACHE)/fuzz), where the next run starts from them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1

fuzz_time=${FUZZ_TIME:-20s}
filter=${1:-.}
packages=(./linker ./bridge ./rootfs ./runtime ./runtime/waiter)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Every target, found by `go test -list` so that a new Fuzz* function needs no edit here.
targets=()
for pkg in "${packages[@]}"; do
	names=$(go test -list '^Fuzz' "$pkg")
	for name in $names; do
		if [[ $name == Fuzz* && $name =~ $filter ]]; then
			targets+=("$pkg $name")
		fi
	done
done
if [ ${#targets[@]} = 0 ]; then
	echo "no fuzz target matches '$filter'" >&2
	exit 1
fi
echo "fuzzing ${#targets[@]} targets for $fuzz_time each"

# seconds D: Go's rounded elapsed time ("20s", "1m5s", "1h0m0s") in seconds.
seconds() {
	awk -v d="$1" 'BEGIN { s = 0; n = ""
		for (i = 1; i <= length(d); i++) { c = substr(d, i, 1)
			if (c ~ /[0-9]/) n = n c
			else { s += n * (c == "h" ? 3600 : c == "m" ? 60 : 1); n = "" } }
		print s }'
}

status=0
flakes=0
summary=()
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	log=$logs/$name.log
	printf '..    %s %s\n' "${pkg#./}" "$name"
	result=ok
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzz_time" "$pkg" >"$log" 2>&1; then
		result=FAIL
		# Go before 1.27 may end a run that reached -fuzztime with a bare "context deadline
		# exceeded" (golang/go#75804, a race in its coordinator): no input failed, none was
		# written. Anything else, a failing input above all, stays a failure.
		if grep -qx '    context deadline exceeded' "$log" &&
			! grep -qE 'Failing input written|failure while testing seed corpus|_test\.go:[0-9]+:' "$log"; then
			result='ok*'
			flakes=$((flakes + 1))
		fi
	fi
	# Go's last progress line: "fuzz: elapsed: 20s, execs: 412345 (0/sec), new interesting: 12 (total: 40)".
	last=$(grep '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1 || true)
	elapsed=$(sed -E 's/^fuzz: elapsed: ([0-9hms]+),.*/\1/' <<<"$last")
	execs=$(sed -E 's/.*execs: ([0-9]+) .*/\1/' <<<"$last")
	interesting=$(sed -E 's/.*new interesting: ([0-9]+) .*/\1/' <<<"$last")
	line="(ended before its first progress line)"
	if [ -n "$last" ]; then
		secs=$(seconds "$elapsed")
		line="$elapsed, $execs execs ($((execs / (secs > 0 ? secs : 1)))/sec), $interesting new interesting"
	fi
	summary+=("$(printf '%-5s %-7s %-24s %s' "$result" "${pkg#./}" "$name" "$line")")
	if [ "$result" = FAIL ]; then
		status=1
		echo "FAIL  $name; its output:" >&2
		sed 's/^/      /' "$log" >&2
	fi
done

echo
echo "fuzz summary (FUZZ_TIME=$fuzz_time):"
printf '  %s\n' "${summary[@]}"
if [ $flakes != 0 ]; then
	echo "  * ended by Go's own \"context deadline exceeded\" at the time limit (golang/go#75804), no input failed"
fi
if [ $status != 0 ]; then
	echo "a fuzz target failed (output above); a new failing input is in that package's testdata/fuzz/" >&2
fi
exit $status
