package main

import (
	"os"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/minilink/minilink/hugeheap"
	// nsenter's cgo constructor joins the container's namespaces before the Go runtime starts,
	// in the copy of this binary that libcontainer re-executes as "init".
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

// libcontainer starts every container (and every exec) by re-executing this binary with the
// single argument "init" and its setup pipe in _LIBCONTAINER_INITPIPE. That process must become the
// container's init before anything else of minilink runs. It is not a command users can call.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		hugeheap.MallocTop(4 << 20) // for libseccomp, which compiles the seccomp filter here
		libcontainer.Init()         // never returns
	}
}
