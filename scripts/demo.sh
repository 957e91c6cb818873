#!/usr/bin/env bash
# The minilink walkthrough: builds the built-in images offline, runs a web server in a container
# on the default bridge, reaches it from a second container, and shows at each step what minilink
# did in the kernel. Runs unattended; --step pauses between steps (for a classroom).
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

cleanup() { "$ml" rm -f demo-web >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

step "Build the built-in images offline (busybox, alpine, redis) from Debian packages"
MINILINK=$ml "$repo_root/scripts/images.sh"
run "$ml" images
kernel "each image is one unpacked layer below the state root; containers get an overlay mount on top"

step "Run a web server in the background"
run "$ml" run -d --name demo-web busybox httpd -f -p 80
ip=$("$ml" inspect -f '{{.NetworkSettings.IPAddress}}' demo-web)
veth=$("$ml" network inspect | sed -n 's/.*"HostVeth": "\(veth[0-9a-f]*\)".*/\1/p' | head -n1)
kernel "new pid, mount, uts, ipc and net namespaces; overlay root; veth pair $veth (host) <-> eth0 (container), $veth enslaved to minilink0; eth0 got $ip/16 and a default route via the gateway"
run "$ml" ps

step "Its address and its /etc/hosts"
run "$ml" inspect -f '{{.NetworkSettings.IPAddress}}' demo-web
run "$ml" exec demo-web cat /etc/hosts
kernel "hosts, hostname and resolv.conf are files in the container's directory, bind-mounted onto /etc"

step "What minilink set up on the host side"
if command -v ip >/dev/null; then run ip -br addr show dev minilink0; run ip -br link show master minilink0; fi
if command -v iptables >/dev/null; then
	run iptables -S FORWARD
	run iptables -t nat -S POSTROUTING
fi
kernel "the bridge minilink0 holds the gateway; FORWARD lets bridge traffic through; MASQUERADE rewrites outbound sources"

step "A second container reaches the first over the bridge"
run "$ml" run --rm busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $ip 80 | head -n1"
kernel "a throwaway container got the next address, its own veth pair, and lost both when it exited (--rm)"

step "Stop and remove"
run "$ml" stop -t 1 demo-web
run "$ml" inspect -f 'exit code {{.State.ExitCode}}' demo-web
run "$ml" rm demo-web
kernel "veth pair deleted, address released, overlay unmounted, cgroup removed; the bridge and base rules stay for the next container"
trap - EXIT
printf '\n%sdone%s\n' "$bold" "$reset"
