#!/usr/bin/env bash
# Sets up a Debian 12 machine for minilink, as root: the Debian packages, Go, minilink in
# /usr/local/bin and the built-in images. The Vagrantfile runs it when the VM is created
# (`vagrant provision` runs it again); it is safe to repeat, and each step skips what is done.
#
#   MINILINK_REPO=DIR         the repository (default: this script's own, else /vagrant)
#   MINILINK_ROOT=DIR         minilink's state root for the images (default /var/lib/minilink)
#   PROVISION_SKIP_IMAGES=1   do not (re)build the images: a quicker re-run
#   GO_VERSION=go1.X.Y        the Go to install when none suitable is present (default: go.mod's)
#
# Nothing here touches the network namespace: no bridge, veth or iptables rule is made (the
# images step only unpacks layers below the state root).
set -euo pipefail

go_root=/usr/local/go
go_min_minor=25 # Go 1.25 or newer is kept as it is
export DEBIAN_FRONTEND=noninteractive
export PATH=$go_root/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'provision: %s\n' "$*"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root (sudo $0)"

# The repository. Vagrant copies this script to /tmp before running it, so there the script's
# own directory says nothing; the Vagrantfile sets MINILINK_REPO=/vagrant.
script_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${MINILINK_REPO:-} ]]; then
	repo=$MINILINK_REPO
elif [[ -d $script_repo/cmd/minilink ]]; then
	repo=$script_repo
else
	repo=/vagrant
fi
[[ -f $repo/Makefile && -d $repo/cmd/minilink ]] || die "$repo is not the minilink repository (set MINILINK_REPO)"
repo=$(cd "$repo" && pwd)
say "repository $repo"

# 1. Debian packages. iptables, iproute2, util-linux: the bridge, the rules, the namespaces;
# busybox-static and redis-server: the built-in images; make, gcc, libc6-dev: the build (cgo);
# git, ca-certificates, curl: fetching Go and its modules.
packages=(iptables iproute2 util-linux busybox-static redis-server make gcc libc6-dev libseccomp-dev pkg-config git ca-certificates curl)
say "apt-get update"
apt-get -o DPkg::Lock::Timeout=300 update -qq
say "installing ${packages[*]}"
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${packages[@]}" >/dev/null

# 2. Go. Debian 12's golang package is 1.19, far too old, so Go comes from go.dev into
# /usr/local/go, and only when no Go 1.25+ is there already.
go_ok() { # go_ok: /usr/local/go/bin/go exists and is 1.25 or newer
	local v major minor
	[[ -x $go_root/bin/go ]] || return 1
	v=$("$go_root/bin/go" env GOVERSION 2>/dev/null) || return 1 # go1.26.8
	[[ $v =~ ^go([0-9]+)\.([0-9]+) ]] || return 1
	major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
	((major > 1 || (major == 1 && minor >= go_min_minor)))
}
if go_ok; then
	say "keeping $("$go_root/bin/go" version)"
else
	if [[ -z ${GO_VERSION:-} ]]; then
		GO_VERSION=$(sed -n 's/^go \([0-9][0-9.]*\)$/go\1/p' "$repo/go.mod")
		[[ $GO_VERSION =~ ^go[0-9]+\.[0-9]+$ ]] && GO_VERSION+=.0 # "go 1.26" means go1.26.0
	fi
	[[ $GO_VERSION =~ ^go[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || die "cannot tell which Go to install (set GO_VERSION=go1.X.Y)"
	case $(dpkg --print-architecture) in
	amd64) go_arch=amd64 ;;
	arm64) go_arch=arm64 ;;
	i386) go_arch=386 ;;
	armhf) go_arch=armv6l ;;
	*) die "no Go download for the architecture $(dpkg --print-architecture)" ;;
	esac
	tarball=$GO_VERSION.linux-$go_arch.tar.gz
	say "installing $GO_VERSION from go.dev into $go_root"
	tmp=$(mktemp -d)
	trap 'rm -rf -- "$tmp"' EXIT
	curl -fsSL --retry 3 -o "$tmp/$tarball" "https://go.dev/dl/$tarball"
	want=$(curl -fsSL --retry 3 "https://dl.google.com/go/$tarball.sha256")
	echo "${want%% *}  $tmp/$tarball" | sha256sum -c --quiet - || die "$tarball: checksum mismatch"
	rm -rf "$go_root"
	tar -C "$(dirname "$go_root")" -xzf "$tmp/$tarball"
	go_ok || die "$go_root/bin/go does not work after installing $tarball"
	say "installed $("$go_root/bin/go" version)"
fi

# 3. redis-server's own service: Debian starts one on the machine when the package is installed,
# but minilink runs redis only inside containers. Without systemd there is nothing to stop.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
	if systemctl is-active --quiet redis-server.service || systemctl is-enabled --quiet redis-server.service; then
		say "stopping and disabling redis-server.service"
		systemctl disable --now --quiet redis-server.service
	fi
fi

# 4. Settings for the VM only (the repository at /vagrant): Go on everyone's PATH, and git may
# read a repository someone else owns (go build asks git for the version it records).
if [[ $repo == /vagrant ]]; then
	profile=/etc/profile.d/go.sh
	line="export PATH=$go_root/bin:\$PATH"
	if [[ ! -f $profile ]] || [[ $(<"$profile") != "$line" ]]; then
		echo "$line" >"$profile"
	fi
	git config --system --get-all safe.directory 2>/dev/null | grep -qxF "$repo" ||
		git config --system --add safe.directory "$repo"
fi

# 5. minilink itself. The Go modules are fetched first (a no-op when they are in the module
# cache): the build, the images step and the tests' private namespace all need them offline.
say "fetching the Go modules"
(cd "$repo" && go mod download)
say "building minilink"
make -s -C "$repo" minilink
if cmp -s "$repo/minilink" /usr/local/bin/minilink; then
	say "/usr/local/bin/minilink is up to date"
else
	install -m 0755 "$repo/minilink" /usr/local/bin/minilink
	say "installed /usr/local/bin/minilink"
fi

# 6. The built-in images (busybox, alpine, redis), made offline from the Debian packages above.
# Importing only unpacks layers below the state root: no network device or rule is made.
if [[ ${PROVISION_SKIP_IMAGES:-} == 1 ]]; then
	say "skipping the images (PROVISION_SKIP_IMAGES=1)"
else
	say "building the images in ${MINILINK_ROOT:-/var/lib/minilink}"
	MINILINK=/usr/local/bin/minilink "$repo/scripts/images.sh"
fi

say "ready: vagrant ssh -c 'sudo make -C /vagrant demo'"
