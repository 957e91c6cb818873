#!/usr/bin/env bash
# minilink's benchmark (not a test), the measurements of issue 7, written as one Markdown document:
#
#   - start: a whole `minilink run --rm busybox true` (overlay mount, bridge veth, libcontainer
#     start, teardown) against the floor of creating the same namespaces with unshare(1), without
#     the network, and under runc on the same root filesystem;
#   - the cost of one --link on `run -d` under icc=false;
#   - scale: 1, 50, 150, 300 running parents linked to one child under icc=false: `run -d --link`,
#     `ps -a`, `inspect` and `rm -f` at each level, and the iptables rules checked exactly;
#   - memory: the idle monitor of a detached container (RSS, PSS, private) and the peak RSS of
#     `minilink run --rm`;
#   - exec against nsenter, and stop of a container that exits on SIGTERM;
#   - a start from a 270 MB image against the 2 MB busybox;
#   - Go benchmarks (testing.B) of the pure planning code in linker and bridge;
#
# with a "Targets" table on top: each target of the issue, the measured value, met or NOT met.
#
#   sudo make bench                       (writes BENCHMARKS.md at the repo root)
#   sudo scripts/bench.sh > table.md      (the same, anywhere)
#   sudo BENCH_RUNS=3 BENCH_WARMUP=1 BENCH_SCALE="1 5" make bench      (a quick run)
#
# Environment:
#   BENCH_RUNS          measured runs per command (default 30)
#   BENCH_WARMUP        warm-up runs per command, not counted (default 3)
#   BENCH_RUNC          0 skips the runc comparison; otherwise runc is installed with apt-get if
#                       missing and skipped with a message when that fails
#   BENCH_SCALE         the numbers of running linked parents of the scale group, ascending
#                       (default "1 50 150 300"; ratios are to the first)
#   BENCH_SCALE_RUNS    measured runs per command and level in the scale group (default 10)
#   BENCH_SCALE_WARMUP  warm-up runs per command and level in the scale group (default 1)
#   BENCH_MEM           containers whose monitor is measured, and runs of `run --rm` whose peak
#                       RSS is measured (default 5)
#   BENCH_GO            0 skips the Go benchmarks
#   MINILINK            the minilink binary (default ./minilink at the repo root, built if missing)
#
# Every command is timed with hyperfine (Debian package hyperfine, installed if missing). The
# commands of a comparison alternate: each round is one hyperfine invocation that runs every
# command once, in an order that rotates from round to round, so that a drift of the machine
# (caches, frequency, other load) spreads over all of them alike; the first warm-up rounds are
# thrown away. Medians, minimums and maximums come from hyperfine's per-run times (--export-json).
# What a timed command needs (a container to stop or remove) is made before its round, untimed, and
# what it leaves is removed after the round, untimed.
#
# Everything that touches the kernel runs inside a private network and mount namespace (the script
# re-executes itself under unshare, as scripts/test.sh does), with a temporary state root
# (MINILINK_ROOT) holding images built by scripts/images.sh: the bridge, the veths, the iptables
# rules and the overlay mounts die with the namespace and never reach the host's. The Go
# benchmarks need no root and run before, outside. A leak audit follows (monitors, cgroups, the
# host's links and rules).
#
# Output: progress and aligned tables on stderr; the Markdown document on stdout, at the end, so
# that `scripts/bench.sh > FILE.md` keeps just the Markdown. The scale group fails the whole run
# when the iptables rules are not exactly the spec's.
#
# To compare one more command in a group, add a bench_add line there: the first command of a
# group is the one every ratio is taken against.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
export LC_ALL=C

BENCH_RUNS=${BENCH_RUNS:-30}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_RUNC=${BENCH_RUNC:-1}
BENCH_SCALE=${BENCH_SCALE:-1 50 150 300}
BENCH_SCALE_RUNS=${BENCH_SCALE_RUNS:-10}
BENCH_SCALE_WARMUP=${BENCH_SCALE_WARMUP:-1}
BENCH_MEM=${BENCH_MEM:-5}
BENCH_GO=${BENCH_GO:-1}
runc_id=minilink-bench-runc

die() { echo "bench.sh: $*" >&2; exit 1; }
log() { echo "$@" >&2; }
# phase MESSAGE: a progress line with the clock and the time since the start (outside and inside).
export BENCH_T0=${BENCH_T0:-$(date +%s)}
phase() {
	local t=$(($(date +%s) - BENCH_T0))
	echo "[$(date -u +%H:%M:%S), $((t / 60))m$((t % 60))s] $*" >&2
}

[[ $BENCH_RUNS =~ ^[0-9]+$ && $BENCH_RUNS -ge 1 ]] || die "BENCH_RUNS=$BENCH_RUNS: want a whole number ≥ 1"
[[ $BENCH_WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP=$BENCH_WARMUP: want a whole number ≥ 0"
[[ $BENCH_SCALE_RUNS =~ ^[0-9]+$ && $BENCH_SCALE_RUNS -ge 1 ]] || die "BENCH_SCALE_RUNS=$BENCH_SCALE_RUNS: want a whole number ≥ 1"
[[ $BENCH_SCALE_WARMUP =~ ^[0-9]+$ ]] || die "BENCH_SCALE_WARMUP=$BENCH_SCALE_WARMUP: want a whole number ≥ 0"
[[ $BENCH_MEM =~ ^[0-9]+$ && $BENCH_MEM -ge 1 ]] || die "BENCH_MEM=$BENCH_MEM: want a whole number ≥ 1"
prev=0
for level in $BENCH_SCALE; do
	[[ $level =~ ^[0-9]+$ && $level -gt $prev ]] ||
		die "BENCH_SCALE=\"$BENCH_SCALE\": want whole numbers ≥ 1 in ascending order (\"1 50 150 300\")"
	prev=$level
done
[ "$prev" -gt 0 ] || die "BENCH_SCALE is empty"

if [ "${1:-}" != "--inside" ]; then
	# --- Outside: in the host's namespaces. Check and install the tools, build minilink, run the Go
	# benchmarks, then run the rest in a private network and mount namespace.
	[ "$(id -u)" = 0 ] || die "needs root: it creates namespaces, a bridge, veths, rules and mounts (sudo scripts/bench.sh)"
	# The command line, with the settings that change the results.
	cmdline="BENCH_RUNS=$BENCH_RUNS BENCH_WARMUP=$BENCH_WARMUP BENCH_SCALE=\"$BENCH_SCALE\" BENCH_SCALE_RUNS=$BENCH_SCALE_RUNS BENCH_SCALE_WARMUP=$BENCH_SCALE_WARMUP BENCH_MEM=$BENCH_MEM"
	[ -z "${MINILINK:-}" ] || cmdline+=" MINILINK=$MINILINK"
	if [ -n "${MAKELEVEL:-}" ]; then
		cmdline+=" make bench"
	else
		cmdline+=" scripts/bench.sh${*:+ $*}"
	fi

	apt_install() { # apt_install PACKAGE: true when it is installed afterwards
		command -v apt-get >/dev/null || return 1
		log "installing the Debian package $1 (apt-get install -y $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >&2; }
	}
	if ! command -v hyperfine >/dev/null; then
		apt_install hyperfine || true
		command -v hyperfine >/dev/null ||
			die "hyperfine not found and could not be installed: install the Debian package hyperfine (apt-get install hyperfine)"
	fi
	# python3 (the tables) and procps (pgrep) are not in `make test`'s set-up: installed like hyperfine.
	for tool in python3:python3 pgrep:procps; do
		command -v "${tool%%:*}" >/dev/null || apt_install "${tool#*:}" || true
	done
	for tool in unshare:util-linux nsenter:util-linux ip:iproute2 iptables:iptables python3:python3 pgrep:procps busybox:busybox-static redis-server:redis-server; do
		command -v "${tool%%:*}" >/dev/null ||
			die "missing ${tool%%:*}: install the Debian package ${tool#*:} (apt-get install ${tool#*:})"
	done
	if [ "$BENCH_RUNC" != 0 ] && ! command -v runc >/dev/null; then
		apt_install runc || log "runc could not be installed: the runc comparison is skipped"
	fi

	# The private namespace has no network: compile here.
	BENCH_BINARY="given by MINILINK"
	if [ -z "${MINILINK:-}" ]; then
		BENCH_BINARY="./minilink, built from the work tree"
		if [ ! -x ./minilink ]; then
			log "building ./minilink"
			GOFLAGS=$(cat scripts/goflags) go build -o minilink ./cmd/minilink
		fi
		MINILINK=$PWD/minilink
	fi
	[ -x "$MINILINK" ] || die "MINILINK=$MINILINK is not an executable"
	MINILINK=$(readlink -f "$MINILINK")
	export MINILINK BENCH_BINARY BENCH_RUNS BENCH_WARMUP BENCH_RUNC BENCH_SCALE BENCH_SCALE_RUNS BENCH_SCALE_WARMUP BENCH_MEM BENCH_CMDLINE=$cmdline

	state=$(mktemp -d /tmp/minilink-bench.XXXXXX)
	trap 'rm -rf --one-file-system -- "$state"' EXIT

	# libcontainer starts each init from a read-only overlayfs whose lower layers are the binary's
	# directory and the container's state directory. overlayfs refuses nested layers, and
	# libcontainer then copies the whole binary into a memfd for every start (some 16 ms of 20 MB).
	# A binary whose directory holds the state root (one in /tmp) would measure that copy, which an
	# installed minilink (/usr/local/bin, state in /var/lib/minilink) never makes: measure a copy
	# of it beside the state root.
	case "$state/" in "$(dirname "$MINILINK")"/*)
		mkdir "$state/bin"
		cp "$MINILINK" "$state/bin/minilink"
		BENCH_BINARY="$BENCH_BINARY; copied to $state/bin so that its directory does not hold the state root"
		MINILINK=$state/bin/minilink
		export MINILINK BENCH_BINARY
		;;
	esac

	# How a binary's pages sit in the page cache changes how fast every process of it starts. A
	# binary just written in large writes (the Go linker's output, some copies) can be held in
	# large folios that the kernel maps 2 MiB at a time; read back from disk (after a reboot, or
	# once evicted) it comes in 4 KiB pages, and on the bench machine each minilink process then
	# started some 4 ms slower, a byte-identical copy included. Drop minilink's and runc's pages,
	# so that both are measured as a reboot leaves them, whatever wrote them last.
	for binary in "$MINILINK" $(command -v runc || true); do
		if ! { sync "$binary" && dd if="$binary" iflag=nocache count=0 status=none; }; then
			log "could not drop $binary from the page cache: its start may measure faster"
		fi
	done

	# minilink's seccomp filter in the OCI form, for a runc bundle confined like minilink's
	# containers (the private namespace has no network: go run compiles here).
	if [ "$BENCH_RUNC" != 0 ] && ! go run -tags seccomp ./scripts/seccomp-profile >"$state/seccomp.json" 2>"$state/seccomp.err"; then
		log "the seccomp profile could not be made ($(head -c 300 "$state/seccomp.err")): runc runs without it only"
		rm -f "$state/seccomp.json"
	fi

	# The Go benchmarks of the pure planning code: no root, no kernel, no namespace needed.
	if [ "$BENCH_GO" != 0 ]; then
		phase "Go benchmarks: go test -run '^\$' -bench . -benchmem ./linker ./bridge"
		go test -run '^$' -bench . -benchmem ./linker ./bridge >"$state/gobench.txt" 2>&1 ||
			{ cat "$state/gobench.txt" >&2; die "the Go benchmarks failed"; }
		grep -E '^Benchmark' "$state/gobench.txt" >&2 || true
	fi

	# What lives outside the private namespaces (cgroups, processes) is audited out here, and the
	# host's network is checked to be untouched. Monitors and the runc cgroup are surely ours;
	# a new minilink cgroup may be another minilink's running meanwhile (make test), so it only
	# warns.
	snapshot() { {
		find /sys/fs/cgroup -maxdepth 4 -type d -name "$runc_id" 2>/dev/null
		pgrep -f -- "--root $state/[a-z-]*root monitor" | sed 's/^/monitor pid /' || true
		ip -o link show | awk -F': ' '{print "link " $2}' | grep -E 'minilink|veth' || true
		{ iptables -S; iptables -t nat -S; } 2>/dev/null | grep -i minilink | sed 's/^/rule /' || true
	} | sort; }
	cgroups() { find /sys/fs/cgroup -maxdepth 4 -type d -path '*/minilink/*' 2>/dev/null | sort; }
	before=$(snapshot)
	cgroups_before=$(cgroups)
	status=0
	unshare --net --mount --fork -- "$0" --inside "$state" || status=$?
	# The mounts died with the namespace; nothing under $state is mounted any more.
	rm -rf --one-file-system -- "$state"
	trap - EXIT
	leaks=$(comm -13 <(echo "$before") <(snapshot) | grep . || true)
	if [ -n "$leaks" ]; then
		log "LEAK: left behind outside the private namespace:"
		log "$leaks"
		status=1
	fi
	new_cgroups=$(comm -13 <(echo "$cgroups_before") <(cgroups) | grep . || true)
	if [ -n "$new_cgroups" ]; then
		log "warning: minilink cgroups appeared during the benchmark (ours, or another minilink's running meanwhile):"
		log "$new_cgroups"
	fi
	exit $status
fi

# --- Inside the private network and mount namespace.
state=$2
mount --make-rprivate /
ip link set lo up
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

ml=$MINILINK
export MINILINK_ROOT=$state/root
work=$state/work
mkdir -p "$MINILINK_ROOT" "$work/json"
# Each group's Markdown section is written to $work/md/NN-GROUP.md and its aligned text to
# $work/table.txt; the document is put together at the end.
mkdir -p "$work/md"
: >"$work/table.txt"
runc_state=$work/runc-state
bundle=$work/runc-bundle

cleanup() {
	local rc=$? ids mnt
	set +e
	declare -F remove_reference >/dev/null && remove_reference
	ids=$("$ml" ps -aq 2>/dev/null)
	if [ -n "$ids" ]; then
		log "removing $(echo "$ids" | wc -l) container(s) left behind"
		# shellcheck disable=SC2086
		"$ml" rm -f $ids >/dev/null
	fi
	if [ -d "$runc_state/$runc_id" ]; then
		runc --root "$runc_state" delete -f "$runc_id" >/dev/null 2>&1
	fi
	# The bridge, veths and rules go with this network namespace; the overlay mounts would go with
	# the mount namespace, but unmount them first so that rm never walks into a mounted tree.
	while read -r mnt; do
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	done < <(awk -v d="$state" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
	rm -rf --one-file-system -- "${state:?}"/*
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

phase "building the images into $MINILINK_ROOT"
MINILINK=$ml scripts/images.sh >"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "scripts/images.sh failed"; }

# --- The commands of a group. bench_add LABEL COMMAND: COMMAND is run by hyperfine without a shell
# (-N), split into words the way a shell would; LABEL names it in the tables. The first is the one
# ratios are taken against. "{r}" in a command becomes the round number (for unique names).
labels=()
commands=()
bench_add() { labels+=("$1"); commands+=("$2"); }
bench_reset() { labels=(); commands=(); round_prepare=; round_cleanup=; }

# --- Measure: measure GROUP RUNS WARMUP: WARMUP + RUNS rounds, every command of labels/commands
# once a round, the order rotating. Before each round, round_prepare (if set) runs with the round
# number, untimed; after it, round_cleanup (if set).
round_prepare=
round_cleanup=
measure() {
	local group=$1 runs=$2 warmup=$3 n=${#commands[@]} rounds r i json order failed words
	rounds=$((warmup + runs))
	mkdir -p "$work/json/$group"
	phase "timing ${n} commands ($group): ${warmup} warm-up + ${runs} measured runs each, alternating"
	for ((r = 0; r < rounds; r++)); do
		if [ -t 2 ]; then
			printf '\r  round %d/%d%-10s' $((r + 1)) "$rounds" "$([ $r -lt "$warmup" ] && echo ' (warm-up)')" >&2
		fi
		[ -z "$round_prepare" ] || $round_prepare "$r"
		order=()
		for ((i = 0; i < n; i++)); do order+=("${commands[$(((i + r) % n))]//\{r\}/$r}"); done
		json=$work/json/$group/round-$r.json
		[ $r -lt "$warmup" ] && json=$work/json/$group/warmup-$r.json
		if ! hyperfine -N --runs 1 --style basic --export-json "$json" -- "${order[@]}" >"$work/round.log" 2>&1; then
			log ""
			cat "$work/round.log" >&2
			# hyperfine hides the command's own output: run the failed command once more to show it.
			failed=$(sed -n 's/^Benchmark [0-9]*: //p' "$work/round.log" | tail -n 1)
			if [ -n "$failed" ]; then
				log "running it again: $failed"
				read -ra words <<<"$failed"
				"${words[@]}" >&2 || log "(exit status $?)"
			fi
			die "hyperfine failed in round $((r + 1)) of $group: $failed"
		fi
		cat "$work/round.log" >>"$work/hyperfine.log"
		[ -z "$round_cleanup" ] || $round_cleanup "$r"
	done
	[ ! -t 2 ] || log ""
	# Put the rounds' own command lines back to the templates, so that each command's runs group;
	# then the summary of the group (summary.json: per command its label, median, min, max, runs).
	python3 - "$work/json/$group" "$runs" "$n" "${labels[@]}" "${commands[@]}" <<-'PY' || die "summarizing $group failed"
	import glob, json, os, re, statistics, sys
	d, runs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	labels, templates = sys.argv[4:4 + n], sys.argv[4 + n:4 + 2 * n]
	pats = [(re.compile("^" + re.escape(t).replace(re.escape("{r}"), r"\d+") + "$"), t) for t in templates]
	times = {t: [] for t in templates}
	for path in glob.glob(os.path.join(d, "*.json")):
	    if os.path.basename(path) == "summary.json":
	        continue
	    with open(path) as f:
	        doc = json.load(f)
	    for res in doc["results"]:
	        for pat, t in pats:
	            if pat.match(res["command"]):
	                res["command"] = t
	        if os.path.basename(path).startswith("round-"):
	            times[res["command"]].extend(res["times"])
	    with open(path, "w") as f:
	        json.dump(doc, f)
	summary = []
	for label, t in zip(labels, templates):
	    ts = times[t]
	    if len(ts) != runs:
	        sys.exit(f"bench.sh: {label}: {len(ts)} runs measured, want {runs}")
	    summary.append({"label": label, "command": t, "median": statistics.median(ts),
	                    "min": min(ts), "max": max(ts), "runs": len(ts)})
	with open(os.path.join(d, "summary.json"), "w") as f:
	    json.dump(summary, f, indent=1)
	PY
}

# report NN-GROUP TITLE RATIO-NOTE [TEXT]: the group's table from its summary, aligned on stderr
# ($work/table.txt) and as a Markdown section ($work/md/NN-GROUP.md), with TEXT below the table.
report() {
python3 - "$work/json/${1#*-}/summary.json" "$2" "$3" "${4:-}" \
	>"$work/md/$1.md" 2>>"$work/table.txt" <<-'PY' || { cat "$work/table.txt" >&2; die "computing the table failed"; }
import json, sys

path, title, ratio_of, text = sys.argv[1:5]
with open(path) as f:
    summary = json.load(f)
base = summary[0]["median"]
rows = [[s["label"], f"{s['median'] * 1e3:.1f}", f"{s['min'] * 1e3:.1f}", f"{s['max'] * 1e3:.1f}",
         str(s["runs"]), f"{s['median'] / base:.2f}x"] for s in summary]
head = ["command", "median ms", "min ms", "max ms", "runs", "ratio to " + ratio_of]
right = [False, True, True, True, True, True]

# Aligned text on stderr.
width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
def line(cells):
    return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, width, right)).rstrip()
out = ["", title.replace("`", ""), "", line(head), line(["-" * w for w in width])]
out += [line(r) for r in rows]
out += [f"  {s['label']}: {s['command']}" for s in summary]
print("\n".join(out), file=sys.stderr)

# Markdown on stdout.
md = ["## " + title, ""]
md.append("| " + " | ".join(head) + " |")
md.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
md += ["| " + " | ".join([f"`{r[0]}`"] + r[1:]) + " |" for r in rows]
md += ["", f"The ratio is each median over the median of `{summary[0]['label']}`."]
if text:
    md += ["", text]
md.append("")
print("\n".join(md))
PY
}

# --- 1. Start latency: run --rm against the unshare floor, --net none and runc.
bench_reset
bench_add "unshare --fork --pid --mount --uts --ipc --net true" \
	"unshare --fork --pid --mount --uts --ipc --net true"
bench_add "minilink run --rm busybox true" "$ml run --rm busybox true"
bench_add "minilink run --rm --net none busybox true" "$ml run --rm --net none busybox true"

runc_note=""
if [ "$BENCH_RUNC" = 0 ]; then
	runc_note="runc: skipped (BENCH_RUNC=0)."
elif ! command -v runc >/dev/null; then
	runc_note="runc: skipped (the Debian package runc is not installed and could not be)."
else
	# The same root filesystem as the busybox image: the static busybox and its applets as
	# symlinks to /bin/busybox (installed from inside the rootfs so that they point there).
	mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
	chmod 0755 "$bundle/rootfs"
	install -m 0755 "$(readlink -f "$(command -v busybox)")" "$bundle/rootfs/bin/busybox"
	chroot "$bundle/rootfs" /bin/busybox --install -s /bin
	(cd "$bundle" && runc spec)
	# No terminal, `true`, an absolute rootfs, a cgroup path the leak audit recognises. runc
	# spec's own namespaces include a network namespace with nothing in it: no network.
	python3 - "$bundle/config.json" "$bundle/rootfs" "$runc_id" <<-'PY'
	import json, sys
	path, rootfs, cid = sys.argv[1:]
	with open(path) as f:
	    spec = json.load(f)
	spec["process"]["terminal"] = False
	spec["process"]["args"] = ["true"]
	spec["root"]["path"] = rootfs
	spec["linux"]["cgroupsPath"] = "/" + cid
	with open(path, "w") as f:
	    json.dump(spec, f, indent=2)
	PY
	bench_add "runc run --bundle busybox-bundle ID" \
		"runc --root $runc_state run --bundle $bundle $runc_id"
	runc_note="runc bundle: the busybox image's root filesystem (static busybox, applets as symlinks), runc spec's defaults with terminal false and args [true]: an empty network namespace, no network, no seccomp filter."
	if [ -s "$state/seccomp.json" ]; then
		# The same bundle confined as minilink confines every container: Docker's default seccomp
		# profile (made by scripts/seccomp-profile) and no_new_privs.
		cp -a "$bundle" "$bundle-seccomp"
		rm -rf "$bundle-seccomp/rootfs" && ln -s "$bundle/rootfs" "$bundle-seccomp/rootfs"
		python3 - "$bundle-seccomp/config.json" "$bundle/rootfs" "$state/seccomp.json" <<-'PY'
		import json, sys
		path, rootfs, profile = sys.argv[1:]
		with open(path) as f:
		    spec = json.load(f)
		spec["root"]["path"] = rootfs
		spec["process"]["noNewPrivileges"] = True
		with open(profile) as f:
		    spec["linux"]["seccomp"] = json.load(f)
		with open(path, "w") as f:
		    json.dump(spec, f, indent=2)
		PY
		bench_add "runc run + seccomp: the same bundle with minilink's seccomp filter" \
			"runc --root $runc_state run --bundle $bundle-seccomp $runc_id"
		runc_note="$runc_note The second runc bundle adds what minilink gives every container: Docker's default seccomp profile (libseccomp compiles it in runc's init, as in minilink's) and no_new_privs."
	fi
fi

measure run "$BENCH_RUNS" "$BENCH_WARMUP"
left=$("$ml" ps -aq)
[ -z "$left" ] || log "odd: containers left after run --rm: $left"
report 10-run "Start latency: \`minilink run --rm busybox true\`" "floor" \
	"The floor is creating the same namespaces with unshare(1) and running \`true\`: no image, no overlay, no network, no cgroup. \`minilink run --rm busybox true\` includes the bridge network (veth, address, rules check) and the teardown. $runc_note"

# --- 2. The cost of a link: run -d with one --link against run -d without, under icc=false, with a
# redis child running. Each round's two containers are removed after the round, untimed.
phase "the cost of one link on run -d"
"$ml" network set --icc=false >/dev/null
"$ml" run -d --name datastore redis >/dev/null
bench_reset
bench_add "minilink run -d busybox sleep 1000" "$ml run -d --name plain-{r} busybox sleep 1000"
bench_add "minilink run -d --link datastore:redis busybox sleep 1000" "$ml run -d --name linked-{r} --link datastore:redis busybox sleep 1000"
remove_link_round() { "$ml" rm -f "plain-$1" "linked-$1" >/dev/null; }
round_cleanup=remove_link_round
measure link "$BENCH_RUNS" "$BENCH_WARMUP"
report 20-link "The cost of one link: \`run -d --link\` against \`run -d\` (icc=false)" "run -d without a link" \
	"icc=false, the child \`datastore\` (redis, exposing 6379/tcp) running; each round's two containers are removed after the round, untimed. The link adds the hosts line, the \`REDIS_*\` variables and two ACCEPT rules."

# --- 3. Exec and stop. exec: `minilink exec web true` against nsenter(1) into the same container's
# namespaces running the same `true` (the floor: no record, no cgroup join, no environment).
# stop: `stop` of a container whose process exits on SIGTERM, against `stop -t 0` of the same kind
# of container (SIGTERM and SIGKILL at once: the floor of any stop, which still waits for the exit
# to be recorded and the network released). Both stop containers are made before each round.
phase "exec and stop"
"$ml" run -d --name web busybox sleep 1000 >/dev/null
web_pid=$("$ml" inspect -f '{{.State.Pid}}' web)
[[ $web_pid =~ ^[0-9]+$ && $web_pid -gt 0 ]] || die "inspect web: no pid ($web_pid)"
bench_reset
bench_add "nsenter -t PID -a true" "nsenter -t $web_pid -a true"
bench_add "minilink exec web true" "$ml exec web true"
measure exec "$BENCH_RUNS" "$BENCH_WARMUP"
report 30-exec "Exec: \`minilink exec web true\` against nsenter" "nsenter" \
	"\`web\` is \`run -d --name web busybox sleep 1000\`; the floor enters the same container's namespaces with \`nsenter -t PID -a true\` (PID from \`inspect -f '{{.State.Pid}}' web\`): no record lookup, no cgroup join, no computed environment, no capabilities or seccomp set-up."
"$ml" rm -f web >/dev/null

term_script='trap "exit 0" TERM; sleep 1000 & wait'
bench_reset
bench_add "minilink stop -t 0 NAME (SIGKILL at once)" "$ml stop -t 0 kill-{r}"
bench_add "minilink stop NAME (exits on SIGTERM)" "$ml stop term-{r}"
prepare_stop_round() {
	"$ml" run -d --name "kill-$1" busybox sh -c "$term_script" >/dev/null
	"$ml" run -d --name "term-$1" busybox sh -c "$term_script" >/dev/null
	sleep 0.2 # let sh install its trap
}
remove_stop_round() {
	local code
	code=$("$ml" inspect -f '{{.State.ExitCode}}' "term-$1")
	[ "$code" = 0 ] || die "stop term-$1: exit code $code, want 0 (the TERM trap's exit 0)"
	"$ml" rm -f "kill-$1" "term-$1" >/dev/null
}
round_prepare=prepare_stop_round
round_cleanup=remove_stop_round
measure stop "$BENCH_RUNS" "$BENCH_WARMUP"
report 31-stop "Stop: a container that exits on SIGTERM" "stop -t 0" \
	"Both containers run \`busybox sh -c '$term_script'\` (PID 1 ignores signals it has no handler for, so the trap is needed), made before each round, untimed. \`stop -t 0\` sends SIGTERM and SIGKILL at once: the floor of a stop, which still waits until the monitor has recorded the exit and released the network. \`stop\` sends SIGTERM and must return as soon as the container exits (exit code 0, checked), far from the 10 s timeout after which it would send SIGKILL."

# --- 4. Memory. The monitor of an idle detached container (`minilink --root ROOT monitor ID`), read
# from /proc after it idled a second, over BENCH_MEM containers; the peak RSS of `minilink run --rm
# busybox true`, over BENCH_MEM runs, from getrusage(RUSAGE_CHILDREN) of a python parent.
phase "memory: the idle monitor of $BENCH_MEM detached container(s), the peak RSS of run --rm"
: >"$work/mem-monitor.tsv"
for ((i = 0; i < BENCH_MEM; i++)); do
	"$ml" run -d --name "mem-$i" busybox sleep 1000 >/dev/null
done
sleep 1
for ((i = 0; i < BENCH_MEM; i++)); do
	id=$("$ml" inspect -f '{{.Id}}' "mem-$i")
	pid=$(pgrep -f -- " monitor $id\$" || true)
	[[ $pid =~ ^[0-9]+$ ]] || die "mem-$i: want one monitor process (minilink --root ROOT monitor $id), found: ${pid:-none}"
	python3 - "$pid" >>"$work/mem-monitor.tsv" <<-'PY'
	import sys
	pid = sys.argv[1]
	v = {}
	with open(f"/proc/{pid}/status") as f:
	    for line in f:
	        if line.startswith("VmRSS:"):
	            v["rss"] = int(line.split()[1])
	with open(f"/proc/{pid}/smaps_rollup") as f:
	    for line in f:
	        k, _, rest = line.partition(":")
	        if k in ("Pss", "Private_Clean", "Private_Dirty"):
	            v[k] = int(rest.split()[0])
	print(v["rss"], v["Pss"], v["Private_Clean"] + v["Private_Dirty"], sep="\t")
	PY
done
for ((i = 0; i < BENCH_MEM; i++)); do "$ml" rm -f "mem-$i" >/dev/null; done
: >"$work/mem-run.txt"
for ((i = 0; i < BENCH_MEM; i++)); do
	python3 - "$ml" run --rm busybox true >>"$work/mem-run.txt" <<-'PY'
	import resource, subprocess, sys
	subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
	print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
	PY
done
python3 - "$work/mem-monitor.tsv" "$work/mem-run.txt" "$work/mem.json" >"$work/md/40-mem.md" 2>>"$work/table.txt" <<-'PY' || die "computing the memory table failed"
import json, statistics, sys
mon_path, run_path, out_path = sys.argv[1:4]
mon = [list(map(int, l.split())) for l in open(mon_path) if l.strip()]
run = [int(l) for l in open(run_path) if l.strip()]
rss = [m[0] for m in mon]; pss = [m[1] for m in mon]; priv = [m[2] for m in mon]
mib = lambda k: f"{k / 1024:.1f} MiB"
res = {"monitor_rss_kib": statistics.mean(rss), "monitor_rss_max_kib": max(rss),
       "monitor_pss_kib": statistics.mean(pss), "monitor_private_kib": statistics.mean(priv),
       "run_peak_kib": statistics.median(run), "run_peak_max_kib": max(run), "n": len(mon), "runs": len(run)}
json.dump(res, open(out_path, "w"), indent=1)
rows = [
    ["monitor of an idle `run -d` container: RSS (VmRSS)", f"{res['monitor_rss_kib']:.0f}", mib(res['monitor_rss_kib']), f"mean of {len(mon)}, max {max(rss)} KiB"],
    ["monitor: PSS (smaps_rollup Pss)", f"{res['monitor_pss_kib']:.0f}", mib(res['monitor_pss_kib']), f"mean of {len(mon)}"],
    ["monitor: private (Private_Clean + Private_Dirty)", f"{res['monitor_private_kib']:.0f}", mib(res['monitor_private_kib']), f"mean of {len(mon)}"],
    ["`minilink run --rm busybox true`: peak RSS", f"{res['run_peak_kib']:.0f}", mib(res['run_peak_kib']), f"median of {len(run)}, max {max(run)} KiB"],
]
md = ["## Memory", "", "| what | KiB | MiB | over |", "|---|---:|---:|---|"]
md += ["| " + " | ".join(r) + " |" for r in rows]
md += ["", f"The monitor is the process `minilink --root ROOT monitor ID` that waits for a detached container (`run -d busybox sleep 1000`); once the container runs it has exec'd itself into the waiter, the C loop of package `runtime/waiter` that runs before Go's runtime starts. It is read from `/proc/PID/status` and `/proc/PID/smaps_rollup` after the container idled one second, {len(mon)} containers running at once. RSS counts the pages of the minilink binary it shares with every other monitor; PSS divides shared pages among their users; private is what each further monitor adds. The peak RSS of `run --rm` is `ru_maxrss` of getrusage(RUSAGE_CHILDREN) in a python parent: the largest process of the run (minilink itself or the libcontainer init it forks from the same binary).", ""]
print("\n".join(md))
print("\nMemory\n" + "\n".join(f"  {r[0].replace('`', '')}: {r[1]} KiB ({r[2]}), {r[3]}" for r in rows), file=sys.stderr)
PY

# --- 5. Scale: under icc=false, 1 … 300 running parents linked to the same child (datastore, redis,
# exposing 6379/tcp). At each level: `run -d --link` (removed after its round), `ps -a`, `inspect`
# of one container and `rm -f` of one linked container (made before its round), all untimed
# set-up; and the iptables rules checked exactly: the base rules once each, one pair per running
# parent in filter MINILINK, nothing in nat MINILINK.
#
# The levels are built one after the other, minutes apart, and the machine's load drifts in
# between. So the first level is also kept apart for the whole group, as a reference: a second
# network and mount namespace with its own state root (the images copied), holding datastore and
# parent-1. Every round of every level runs each command at the level and in the reference, side by
# side, and a level's ratio is its median over the reference's from the same rounds. Both sides go
# through nsenter(1) into their namespaces and name their root with --root, so that they pay the
# same few milliseconds of overhead.
phase "scale: ${BENCH_SCALE// /, } running parents linked to one child (icc=false)"
scale_first=${BENCH_SCALE%% *}
ref_root=$state/ref-root
mkdir -p "$ref_root"
cp -a "$MINILINK_ROOT/images" "$MINILINK_ROOT/layers" "$ref_root/"
# remove_reference: the reference's containers, then its namespace's last process.
remove_reference() {
	local ids
	[ -n "${ref_pid:-}" ] || return 0
	ids=$("${in_ref[@]}" ps -aq 2>/dev/null || true)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || "${in_ref[@]}" rm -f $ids >/dev/null || true
	kill "$ref_pid" 2>/dev/null || true
	wait "$ref_pid" 2>/dev/null || true
	ref_pid=
}
# Named network namespaces are files below /run/netns: the reference keeps its own.
unshare --net --mount -- sh -c 'mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns && ip link set lo up && exec sleep infinity' &
ref_pid=$!
in_ref=(nsenter -t "$ref_pid" -n -m -- "$ml" --root "$ref_root")
for ((i = 0; i < 100; i++)); do
	[ "$(cat "/proc/$ref_pid/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
[ "$(cat "/proc/$ref_pid/comm" 2>/dev/null)" = sleep ] || die "scale: the reference namespace did not come up"
main_pid=$BASHPID
at_level=(nsenter -t "$main_pid" -n -m -- "$ml" --root "$MINILINK_ROOT")
"${in_ref[@]}" network set --icc=false >/dev/null
"${in_ref[@]}" run -d --name datastore redis >/dev/null || die "scale: the reference's datastore did not start"
for ((i = 1; i <= scale_first; i++)); do
	"${in_ref[@]}" run -d --name "parent-$i" --link datastore:redis busybox sleep 1000 >/dev/null ||
		die "scale: the reference's parent-$i did not start"
done

# check_rules N: the rules are the spec's (§5) for N running parents linked to datastore, else die.
check_rules() {
	local n=$1 br subnet child_ip want got names
	read -r br subnet < <(python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s["bridge"], s["subnet"])' "$MINILINK_ROOT/network.json")
	child_ip=$("$ml" inspect -f '{{.NetworkSettings.IPAddress}}' datastore)
	want="-A FORWARD -o $br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o $br -j MINILINK
-A FORWARD -i $br ! -o $br -j ACCEPT
-A FORWARD -i $br -o $br -j DROP"
	got=$(iptables -S FORWARD | grep '^-A' || true)
	[ "$got" = "$want" ] || die "scale $n: filter FORWARD is not the four base rules (icc=false) in order:
$got
want:
$want"
	want="-A PREROUTING -m addrtype --dst-type LOCAL -j MINILINK
-A OUTPUT -m addrtype --dst-type LOCAL -j MINILINK
-A POSTROUTING -s $subnet ! -o $br -j MASQUERADE
-A POSTROUTING -o $br -m addrtype --src-type LOCAL -j MASQUERADE
-A POSTROUTING -s $subnet -o $br -m conntrack --ctstate DNAT -j MASQUERADE"
	got=$(iptables -t nat -S | grep '^-A' || true)
	[ "$got" = "$want" ] || die "scale $n: the nat table is not the five base rules with an empty MINILINK chain:
$got
want:
$want"
	names=()
	for ((i = 1; i <= n; i++)); do names+=("parent-$i"); done
	want=$([ "$n" = 0 ] || "$ml" inspect -f '{{.NetworkSettings.IPAddress}}' "${names[@]}" | while read -r ip; do
		echo "-A MINILINK -s $ip/32 -d $child_ip/32 -i $br -o $br -p tcp -m tcp --dport 6379 -j ACCEPT"
		echo "-A MINILINK -s $child_ip/32 -d $ip/32 -i $br -o $br -p tcp -m tcp --sport 6379 -j ACCEPT"
	done | sort)
	got=$(iptables -S MINILINK | grep '^-A' | sort || true)
	if [ "$got" != "$want" ]; then
		log "scale $n: filter MINILINK has $(echo "$got" | grep -c . || true) rules, want $((2 * n)) (2 × 1 port × $n links); the differences (< unwanted, > missing):"
		diff <(echo "$got") <(echo "$want") | grep '^[<>]' | head -20 >&2 || true
		die "scale $n: the link rules are not the spec's"
	fi
	echo "$((2 * n)) $(iptables -S | grep -c '^-A') $(iptables -t nat -S | grep -c '^-A')"
}

prepare_scale_round() {
	"$ml" run -d --name "rmme-$scale_level-$1" --link datastore:redis busybox sleep 1000 >/dev/null
	"${in_ref[@]}" run -d --name "rmme-$scale_level-$1" --link datastore:redis busybox sleep 1000 >/dev/null
}
remove_scale_round() {
	"$ml" rm -f "scale-$scale_level-$1" >/dev/null
	"${in_ref[@]}" rm -f "scale-$scale_level-$1" >/dev/null
}
"$ml" network set --icc=false >/dev/null
"$ml" inspect -f '{{.State.Running}}' datastore | grep -qx true || die "datastore is not running"
levels=()
running=0
: >"$work/scale-levels.tsv"
for level in $BENCH_SCALE; do
	if [ "$running" -lt "$level" ]; then
		phase "scale: starting parents $((running + 1))…$level (untimed)"
		t0=$(date +%s.%N)
	fi
	while [ "$running" -lt "$level" ]; do
		running=$((running + 1))
		if ! err=$("$ml" run -d --name "parent-$running" --link datastore:redis busybox sleep 1000 2>&1 >/dev/null); then
			die "scale: run -d --name parent-$running --link datastore:redis busybox sleep 1000 failed with $((running - 1)) parents running: $err"
		fi
		if [ $((running % 25)) = 0 ] || [ "$running" = "$level" ]; then
			log "  $running running ($(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.0f}")' "$t0" "$(date +%s.%N)") s)"
		fi
	done
	rules=$(check_rules "$level")
	read -r nrules nfilter nnat <<<"$rules"
	log "scale $level: rules as the spec says: $nrules link rules in filter MINILINK ($nfilter filter, $nnat nat -A rules in all)"
	bench_reset
	for side in level reference; do
		if [ $side = level ]; then prefix=${at_level[*]} label=; else prefix=${in_ref[*]} label="reference: "; fi
		bench_add "${label}run -d --link datastore:redis" "$prefix run -d --name scale-$level-{r} --link datastore:redis busybox sleep 1000"
		bench_add "${label}ps -a" "$prefix ps -a"
		bench_add "${label}inspect parent-1" "$prefix inspect parent-1"
		bench_add "${label}rm -f" "$prefix rm -f rmme-$level-{r}"
	done
	scale_level=$level
	round_prepare=prepare_scale_round
	round_cleanup=remove_scale_round
	measure "scale-$level" "$BENCH_SCALE_RUNS" "$BENCH_SCALE_WARMUP"
	# Nothing the rounds made may leave a rule behind.
	rules=$(check_rules "$level")
	read -r nrules nfilter nnat <<<"$rules"
	printf '%s\t%s\t%s\t%s\n' "$level" "$nrules" "$nfilter" "$nnat" >>"$work/scale-levels.tsv"
	levels+=("$level")
done
phase "scale: removing the $running parents (untimed)"
names=()
for ((i = 1; i <= running; i++)); do names+=("parent-$i"); done
"$ml" rm -f "${names[@]}" >/dev/null
check_rules 0 >/dev/null
"$ml" rm -f datastore >/dev/null
remove_reference

python3 - "$work/json" "$work/scale-levels.tsv" "$BENCH_SCALE_RUNS" "$BENCH_SCALE_WARMUP" >"$work/md/50-scale.md" 2>>"$work/table.txt" <<-'PY' || die "computing the scale table failed"
import json, os, sys
jsondir, levels_path, runs, warmup = sys.argv[1:5]
levels = [l.split() for l in open(levels_path) if l.strip()]
summ = {int(l[0]): json.load(open(os.path.join(jsondir, f"scale-{l[0]}", "summary.json"))) for l in levels}
first = int(levels[0][0])
ref = "reference: "
labels = [s["label"] for s in summ[first] if not s["label"].startswith(ref)]
head = ["running linked parents", "link rules (filter MINILINK)", "all -A rules (filter / nat)"]
for lab in labels:
    head += [f"`{lab}` median ms", f"reference ({first}) ms", "ratio"]
rows = []
for l in levels:
    n = int(l[0])
    by = {s["label"]: s for s in summ[n]}
    row = [str(n), l[1], f"{l[2]} / {l[3]}"]
    for lab in labels:
        s, r = by[lab], by[ref + lab]
        row += [f"{s['median'] * 1e3:.1f}", f"{r['median'] * 1e3:.1f}", f"{s['median'] / r['median']:.2f}x"]
    rows.append(row)
md = ["## Scale: parents linked to one child (icc=false)", ""]
md.append("| " + " | ".join(head) + " |")
md.append("|" + "|".join("---:" for _ in head) + "|")
md += ["| " + " | ".join(r) + " |" for r in rows]
md += ["", f"At each level that many `run -d --link datastore:redis busybox sleep 1000` parents run, linked to `datastore` (redis, exposing 6379/tcp), made untimed. Then {warmup} warm-up + {runs} measured rounds, alternating: `run -d --name scale-N-R --link datastore:redis busybox sleep 1000` (removed after its round, untimed), `ps -a`, `inspect parent-1`, and `rm -f` of a linked container started before its round, untimed. The reference is the first level ({first} parent(s)) kept for the whole group in a second network and mount namespace with its own state root: every round runs each command there too, in the same hyperfine invocation, the order rotating; each ratio is the level's median over the reference's median from the same rounds, so that the load's drift between levels cancels. Both sides run as `nsenter -t PID -n -m -- minilink --root ROOT …`, the same few milliseconds added to each; at the first level the ratio shows the method's noise. Before and after the rounds of each level the rules are checked exactly against the spec (§5): filter FORWARD is the four base rules in order, the nat table the five base rules with an empty MINILINK chain, and filter MINILINK holds exactly the pair (`--dport 6379` and its `--sport` mirror) of each running parent: 2 × 1 port × N; the run stops otherwise.", ""]
print("\n".join(md))
width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
print("\nScale (medians in ms, ratio to the reference measured alongside)\n" + "\n".join(
    "  ".join(c.replace("`", "").rjust(w) for c, w in zip(r, width)) for r in [head] + rows), file=sys.stderr)
PY

# --- 6. Image size: starting a container from a large image against a small one. The large image is
# busybox plus 256 MiB of data in one layer; the overlay mount makes the start cost the same.
phase "the cost of a large image on run"
big=$work/big-rootfs
install -D -m 0755 "$(readlink -f "$(command -v busybox)")" "$big/bin/busybox"
ln -s busybox "$big/bin/true"
head -c 256M /dev/zero >"$big/data.bin"
tar -C "$big" -c . | "$ml" import -c 'CMD ["/bin/true"]' - bigimage >/dev/null
rm -rf "$big"
big_size=$("$ml" images --format '{{.Size}}' bigimage)
small_size=$("$ml" images --format '{{.Size}}' busybox)
bench_reset
bench_add "minilink run --rm busybox true ($small_size)" "$ml run --rm busybox true"
bench_add "minilink run --rm bigimage true ($big_size)" "$ml run --rm bigimage /bin/true"
measure size "$BENCH_RUNS" "$BENCH_WARMUP"
report 60-size "Image size: \`run --rm\` from a large image against a small one" "the small image" \
	"The large image is the static busybox plus 256 MiB of zeros in one layer: the overlay mount makes the start cost the same."

# --- 7. The Go benchmarks, run outside before the namespace (gobench.txt).
if [ -s "$state/gobench.txt" ]; then
	python3 - "$state/gobench.txt" >"$work/md/70-go.md" <<-'PY' || die "computing the Go benchmark table failed"
	import re, sys
	pkg, rows, cpu = "", [], ""
	for line in open(sys.argv[1]):
	    line = line.rstrip("\n")
	    if line.startswith("pkg: "):
	        pkg = line[5:].rsplit("/", 1)[-1]
	    elif line.startswith("cpu: "):
	        cpu = line[5:].strip()
	    elif line.startswith("Benchmark"):
	        f = line.split()
	        name = re.sub(r"-\d+$", "", f[0])[len("Benchmark"):]
	        vals = {f[i + 1]: f[i] for i in range(2, len(f) - 1, 2)}
	        rows.append([pkg, f"`{name}`", vals.get("ns/op", "?"), vals.get("B/op", "?"), vals.get("allocs/op", "?")])
	md = ["## Go benchmarks of the pure planning code", "",
	      "| package | benchmark | ns/op | B/op | allocs/op |", "|---|---|---:|---:|---:|"]
	md += ["| " + " | ".join(r) + " |" for r in rows]
	md += ["", f"`go test -run '^$' -bench . -benchmem ./linker ./bridge` (testing.B, default benchtime; cpu: {cpu}), outside the namespace, no root needed: `linker/linker_bench_test.go` (a link's variables, the hosts line rewrite in a 300-line hosts file, rule specs) and `bridge/bridge_bench_test.go` (`-p` parsing, port and base rule specs, IP and port allocation).", ""]
	print("\n".join(md))
	PY
fi

# --- The document: the header, the targets, then each group's section.
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
header=(
	"date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	"machine: $(nproc) CPUs, ${cpu_model:-unknown model}, $(awk '/^MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
	"kernel: $(uname -r); load average (1, 5, 15 min) $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end: other work on the machine makes the figures noisier and slower, the ratios less so"
	"minilink: version $("$ml" --version 2>/dev/null | awk '{print $NF}'), $("$ml" version 2>/dev/null | awk '/Go version/ {print $3}'), libcontainer $("$ml" version 2>/dev/null | awk '/libcontainer/ {print $2}'); binary \`$ml\` ($BENCH_BINARY); the repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':(exclude)BENCHMARKS.md' 2>/dev/null || echo ' (modified tree)')"
	"tools: $(hyperfine --version)$(command -v runc >/dev/null && echo ", runc $(runc --version | awk 'NR==1 {print $3}')"), $(iptables --version)"
	"command: \`$BENCH_CMDLINE\`"
	"method: each comparison runs its commands in the same invocation, alternating: one \`hyperfine -N --runs 1\` per round, the order rotating, ${BENCH_WARMUP} warm-up round(s) thrown away then ${BENCH_RUNS} measured (scale group: ${BENCH_SCALE_WARMUP} + ${BENCH_SCALE_RUNS}); medians of hyperfine's per-run times; everything inside \`unshare --net --mount\` with a fresh state root; minilink's and runc's binaries dropped from the page cache first, so that both start as after a reboot"
)
python3 - "$work/json" "$work/mem.json" "$work/scale-levels.tsv" "${header[@]}" >"$work/targets.md" 2>>"$work/table.txt" <<-'PY' || die "computing the targets failed"
import json, os, sys
jsondir, mem_path, levels_path = sys.argv[1:4]
header = sys.argv[4:]
def summ(group):
    return {s["label"]: s for s in json.load(open(os.path.join(jsondir, group, "summary.json")))}
def med(group, prefix):
    for label, s in summ(group).items():
        if label.startswith(prefix):
            return s
    return None
rows = []
def target(what, measured, met):
    rows.append([what, measured, "met" if met else "**NOT met**"])

ml = med("run", "minilink run --rm busybox true")
runc = med("run", "runc run --bundle")
runc_sc = med("run", "runc run + seccomp")
if runc:
    r = ml["median"] / runc["median"]
    target("start: `minilink run --rm busybox true` median ≤ 1.5 × `runc run`'s (with networking)",
           f"{ml['median'] * 1e3:.1f} ms / {runc['median'] * 1e3:.1f} ms = {r:.2f}x", r <= 1.5)
if runc_sc:
    r = ml["median"] / runc_sc["median"]
    target("start, like for like: the same against `runc run` given minilink's seccomp filter and no_new_privs",
           f"{ml['median'] * 1e3:.1f} ms / {runc_sc['median'] * 1e3:.1f} ms = {r:.2f}x", r <= 1.5)
else:
    rows.append(["start: `minilink run --rm busybox true` median ≤ 1.5 × `runc run`'s", f"{ml['median'] * 1e3:.1f} ms; runc not measured", "not measured"])
plain, linked = med("link", "minilink run -d busybox"), med("link", "minilink run -d --link")
r = linked["median"] / plain["median"]
target("link: `run -d --link datastore:redis` median ≤ 1.2 × `run -d`'s (icc=false)",
       f"{linked['median'] * 1e3:.1f} ms / {plain['median'] * 1e3:.1f} ms = {r:.2f}x", r <= 1.2)

levels = [l.split() for l in open(levels_path) if l.strip()]
lo, hi = levels[0][0], levels[-1][0]
b = summ(f"scale-{hi}")
for label in b:
    if label.startswith("reference: "):
        continue
    a = b["reference: " + label]
    r = b[label]["median"] / a["median"]
    target(f"scale: `{label}` median at {hi} parents ≤ 1.3 × at {lo} (measured side by side)",
           f"{b[label]['median'] * 1e3:.1f} ms / {a['median'] * 1e3:.1f} ms = {r:.2f}x", r <= 1.3)
target("scale: rules exactly the spec's at every level (base rules once, 2 per exposed port per link)",
       ", ".join(f"{l[1]} link rules at {l[0]}" for l in levels), True)

mem = json.load(open(mem_path))
target("memory: RSS of an idle detached container's monitor ≤ 8 MiB",
       f"{mem['monitor_rss_kib'] / 1024:.1f} MiB (PSS {mem['monitor_pss_kib'] / 1024:.1f}, private {mem['monitor_private_kib'] / 1024:.1f})",
       mem["monitor_rss_kib"] <= 8 * 1024)
rows.append(["memory: peak RSS of `minilink run --rm busybox true`", f"{mem['run_peak_kib'] / 1024:.1f} MiB", "no target"])

ns, ex = med("exec", "nsenter"), med("exec", "minilink exec")
rows.append(["exec: `exec web true` median (against `nsenter -a true`)",
             f"{ex['median'] * 1e3:.1f} ms / {ns['median'] * 1e3:.1f} ms = {ex['median'] / ns['median']:.2f}x", "no target"])
st, kill = med("stop", "minilink stop NAME"), med("stop", "minilink stop -t 0")
target("stop: a container that exits on SIGTERM stops without waiting for the 10 s timeout (slowest run < 1 s)",
       f"median {st['median'] * 1e3:.1f} ms, max {st['max'] * 1e3:.1f} ms ({st['median'] / kill['median']:.2f}x `stop -t 0`)",
       st["max"] < 1.0)

md = ["# minilink benchmarks", "",
      "Written by `make bench` (`scripts/bench.sh`); the figures change as minilink does. Issue 7's measurements.", ""]
md += [f"- {h}" for h in header] + [""]
md += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
md += ["| " + " | ".join(r) + " |" for r in rows]
md.append("")
print("\n".join(md))
print("\nTargets\n" + "\n".join(f"  {r[2].replace('*', ''):11} {r[0].replace('`', '')}: {r[1].replace('`', '')}" for r in rows), file=sys.stderr)
PY

log ""
cat "$work/table.txt" >&2
log ""
cat "$work/targets.md" "$work/md"/*.md
