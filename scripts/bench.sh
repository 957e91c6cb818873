#!/usr/bin/env bash
# minilink's benchmark (not a test): how long a whole `minilink run --rm busybox true` takes
# (overlay mount, bridge veth, libcontainer start, teardown) against the floor of creating the
# same namespaces with unshare(1), and, for scale, without the network and under runc; the cost
# of one --link on run -d; and a start from a 270 MB image against the 2 MB busybox.
#
#   sudo scripts/bench.sh                 (or sudo make bench)
#   sudo BENCH_RUNS=50 BENCH_WARMUP=5 scripts/bench.sh > table.md
#
# Environment:
#   BENCH_RUNS    measured runs per command (default 30)
#   BENCH_WARMUP  warm-up runs per command, not counted (default 3)
#   BENCH_RUNC    0 skips the runc comparison; otherwise runc is installed with apt-get if missing
#                 and skipped with a message when that fails
#   MINILINK      the minilink binary (default ./minilink at the repo root, built if missing)
#
# Every run is timed with hyperfine (Debian package hyperfine, installed if missing). The commands
# alternate: each round is one hyperfine invocation that runs every command once, in an order that
# rotates from round to round, so that a drift of the machine (caches, frequency, other load)
# spreads over all of them alike; the first BENCH_WARMUP rounds are thrown away. Medians, minimums
# and maximums come from hyperfine's per-run times (--export-json).
#
# Everything that touches the kernel runs inside a private network and mount namespace (the script
# re-executes itself under unshare, as scripts/test.sh does), with a temporary state root
# (MINILINK_ROOT) holding images built by scripts/images.sh: the bridge, the veths, the iptables
# rules and the overlay mounts die with the namespace and never reach the host's.
#
# Output: progress, the header and an aligned table on stderr; the same header and table as
# Markdown on stdout, at the end, so that `scripts/bench.sh > FILE.md` keeps just the Markdown.
#
# To compare one more command, add a bench_add line in the "The commands" section below: the first
# command added is the floor every ratio is taken against.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
export LC_ALL=C

BENCH_RUNS=${BENCH_RUNS:-30}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_RUNC=${BENCH_RUNC:-1}
runc_id=minilink-bench-runc

die() { echo "bench.sh: $*" >&2; exit 1; }
log() { echo "$@" >&2; }

[[ $BENCH_RUNS =~ ^[0-9]+$ && $BENCH_RUNS -ge 1 ]] || die "BENCH_RUNS=$BENCH_RUNS: want a whole number ≥ 1"
[[ $BENCH_WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP=$BENCH_WARMUP: want a whole number ≥ 0"

if [ "${1:-}" != "--inside" ]; then
	# --- Outside: in the host's namespaces. Check and install the tools, build minilink, then
	# run the benchmark itself in a private network and mount namespace.
	[ "$(id -u)" = 0 ] || die "needs root: it creates namespaces, a bridge, veths, rules and mounts (sudo scripts/bench.sh)"
	# The command line as typed, with the settings that change the results.
	cmdline="BENCH_RUNS=$BENCH_RUNS BENCH_WARMUP=$BENCH_WARMUP scripts/bench.sh${*:+ $*}"

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
	for tool in unshare:util-linux ip:iproute2 iptables:iptables python3:python3 busybox:busybox-static redis-server:redis-server; do
		command -v "${tool%%:*}" >/dev/null ||
			die "missing ${tool%%:*}: install the Debian package ${tool#*:} (apt-get install ${tool#*:})"
	done
	if [ "$BENCH_RUNC" != 0 ] && ! command -v runc >/dev/null; then
		apt_install runc || log "runc could not be installed: the runc comparison is skipped"
	fi

	# The private namespace has no network: compile here.
	if [ -z "${MINILINK:-}" ]; then
		if [ ! -x ./minilink ]; then
			log "building ./minilink"
			go build -o minilink ./cmd/minilink
		fi
		MINILINK=$PWD/minilink
	fi
	[ -x "$MINILINK" ] || die "MINILINK=$MINILINK is not an executable"
	MINILINK=$(readlink -f "$MINILINK")
	export MINILINK BENCH_RUNS BENCH_WARMUP BENCH_RUNC BENCH_CMDLINE=$cmdline

	# What lives outside the private namespaces (cgroups, processes) is audited out here, and the
	# host's network is checked to be untouched. Monitors and the runc cgroup are surely ours;
	# a new minilink cgroup may be another minilink's running meanwhile (make test), so it only
	# warns.
	state=$(mktemp -d /tmp/minilink-bench.XXXXXX)
	snapshot() { {
		find /sys/fs/cgroup -maxdepth 4 -type d -name "$runc_id" 2>/dev/null
		pgrep -f -- "--root $state/root monitor" | sed 's/^/monitor pid /' || true
		ip -o link show | awk -F': ' '{print "link " $2}' | grep -E 'minilink|veth' || true
		{ iptables -S; iptables -t nat -S; } 2>/dev/null | grep -i minilink | sed 's/^/rule /' || true
	} | sort; }
	cgroups() { find /sys/fs/cgroup -maxdepth 4 -type d -path '*/minilink/*' 2>/dev/null | sort; }
	trap 'rm -rf --one-file-system -- "$state"' EXIT
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

ml=$MINILINK
export MINILINK_ROOT=$state/root
work=$state/work
mkdir -p "$MINILINK_ROOT" "$work/json"
: >"$work/table.md"
: >"$work/table.txt"
runc_state=$work/runc-state
bundle=$work/runc-bundle

cleanup() {
	local rc=$? ids mnt
	set +e
	ids=$("$ml" ps -aq 2>/dev/null)
	if [ -n "$ids" ]; then
		log "removing containers left behind: $ids"
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

log "building the images into $MINILINK_ROOT"
MINILINK=$ml scripts/images.sh >"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "scripts/images.sh failed"; }

# --- The commands. bench_add LABEL COMMAND: COMMAND is run by hyperfine without a shell (-N),
# split into words the way a shell would; LABEL names it in the tables. The first is the floor.
labels=()
commands=()
bench_add() { labels+=("$1"); commands+=("$2"); }

bench_add "unshare --fork --pid --mount --uts --ipc --net true" \
	"unshare --fork --pid --mount --uts --ipc --net true"
bench_add "minilink run --rm busybox true" "$ml run --rm busybox true"
bench_add "minilink run --rm --net none busybox true" "$ml run --rm --net none busybox true"

runc_note=""
if [ "$BENCH_RUNC" = 0 ]; then
	runc_note="runc: skipped (BENCH_RUNC=0)"
elif ! command -v runc >/dev/null; then
	runc_note="runc: skipped (the Debian package runc is not installed and could not be)"
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
	runc_note="runc bundle: the busybox image's root filesystem (static busybox, applets as symlinks), runc spec's defaults with terminal false and args [true]: an empty network namespace, no network"
fi

# --- Measure: measure GROUP: BENCH_WARMUP + BENCH_RUNS rounds, every command of labels/commands
# once a round, the order rotating. "{r}" in a command becomes the round number (for unique
# container names); after each round, round_cleanup (if set) runs with the round number, untimed.
round_cleanup=
measure() {
	local group=$1 n=${#commands[@]} rounds=$((BENCH_WARMUP + BENCH_RUNS)) r i json
	local order
	mkdir -p "$work/json/$group"
	log "timing ${n} commands ($group): ${BENCH_WARMUP} warm-up + ${BENCH_RUNS} measured runs each, alternating"
	for ((r = 0; r < rounds; r++)); do
		if [ -t 2 ]; then
			printf '\r  round %d/%d%-10s' $((r + 1)) "$rounds" "$([ $r -lt "$BENCH_WARMUP" ] && echo ' (warm-up)')" >&2
		fi
		order=()
		for ((i = 0; i < n; i++)); do order+=("${commands[$(((i + r) % n))]//\{r\}/$r}"); done
		json=$work/json/$group/round-$r.json
		[ $r -lt "$BENCH_WARMUP" ] && json=$work/json/$group/warmup-$r.json
		if ! hyperfine -N --runs 1 --style basic --export-json "$json" -- "${order[@]}" >>"$work/hyperfine.log" 2>&1; then
			log ""
			tail -n 30 "$work/hyperfine.log" >&2
			die "hyperfine failed in round $((r + 1)) (a command exited non-zero?)"
		fi
		[ -z "$round_cleanup" ] || $round_cleanup "$r"
	done
	[ ! -t 2 ] || log ""
	# Put the rounds' own command lines back to the templates, so that each command's runs group.
	python3 - "$work/json/$group" "${commands[@]}" <<-'PY'
	import glob, json, os, re, sys
	d, templates = sys.argv[1], sys.argv[2:]
	pats = [(re.compile("^" + re.escape(t).replace(re.escape("{r}"), r"\d+") + "$"), t) for t in templates]
	for path in glob.glob(os.path.join(d, "*.json")):
	    with open(path) as f:
	        doc = json.load(f)
	    for res in doc["results"]:
	        for pat, t in pats:
	            if pat.match(res["command"]):
	                res["command"] = t
	    with open(path, "w") as f:
	        json.dump(doc, f)
	PY
}

measure run
left=$("$ml" ps -aq)
[ -z "$left" ] || log "odd: containers left after run --rm: $left"

# --- Report.
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
header=(
	"date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	"machine: $(nproc) CPUs, ${cpu_model:-unknown model}"
	"kernel: $(uname -r)"
	"minilink: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo ' (modified tree)'), $("$ml" version 2>/dev/null | awk '/Go version/ {print $3}'), libcontainer $("$ml" version 2>/dev/null | awk '/libcontainer/ {print $2}')"
	"tools: $(hyperfine --version)$(command -v runc >/dev/null && echo ", runc $(runc --version | awk 'NR==1 {print $3}')")"
	"command line: $BENCH_CMDLINE"
	"method: ${BENCH_RUNS} runs per command after ${BENCH_WARMUP} warm-up round(s), alternating (one hyperfine -N --runs 1 per round, order rotating), inside unshare --net --mount"
)
[ -z "$runc_note" ] || header+=("$runc_note")

# report GROUP TITLE RATIO-NOTE: the group's table, aligned on stderr and as Markdown on stdout.
report() {
python3 - "$work/json/$1" "$BENCH_RUNS" "$2" "$3" "${#labels[@]}" "${labels[@]}" "${commands[@]}" "${header[@]}" \
	>>"$work/table.md" 2>>"$work/table.txt" <<-'PY' || { cat "$work/table.txt" >&2; die "computing the table failed"; }
import glob, json, os, statistics, sys

jsondir, runs, title, ratio_of = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
n = int(sys.argv[5])
labels = sys.argv[6:6 + n]
commands = sys.argv[6 + n:6 + 2 * n]
header = sys.argv[6 + 2 * n:]

times = {c: [] for c in commands}
for path in glob.glob(os.path.join(jsondir, "round-*.json")):
    with open(path) as f:
        for result in json.load(f)["results"]:
            times[result["command"]].extend(result["times"])

rows = []
floor = statistics.median(times[commands[0]])
for label, command in zip(labels, commands):
    t = times[command]
    if len(t) != runs:
        sys.exit(f"bench.sh: {label}: {len(t)} runs measured, want {runs}")
    med = statistics.median(t)
    rows.append([label, f"{med * 1e3:.1f}", f"{min(t) * 1e3:.1f}", f"{max(t) * 1e3:.1f}",
                 str(len(t)), f"{med / floor:.2f}x"])

head = ["command", "median ms", "min ms", "max ms", "runs", "ratio to " + ratio_of]
right = [False, True, True, True, True, True]

# Aligned text on stderr.
width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
def line(cells):
    return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, width, right)).rstrip()
out = ["", title] + [h for h in header] + ["", line(head), line(["-" * w for w in width])]
out += [line(r) for r in rows]
out.append(f"(floor: {labels[0]}; exact commands below)")
out += [f"  {l}: {c}" for l, c in zip(labels, commands)]
print("\n".join(out), file=sys.stderr)

# Markdown on stdout.
md = ["## " + title, ""]
md += [f"- {h}" for h in header] + [""]
md.append("| " + " | ".join(head) + " |")
md.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
md += ["| " + " | ".join([f"`{r[0]}`"] + r[1:]) + " |" for r in rows]
md += ["", f"The ratio is each median over the median of `{labels[0]}`.", ""]
print("\n".join(md))
PY
}
report run "\`minilink run --rm busybox true\`" "floor"

# --- The cost of a link: run -d with one --link against run -d without, under icc=false, with a
# redis child running. Each round's two containers are removed after the round, untimed.
log "the cost of one link on run -d"
"$ml" network set --icc=false >/dev/null
"$ml" run -d --name datastore redis >/dev/null
labels=("minilink run -d busybox sleep 1000" "minilink run -d --link datastore:redis busybox sleep 1000")
commands=("$ml run -d --name plain-{r} busybox sleep 1000" "$ml run -d --name linked-{r} --link datastore:redis busybox sleep 1000")
remove_round() { "$ml" rm -f "plain-$1" "linked-$1" >/dev/null; }
round_cleanup=remove_round
measure link
"$ml" rm -f datastore >/dev/null
report link "The cost of one link: \`run -d --link\` against \`run -d\` (icc=false)" "run -d without a link"

# --- Image size: starting a container from a large image against a small one. The large image
# is busybox plus 256 MiB of data in one layer; the overlay mount makes the start cost the same.
log "the cost of a large image on run"
big=$work/big-rootfs
install -D -m 0755 "$(readlink -f "$(command -v busybox)")" "$big/bin/busybox"
ln -s busybox "$big/bin/true"
head -c 256M /dev/zero >"$big/data.bin"
tar -C "$big" -c . | "$ml" import -c 'CMD ["/bin/true"]' - bigimage >/dev/null
rm -rf "$big"
big_size=$("$ml" images --format '{{.Size}}' bigimage)
small_size=$("$ml" images --format '{{.Size}}' busybox)
labels=("minilink run --rm busybox true ($small_size)" "minilink run --rm bigimage true ($big_size)")
commands=("$ml run --rm busybox true" "$ml run --rm bigimage /bin/true")
round_cleanup=
measure size
report size "Image size: \`run --rm\` from a large image against a small one" "the small image"

log ""
cat "$work/table.txt" >&2
log ""
cat "$work/table.md"
