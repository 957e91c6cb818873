// Package linker turns Docker's legacy container links into data: it parses --link values, computes a
// link's environment variables, /etc/hosts line and per-link iptables rules, and renders the texts the
// runtime reports. It is pure (no I/O, no kernel), so the links contract (§2–§5 and §8e of the spec)
// can be tested line for line without a container; the runtime does the looking up and the writing.
//
// Aliases are checked more strictly than Docker does (see [Parse]): an alias becomes a name in the
// parent's /etc/hosts and the prefix of its environment variables, so one that would break either
// is refused at create: whitespace, control characters, "=", bytes that are not UTF-8, more than
// [MaxAliasLen] bytes, and "#". Docker accepts "db:#x", but in /etc/hosts "#" starts a comment, so
// the line "172.17.0.2	#x <id12> db" would make the alias, the ID and the child's name all
// unresolvable while the link looked fine; refusing it up front is the safer choice.
package linker
