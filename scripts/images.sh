#!/usr/bin/env bash
# Builds minilink's built-in images offline from Debian packages already installed on this
# machine and imports them with `minilink import` (into the root MINILINK_ROOT names, which
# minilink reads itself):
#
#   busybox (also tagged alpine)  busybox-static with every applet, passwd/group, CMD ["/bin/sh"]
#   redis                         Debian's redis-server with the libraries it needs, busybox for
#                                 a shell, WORKDIR /data, EXPOSE 6379
#   trainingwheels                the links lesson's web app (cmd/trainingwheels, built static
#                                 with the Go modules already downloaded), busybox for a shell,
#                                 EXPOSE 5000, CMD ["trainingwheels"]
#
# minilink is taken from $MINILINK, else from PATH, else ./minilink at the repo root; go from
# PATH, else /usr/local/go/bin/go.
# Rerunning re-imports: the tags move to the new images and the unchanged layers are shared.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
path_env='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

die() { echo "images.sh: $*" >&2; exit 1; }

find_minilink() {
	if [[ -n ${MINILINK:-} ]]; then
		[[ -x $MINILINK ]] || die "MINILINK=$MINILINK is not an executable"
		echo "$MINILINK"
	elif command -v minilink >/dev/null 2>&1; then
		command -v minilink
	elif [[ -x $repo_root/minilink ]]; then
		echo "$repo_root/minilink"
	else
		die "minilink not found: set MINILINK, put it on PATH, or build it at the repo root (make minilink)"
	fi
}

find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [[ -x /usr/local/go/bin/go ]]; then
		echo /usr/local/go/bin/go
	else
		die "go not found: put it on PATH or install it in /usr/local/go (it builds the trainingwheels image)"
	fi
}

need() { # need COMMAND APT-PACKAGE
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2 (apt-get install $2)"
}

need busybox busybox-static
need redis-server redis-server
need ldd libc-bin
need tar tar
ml=$(find_minilink)
go_bin=$(find_go)

# The images a previous run made: a rerun moves their tags to the new imports, and removes them
# once untagged (unless a container still uses one; then rmi refuses and it stays).
previous=()
for name in busybox alpine redis trainingwheels; do
	mapfile -t -O "${#previous[@]}" previous < <("$ml" images -q --no-trunc "$name" 2>/dev/null || true)
done
remove_replaced() {
	local id
	for id in "${previous[@]}"; do
		if ! "$ml" images --no-trunc --format '{{.ID}} {{.Repository}}' | grep -q "^$id [^<]"; then
			"$ml" rmi "$id" >/dev/null 2>&1 || true
		fi
	done
}

# The Debian busybox package is dynamically linked; only the static one runs in an image
# without libc.
busybox_bin=$(readlink -f "$(command -v busybox)")
if ldd "$busybox_bin" >/dev/null 2>&1; then
	die "$busybox_bin is dynamically linked: install the Debian package busybox-static"
fi

# Reproducible timestamps: SOURCE_DATE_EPOCH if given, else the busybox binary's own.
build_time=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$busybox_bin")}

tmpdirs=()
cleanup() { [[ ${#tmpdirs[@]} -eq 0 ]] || rm -rf -- "${tmpdirs[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

new_rootfs() {
	local d
	d=$(mktemp -d)
	tmpdirs+=("$d")
	# mktemp's 0700 would become the image's "/" and lock every non-root user out.
	chmod 0755 "$d"
	ROOTFS=$d
}

# add_busybox DIR: the static busybox and a symlink per applet, where busybox itself installs them.
add_busybox() {
	local dir=$1 applet
	install -D -m 0755 "$busybox_bin" "$dir/bin/busybox"
	while IFS= read -r applet; do
		case $applet in
		*/*) ;;           # bin/ls, usr/sbin/ntpd, ...
		*) continue ;;    # linuxrc: an initrd's init, not wanted in a container
		esac
		[[ $applet == bin/busybox ]] && continue
		mkdir -p "$dir/$(dirname "$applet")"
		ln -sfn /bin/busybox "$dir/$applet"
	done < <("$dir/bin/busybox" --list-full)
}

# add_base DIR: the files and directories every image has.
add_base() {
	local dir=$1
	mkdir -p "$dir"/{etc,proc,sys,dev,root,var/www,usr/local/bin}
	install -d -m 1777 "$dir/tmp"
	chmod 0700 "$dir/root"
	cat >"$dir/etc/passwd" <<-'PASSWD'
	root:x:0:0:root:/root:/bin/sh
	nobody:x:65534:65534:nobody:/home:/bin/false
	PASSWD
	cat >"$dir/etc/group" <<-'GROUP'
	root:x:0:
	nogroup:x:65534:
	GROUP
	# Placeholders: the runtime bind-mounts its own over them.
	: >"$dir/etc/hosts"
	: >"$dir/etc/hostname"
	: >"$dir/etc/resolv.conf"
}

# copy_with_libs DIR BINARY DEST: BINARY at DEST inside DIR, plus every shared library ldd names
# (and the dynamic loader), each at the path the binary will look for it.
copy_with_libs() {
	local dir=$1 bin=$2 dest=$3 line lib
	install -D -m 0755 "$(readlink -f "$bin")" "$dir$dest"
	while read -r line; do # read without IFS= trims ldd's leading tab
		case $line in
		*"not found"*) die "$bin needs a library that is not installed: $line" ;;
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;       # libc.so.6 => /lib/.../libc.so.6 (0x...)
		/*) lib=${line%% (*} ;;                              # /lib64/ld-linux-x86-64.so.2 (0x...)
		*) continue ;;                                       # linux-vdso.so.1: in the kernel
		esac
		[[ -e $dir$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib"
	done < <(ldd "$bin")
}

# import DIR NAME CHANGE...: prints "NAME:TAG sha256:..." for the new image.
import_image() {
	local dir=$1 name=$2 id
	shift 2
	local args=()
	for c in "$@"; do args+=(-c "$c"); done
	# Fixed order, owners and times make the tar, and so the layer, the same on every run: a
	# rerun then stores no second copy of it.
	id=$(tar -C "$dir" --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$build_time" -c . |
		"$ml" import "${args[@]}" - "$name") ||
		die "importing $name failed"
	IMPORTED_ID=$(echo "$id" | tail -n1)
}

tag_or_import() { # tag_or_import DIR SOURCE-ID NAME CHANGE...: a second tag for SOURCE-ID
	local dir=$1 src=$2 name=$3
	shift 3
	# A second tag for the same image when minilink has `tag`; otherwise a second import, which
	# shares the layer and differs only in its creation time.
	if "$ml" tag --help >/dev/null 2>&1; then
		"$ml" tag "$src" "$name" || die "tagging $src as $name failed"
		IMPORTED_ID=$src
	else
		import_image "$dir" "$name" "$@"
	fi
}

# busybox, also tagged alpine
new_rootfs
bb=$ROOTFS
add_base "$bb"
add_busybox "$bb"
busybox_changes=("ENV $path_env" 'CMD ["/bin/sh"]')
import_image "$bb" busybox "${busybox_changes[@]}"
echo "busybox:latest $IMPORTED_ID"
tag_or_import "$bb" "$IMPORTED_ID" alpine "${busybox_changes[@]}"
echo "alpine:latest $IMPORTED_ID"

# redis
redis_version=$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p')
redis_version=${redis_version:-7.0.15}
new_rootfs
rd=$ROOTFS
add_base "$rd"
add_busybox "$rd"
echo 'redis:x:999:999::/data:/bin/false' >>"$rd/etc/passwd"
echo 'redis:x:999:' >>"$rd/etc/group"
install -d -m 0755 "$rd/data"
copy_with_libs "$rd" "$(command -v redis-server)" /usr/bin/redis-server
if command -v redis-cli >/dev/null 2>&1; then
	copy_with_libs "$rd" "$(command -v redis-cli)" /usr/bin/redis-cli
fi
import_image "$rd" redis \
	"ENV $path_env" \
	'ENV GOSU_VERSION=1.17' \
	"ENV REDIS_VERSION=$redis_version" \
	'WORKDIR /data' \
	'EXPOSE 6379' \
	'CMD ["redis-server","--protected-mode","no"]'
echo "redis:latest $IMPORTED_ID"

# trainingwheels: a static Go binary, so no libraries; offline, from the module cache (no
# `go mod download` here: this runs in the tests' network namespace). -buildvcs=false and
# -trimpath keep the binary, and so the layer, the same from one checkout state to the next.
new_rootfs
tw=$ROOTFS
add_base "$tw"
add_busybox "$tw"
(cd "$repo_root" && CGO_ENABLED=0 "$go_bin" build -trimpath -buildvcs=false -ldflags '-s -w' \
	-o "$tw/usr/local/bin/trainingwheels" ./cmd/trainingwheels) ||
	die "building cmd/trainingwheels failed (are the Go modules downloaded? go mod download, with a network)"
import_image "$tw" trainingwheels \
	"ENV $path_env" \
	'EXPOSE 5000' \
	'CMD ["trainingwheels"]'
echo "trainingwheels:latest $IMPORTED_ID"
remove_replaced
