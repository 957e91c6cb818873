// Package linker turns Docker's legacy container links into data: it parses --link values, computes a
// link's environment variables, /etc/hosts line and per-link iptables rules, and renders the texts the
// runtime reports. It is pure (no I/O, no kernel), so the links contract (§2–§5 and §8e of the spec)
// can be tested line for line without a container; the runtime does the looking up and the writing.
package linker
