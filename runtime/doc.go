// Package runtime is minilink's container lifecycle: container records, names, the lock that
// serialises concurrent minilink processes, and the start/stop/exec sequences that drive
// libcontainer, the bridge and the image store.
//
// On disk, below the root (default /var/lib/minilink):
//
//	minilink.lock                       flock held by every state change
//	containers/<id>/                    flocked by the container's owner while it runs (see below)
//	containers/<id>/container.json      the record (written atomically: temp file + rename)
//	containers/<id>/{hosts,hostname,resolv.conf}
//	                                    bind-mounted onto /etc in the container, rewritten in place
//	containers/<id>/<id>-json.log       stdout and stderr, one JSON object per chunk (Docker's json-file)
//	containers/<id>/{upper,work,rootfs} the overlay root (see package rootfs)
//	libcontainer/<id>/                  libcontainer's own state
//
// A running container is always owned by exactly one process that waits for it: the foreground
// `minilink run` itself, or for -d a small monitor (`minilink monitor <id>`, re-executed from the
// same binary) that records the exit code and releases the network when the container exits; while
// the container runs, the monitor is the small C waiter of package waiter. Every
// command first reconciles: a record marked running whose owner died is cleaned up as a stop would.
// The record names its owner by pid and start time; the owner also holds an flock on the
// container's directory, so that a listing learns which owners live from one read of /proc/locks
// instead of one /proc/<pid>/stat per container (ownerlock_linux.go).
package runtime
