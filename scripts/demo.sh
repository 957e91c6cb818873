#!/usr/bin/env bash
# The minilink walkthrough, the legacy-links lesson: builds the built-in images offline, runs redis
# as "datastore", links containers to it (hosts line, REDIS_* variables), talks to redis through
# the link, then turns inter-container communication off and shows that only the linked pair may
# talk, through the ACCEPT rules minilink adds. Each step prints the command, its result and one
# line on what minilink did in the kernel. Runs unattended; --step pauses between steps.
#
# Uses $MINILINK, else the minilink on PATH, else ./minilink; honours MINILINK_ROOT like every
# minilink command. Exits non-zero if a step fails.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step_mode=false
[[ ${1:-} == --step ]] && step_mode=true

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

cleanup() { "$ml" rm -f web datastore >/dev/null 2>&1 || true; }
trap 'cleanup; restore_icc' EXIT
icc_before=$("$ml" network inspect | sed -n 's/.*"ICC": \(true\|false\).*/\1/p')
restore_icc() { [[ -z $icc_before ]] || "$ml" network set --icc="$icc_before" >/dev/null; }
for name in web datastore; do
	if "$ml" inspect "$name" >/dev/null 2>&1; then
		echo "demo.sh: a container named $name exists; remove it first (minilink rm -f $name)" >&2
		icc_before=
		trap - EXIT
		exit 1
	fi
done

step "Build the built-in images offline (busybox, alpine, redis) from Debian packages"
MINILINK=$ml "$repo_root/scripts/images.sh"
run "$ml" images
kernel "each image is one unpacked layer below the state root; a container gets an overlay mount on top of it"

step "Run redis in the background, as the container 'datastore'"
run "$ml" run -d --name datastore redis
ip=$("$ml" inspect -f '{{.NetworkSettings.IPAddress}}' datastore)
veth=$("$ml" network inspect | sed -n 's/.*"HostVeth": "\(veth[0-9a-f]*\)".*/\1/p' | head -n1)
kernel "new pid, mount, uts, ipc and net namespaces; veth pair $veth (on bridge minilink0) <-> eth0 with $ip/16 and a default route via 172.17.0.1"
run "$ml" ps -l

step "Without a link, the name 'datastore' means nothing to another container"
run "$ml" run --rm busybox ping -c1 -W1 datastore || true
kernel "containers have no DNS here: names resolve only through /etc/hosts, and this one has no line for datastore"

step "With --link datastore:redis, the alias resolves"
run "$ml" run --rm --link datastore:redis busybox ping -c1 -W1 redis
kernel "minilink wrote '$ip<TAB>redis <id12> datastore' into the new container's /etc/hosts before starting it"

step "The linked container's /etc/hosts"
run "$ml" run --rm --link datastore:redis busybox cat /etc/hosts
kernel "the file lives in the container's directory and is bind-mounted onto /etc/hosts, so it can be rewritten in place"

step "The variables a link injects"
run "$ml" run --rm --link datastore:redis busybox sh -c 'env | grep ^REDIS_ | sort'
kernel "computed from datastore's address, its exposed port 6379/tcp and its own ENV, prefixed with the alias"

step "Talk to redis through the link"
run "$ml" run --rm --link datastore:redis redis redis-cli -h redis ping
kernel "plain routing over the bridge: eth0 -> veth -> minilink0 -> veth -> datastore's eth0"

step "Turn inter-container communication off"
run "$ml" network set --icc=false
run iptables -S FORWARD
kernel "the rule '-i minilink0 -o minilink0 -j ACCEPT' became '-j DROP', behind the jump to MINILINK where link rules go"
run "$ml" run --rm busybox sh -c "printf 'PING\r\n' | nc -w 2 $ip 6379 || echo 'no answer: blocked'"
kernel "an unlinked container's packets to datastore hit the DROP rule"

step "A linked container still gets through"
run "$ml" run -d --name web --link datastore:redis busybox sleep 1000
run iptables -S MINILINK
kernel "minilink added one ACCEPT pair for datastore's exposed port 6379/tcp: web -> redis:6379 and the replies"
run "$ml" exec web sh -c "printf 'PING\r\n' | nc -w 2 redis 6379"
run "$ml" inspect -f '{{json .HostConfig.Links}}' web
run "$ml" ps --no-trunc --format '{{.Names}}'

step "Remove the link"
run "$ml" rm --link web/redis
run iptables -S MINILINK
run "$ml" exec web sh -c "printf 'PING\r\n' | nc -w 2 $ip 6379 || echo 'no answer: blocked'"
kernel "the ACCEPT pair and web's hosts line are gone; both containers keep running"

step "Clean up"
run "$ml" rm -f web datastore
restore_icc
kernel "veth pairs deleted, addresses released, overlays unmounted, cgroups removed; icc back to ${icc_before:-true}; the bridge and its base rules stay for the next container"
trap - EXIT
printf '\n%sdone%s\n' "$bold" "$reset"
