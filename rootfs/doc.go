// Package rootfs stores images and builds container root filesystems.
//
// Layout below the minilink root (see Store):
//
//	images/repositories.json        name:tag -> image ID (a flat JSON object)
//	images/configs/<hex>.json       OCI image config (the image ID is sha256 of this file)
//	layers/<hex>/                   one unpacked layer, named by its diffID (sha256 of the uncompressed tar)
//	layers/<hex>.size               bytes of regular files in that layer, for image listings
//	layers/<hex>.tar-split          the layer tar's bytes other than file contents, to rebuild it for Save (tarsplit.go)
//	layers/.tmp-*, images/**/.tmp-* work in progress; left only by an interrupted writer, removed by the next
//
// Every write goes to a temp name and is renamed into place, in the order layer, config, tag, so
// an interrupted import, pull, load or removal never leaves a half image under a real name. Pull
// and Load go further: every layer of every image is downloaded, verified and unpacked in one
// private layers/.tmp-pull-* (or .tmp-load-*) directory, and only then moved into place.
//
// Images from registries (Pull) and archives (Load) have several layers, each unpacked once,
// named by its diffID, and shared by every image that has it. Their whiteouts are stored in
// overlayfs's own form, so the stacked layers show the image's filesystem: ".wh.NAME" becomes a
// 0/0 character device NAME, ".wh..wh..opq" the xattr trusted.overlay.opaque=y on its directory.
//
// A container's filesystem is an overlay mount: the image's layers read-only below, the container's own
// upper and work directories above, so starting a container costs the same whatever the image's size.
package rootfs
