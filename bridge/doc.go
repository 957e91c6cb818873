// Package bridge owns the default bridge network: its persisted settings, address allocation, the
// bridge device, the base iptables rules, and one veth pair per running container.
//
// Planning (subnet choice, IP allocation, MAC addresses, rule specs) is pure; the functions that touch
// the kernel are thin, idempotent and safe to run again after a crash.
package bridge
