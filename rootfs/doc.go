// Package rootfs stores images and builds container root filesystems.
//
// Layout below the minilink root (see Store):
//
//	images/repositories.json        name:tag -> image ID
//	images/configs/<hex>.json       OCI image config (the image ID is sha256 of this file)
//	layers/<hex>/                   one unpacked layer, named by its diffID (sha256 of the uncompressed tar)
//
// A container's filesystem is an overlay mount: the image's layers read-only below, the container's own
// upper and work directories above, so starting a container costs the same whatever the image's size.
package rootfs
