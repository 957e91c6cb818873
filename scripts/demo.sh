#!/usr/bin/env bash
# The minilink walkthrough: the legacy-links lesson, offline, on the built-in images. A web app
# (trainingwheels) counts its hits in redis; without a link it shows a red error page, with
# --link datastore:redis it counts. On the way: the hosts line and the REDIS_* variables a link
# gives, the published ports, and with icc=false the ACCEPT rules that let only the linked pair
# talk. Each step prints the command, its result and one line on what minilink did in the kernel.
#
#   scripts/demo.sh           unattended (no prompt; stdin may be closed); exits non-zero if a step fails
#   scripts/demo.sh --step    pauses between steps, and opens an interactive shell in the linked
#                             busybox when run on a terminal (for a classroom)
#   scripts/demo.sh --keep    leaves datastore and web running at the end, so that a browser can
#                             show the page (make demo passes it inside the Vagrant VM)
#
# Uses $MINILINK, else the minilink on PATH, else ./minilink; honours MINILINK_ROOT like every
# minilink command.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step_mode=false
keep=false
for arg in "$@"; do
	case $arg in
	--step) step_mode=true ;;
	--keep) keep=true ;;
	*) echo "usage: scripts/demo.sh [--step] [--keep]" >&2; exit 2 ;;
	esac
done
[[ ${DEMO_KEEP:-} == 1 ]] && keep=true

if [[ -n ${MINILINK:-} ]]; then ml=$MINILINK
elif command -v minilink >/dev/null 2>&1; then ml=$(command -v minilink)
elif [[ -x $repo_root/minilink ]]; then ml=$repo_root/minilink
else echo "demo.sh: minilink not found (run make, or set MINILINK)" >&2; exit 1
fi
[[ $(id -u) == 0 ]] || { echo "demo.sh: needs root (sudo make demo)" >&2; exit 1; }

bold=; dim=; reset=
if [[ -t 1 ]]; then bold=$'\e[1m'; dim=$'\e[2m'; reset=$'\e[0m'; fi

n=0
step() { # step TITLE
	n=$((n + 1))
	if $step_mode && [[ $n -gt 1 ]]; then read -r -p "${dim}-- press Enter for the next step --${reset}" _ </dev/tty || true; fi
	printf '\n%s== %d. %s%s\n' "$bold" "$n" "$1" "$reset"
}
run() { # run COMMAND...: show it as one would type it, then run it
	local shown=() a
	for a in "$@"; do
		[[ $a == "$ml" ]] && a=minilink
		if [[ $a =~ [[:space:]\'\"\$\{\}\|\\] ]]; then a="'${a//\'/\'\\\'\'}'"; fi
		shown+=("$a")
	done
	printf '%s$ %s%s\n' "$bold" "${shown[*]}" "$reset"
	"$@"
}
kernel() { printf '%s# kernel: %s%s\n' "$dim" "$*" "$reset"; }

# fetch PORT [PATH]: an HTTP GET from the host to 127.0.0.1:PORT, with bash's /dev/tcp (no curl
# needed); prints the status line and the body, without the headers.
fetch() {
	local port=$1 path=${2:-/} line in_body=false
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&3
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		if $in_body; then printf '%s\n' "$line"
		elif [[ -z $line ]]; then in_body=true
		elif [[ $line == HTTP/* ]]; then printf '%s\n' "$line"
		fi
	done <&3
	exec 3<&-
}
# page PORT: the page's gist: its status line, then the text of its headings and paragraphs.
page() {
	fetch "$1" / | grep -E '^HTTP/|<h1|<p' | sed -e 's/<[^>]*>//g' -e 's/^[[:space:]]*//'
}
port_of() { "$ml" port "$1" 5000 | head -n1 | sed 's/.*://'; }

containers=(web web-unlinked datastore)
cleanup() { "$ml" rm -f "${containers[@]}" >/dev/null 2>&1 || true; }
icc_before=$("$ml" network inspect | sed -n 's/.*"ICC": \(true\|false\).*/\1/p')
restore_icc() { [[ -z $icc_before ]] || "$ml" network set --icc="$icc_before" >/dev/null; }
for name in "${containers[@]}"; do
	if "$ml" inspect --type container "$name" >/dev/null 2>&1; then
		echo "demo.sh: a container named $name exists; remove it first (minilink rm -f $name)" >&2
		exit 1
	fi
done
trap 'cleanup; restore_icc' EXIT

step "Build the built-in images offline (busybox, alpine, redis, trainingwheels)"
MINILINK=$ml "$repo_root/scripts/images.sh"
run "$ml" images
kernel "each image is one unpacked layer below the state root; a container gets an overlay mount on top of it"

step "Run redis in the background, as the container 'datastore'"
run "$ml" run -d --name datastore redis
ip=$("$ml" inspect -f '{{.NetworkSettings.IPAddress}}' datastore)
veth=$("$ml" network inspect | sed -n 's/.*"HostVeth": "\(veth[0-9a-f]*\)".*/\1/p' | head -n1)
kernel "new pid, mount, uts, ipc and net namespaces; veth pair $veth (on bridge minilink0) <-> eth0 with $ip/16, default route via the gateway"
run "$ml" ps -l

step "Run the web app without a link, its port published (-P)"
run "$ml" run -d -P --name web-unlinked trainingwheels
port=$(port_of web-unlinked)
run "$ml" port web-unlinked
kernel "DNAT 0.0.0.0:$port -> the container's 5000 in the nat table's MINILINK chain; no proxy process listens on $port"
sleep 0.5
printf '%s$ fetch http://127.0.0.1:%s/%s\n' "$bold" "$port" "$reset"
unlinked_page=$(page "$port")
echo "$unlinked_page"
grep -q 'HTTP/1.[01] 500' <<<"$unlinked_page" || { echo "demo.sh: expected the red error page" >&2; exit 1; }
kernel "the app cannot resolve 'redis': its /etc/hosts has no such line, so the page is red"

step "A link: what --link datastore:redis gives a container"
if $step_mode && [[ -t 0 ]]; then
	echo "try: ping -c1 redis; cat /etc/hosts; env | grep REDIS_; exit"
	run "$ml" run --rm -ti --link datastore:redis busybox sh
else
	run "$ml" run --rm --link datastore:redis busybox sh -c 'ping -c1 -W1 redis | head -n2; cat /etc/hosts; env | grep ^REDIS_ | sort'
fi
kernel "minilink wrote '$ip<TAB>redis <id12> datastore' into its /etc/hosts and computed REDIS_* from datastore's address, exposed port and ENV"

step "The web app again, linked to datastore"
run "$ml" rm -f web-unlinked
run "$ml" run -d -P --name web --link datastore:redis trainingwheels
port=$(port_of web)
run "$ml" port web
sleep 0.5
for _ in 1 2; do
	printf '%s$ fetch http://127.0.0.1:%s/%s\n' "$bold" "$port" "$reset"
	page "$port"
done
kernel "the app reached redis at 'redis' through the hosts line; each GET did INCR hits in datastore"

step "The variables the linked app received (its /env page), and an unlinked container's"
printf '%s$ fetch http://127.0.0.1:%s/env%s\n' "$bold" "$port" "$reset"
fetch "$port" /env | tail -n +2
run "$ml" run --rm busybox sh -c 'env | grep ^REDIS_ || echo "(no REDIS_ variables without a link)"'
kernel "link variables are computed at every start and exec; they never appear in the container's own .Config.Env"

step "Only the linked pair may talk: inter-container communication off"
run "$ml" network set --icc=false
run iptables -S MINILINK
kernel "FORWARD's '-i minilink0 -o minilink0 -j ACCEPT' became DROP; the ACCEPT pair for web -> datastore:6379 stays in MINILINK, ahead of it"
printf '%s$ fetch http://127.0.0.1:%s/%s\n' "$bold" "$port" "$reset"
page "$port"
run "$ml" run --rm busybox sh -c "printf 'PING\\r\\n' | nc -w 2 $ip 6379 || echo 'no answer: blocked'"
kernel "the unlinked container's packets to datastore hit the DROP rule; the published page still answers"

if $keep; then
	restore_icc
	trap - EXIT
	printf '\n%sdatastore and web keep running: open http://localhost:%s/ (from the laptop too, through the VM'"'"'s forwarded port).%s\n' "$bold" "$port" "$reset"
	printf 'clean up with: sudo minilink rm -f web datastore\n'
	exit 0
fi

step "Clean up"
run "$ml" rm -f web datastore
restore_icc
kernel "veth pairs deleted, addresses and host ports released, DNAT and ACCEPT rules removed, overlays unmounted, cgroups removed; icc back to ${icc_before:-true}"
trap - EXIT
printf '\n%sdone%s\n' "$bold" "$reset"
