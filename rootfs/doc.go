// Package rootfs stores images and builds container root filesystems.
//
// Layout below the minilink root (see Store):
//
//	images/repositories.json        name:tag -> image ID (a flat JSON object)
//	images/configs/<hex>.json       OCI image config (the image ID is sha256 of this file)
//	layers/<hex>/                   one unpacked layer, named by its diffID (sha256 of the uncompressed tar)
//	layers/<hex>.size               bytes of regular files in that layer, for image listings
//	layers/.tmp-*, images/**/.tmp-* work in progress; left only by an interrupted writer, removed by the next
//
// Every write goes to a temp name and is renamed into place, in the order layer, config, tag, so
// an interrupted import or removal never leaves a half image under a real name.
//
// A container's filesystem is an overlay mount: the image's layers read-only below, the container's own
// upper and work directories above, so starting a container costs the same whatever the image's size.
package rootfs
