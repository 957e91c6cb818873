#!/usr/bin/env bash
# minilink's test suite: unit and integration tests, run as root inside a private network and
# mount namespace, so that no bridge, veth, rule or mount ever lands in the host's own namespace.
# A leak audit runs after the tests, still inside the namespace, and fails the run when anything
# minilink made is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
# The build flags of the Makefile (scripts/goflags: the seccomp tag, a static link).
GOFLAGS=$(cat scripts/goflags)
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1 GOFLAGS

if [ "${1:-}" != "--inside" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "make test needs root: the integration tests create namespaces, veths and rules (sudo make test)" >&2
		exit 1
	fi
	for tool in unshare ip iptables busybox redis-server; do
		command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install iptables iproute2 util-linux busybox-static redis-server" >&2; exit 1; }
	done
	# The private namespace has no network: fetch the modules and compile everything first.
	go mod download
	go build ./...
	go vet ./...
	go test -count=1 -run '^$' ./... >/dev/null
	cgroups_before=$(mktemp)
	find /sys/fs/cgroup -path '*/minilink/*' -maxdepth 4 -type d 2>/dev/null | sort >"$cgroups_before"
	status=0
	unshare --net --mount --fork -- "$0" --inside || status=$?
	# Processes and cgroups are not private to the namespace: audit them out here.
	leaks=$(comm -13 "$cgroups_before" <(find /sys/fs/cgroup -path '*/minilink/*' -maxdepth 4 -type d 2>/dev/null | sort) || true)
	rm -f "$cgroups_before"
	if [ -n "$leaks" ]; then
		echo "LEAK: cgroups left behind:" >&2
		echo "$leaks" >&2
		status=1
	fi
	if pgrep -f 'minilink .*monitor [0-9a-f]{64}' >/dev/null; then
		echo "LEAK: monitor processes left behind:" >&2
		pgrep -af 'minilink .*monitor [0-9a-f]{64}' >&2
		status=1
	fi
	exit $status
fi

# Inside the private namespace.
mount --make-rprivate /
# Named network namespaces (ip netns) are files below /run/netns: keep the tests' own.
mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
ip link set lo up
export MINILINK_TEST_NETNS=1 GOPROXY=off GOFLAGS="-mod=mod $GOFLAGS"

status=0
# -p 1: the packages share this namespace's bridge and iptables; one at a time.
go test -count=1 -p 1 ./... || status=$?

echo "leak audit:"
leak() { echo "LEAK: $*" >&2; status=1; }
links=$(ip -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' || true)
[ -z "$links" ] || leak "network devices left: $links"
rules=$(iptables -S | grep -v '^-P' || true)
[ -z "$rules" ] || leak "filter rules left: $rules"
nat=$(iptables -t nat -S | grep -v '^-P' || true)
[ -z "$nat" ] || leak "nat rules left: $nat"
mounts=$(grep -E ' overlay | /tmp/minilink' /proc/self/mountinfo || true)
[ -z "$mounts" ] || leak "mounts left: $mounts"
netns=$(ls /run/netns 2>/dev/null || true)
[ -z "$netns" ] || leak "netns files left: $netns"
[ $status = 0 ] && echo "  nothing left behind"
exit $status
