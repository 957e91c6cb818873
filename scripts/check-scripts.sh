#!/usr/bin/env bash
# Static checks of the shell scripts and the Vagrantfile, run by `make test` before the tests:
#
#   - bash -n: every scripts/*.sh and .ci/run parses
#   - ShellCheck: the same scripts have no findings (the Debian package shellcheck)
#   - vagrant validate: the Vagrantfile is valid (the Debian package vagrant)
#
# One line per check; stops at the first failure and shows the tool's output. A missing tool is
# installed with apt-get when running as root on Debian, otherwise the check fails naming the
# package. Nothing is downloaded for vagrant: no box, no plugin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts=(scripts/*.sh .ci/run)

pass() { printf 'ok    %s\n' "$*"; }
fail() { # fail CHECK OUTPUT
	printf 'FAIL  %s\n' "$1" >&2
	[[ -z ${2:-} ]] || printf '%s\n' "$2" >&2
	exit 1
}

# need COMMAND PACKAGE: COMMAND is on PATH, installing PACKAGE with apt-get if it is not.
need() {
	local cmd=$1 pkg=$2 out
	command -v "$cmd" >/dev/null 2>&1 && return 0
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		printf '..    installing the Debian package %s (for %s)\n' "$pkg" "$cmd"
		out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$pkg" 2>&1) ||
			out=$( { apt-get -o DPkg::Lock::Timeout=300 update -q &&
				DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$pkg"; } 2>&1) ||
			fail "$cmd: installing the Debian package $pkg failed" "$out"
		command -v "$cmd" >/dev/null 2>&1 || fail "$cmd: still missing after installing the Debian package $pkg"
	else
		fail "$cmd not found: install the Debian package $pkg (apt-get install $pkg)"
	fi
}

for f in "${scripts[@]}"; do
	out=$(bash -n "$f" 2>&1) || fail "bash -n $f" "$out"
	pass "bash -n $f"
done

need shellcheck shellcheck
for f in "${scripts[@]}"; do
	out=$(shellcheck "$f" 2>&1) || fail "shellcheck $f" "$out"
	pass "shellcheck $f"
done

# vagrant validate reads the Vagrantfile and checks every setting, including that the provision
# script exists; --ignore-provider skips the check that VirtualBox or libvirt is installed. It
# runs on a copy in a scratch directory with its own VAGRANT_HOME, so that neither a .vagrant/
# directory in the repository nor anything in ~/.vagrant.d is made, and no box is needed.
need vagrant vagrant
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
mkdir -p "$work/project/scripts" "$work/home"
cp Vagrantfile "$work/project/"
cp scripts/provision.sh "$work/project/scripts/"
out=$(cd "$work/project" && VAGRANT_HOME=$work/home VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_NO_COLOR=1 \
	vagrant validate --ignore-provider 2>&1) || fail "vagrant validate Vagrantfile" "$out"
pass "vagrant validate Vagrantfile"
