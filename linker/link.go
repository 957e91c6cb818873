package linker

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Spec is one parsed --link value.
type Spec struct {
	// Name is the child as typed, without a leading "/": a name, a link name, a full ID or an ID
	// prefix. It is "" for ":db", which only the lookup rejects (see LookupError), as in Docker.
	Name string
	// Alias is the parent's name for the child after §2's rules: it defaults to Name, and an alias
	// containing "/" keeps only its last element so that the inspect form "/child:/parent/alias"
	// parses back to the same link.
	Alias string
	// Raw is the value as typed, kept for error and warning texts.
	Raw string
}

// MaxAliasLen is the longest alias Parse accepts, in bytes: the longest valid host name (RFC 1035's
// 255 octets on the wire are 253 characters as text); musl's resolver, for one, refuses to look up
// a longer name, even in /etc/hosts.
const MaxAliasLen = 253

// Parse applies §2's syntax table to one --link value. The error texts are the spec's exact ones; they
// carry pflag's `invalid argument … for "--link" flag:` prefix because Docker's CLI rejects these
// values while parsing flags.
//
// Parse also applies minilink's own rule, where Docker accepts anything: the alias becomes an
// /etc/hosts name and part of environment variable names, so an alias is refused when it holds
// whitespace or a control character (they split or end a hosts entry), "=" (it ends a variable's
// name), "#" (it starts a comment in /etc/hosts: everything after it, the alias included, would be
// ignored, so the link would not resolve by that name), or bytes that are not UTF-8 (the record is
// JSON, which would store another name than the hosts line has), or when it is longer than
// MaxAliasLen. The child's name, which is only looked up, is refused for whitespace, control
// characters and "=". Other characters (".", "-", a leading "-" or ".", non-ASCII letters) are
// kept as typed, as in Docker.
func Parse(value string) (Spec, error) {
	if value == "" {
		return Spec{}, flagError(value, "empty string specified for links")
	}
	parts := strings.Split(value, ":")
	if len(parts) > 2 {
		return Spec{}, flagError(value, "bad format for links: "+value)
	}
	name := strings.TrimPrefix(parts[0], "/")
	alias := name
	if len(parts) == 2 {
		alias = parts[1]
	}
	// path.Split, not path.Base: "db:/x/" must empty the alias (and fail below), where
	// path.Base would quietly turn it into "x".
	_, alias = path.Split(alias)
	if alias == "" {
		return Spec{}, flagError(value, "bad format for links: "+value+" (empty alias)")
	}
	if unsafeName(alias) || strings.Contains(alias, "#") || !utf8.ValidString(alias) {
		return Spec{}, flagError(value, fmt.Sprintf("invalid alias %q: it would break /etc/hosts or an environment name", alias))
	}
	if len(alias) > MaxAliasLen {
		return Spec{}, flagError(value, fmt.Sprintf("invalid alias %.20q… (%d bytes): longer than %d bytes, the longest valid host name", alias, len(alias), MaxAliasLen))
	}
	if unsafeName(name) {
		return Spec{}, flagError(value, fmt.Sprintf("invalid name %q: it would break /etc/hosts or an environment name", name))
	}
	return Spec{Name: name, Alias: alias, Raw: value}, nil
}

// flagError formats a --link error the way pflag reports a value a flag refused.
func flagError(value, reason string) error {
	return fmt.Errorf("invalid argument %q for %q flag: %s", value, "--link", reason)
}

// unsafeName reports whether s holds a character that would break an /etc/hosts line (whitespace
// separates names, a newline ends the entry) or a NAME=value environment entry ("=").
func unsafeName(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
}

// Dedup keeps the first spec for each alias, in flag order, and returns §8e's warning for each spec it
// drops. Docker keeps the first silently; the warning tells the user why a link is missing. Aliases
// compare exactly (case-sensitively), as link names do.
func Dedup(specs []Spec) (kept []Spec, warnings []string) {
	first := make(map[string]Spec, len(specs))
	for _, s := range specs {
		if prev, ok := first[s.Alias]; ok {
			warnings = append(warnings, fmt.Sprintf("WARNING: ignoring --link %s: alias %q is already used by --link %s", s.Raw, s.Alias, prev.Raw))
			continue
		}
		first[s.Alias] = s
		kept = append(kept, s)
	}
	return kept, warnings
}

// LookupError is §2's create-time text for a child that does not exist. The empty name gets Docker's
// "invalid name" wording because no container can match it, not even by ID prefix.
func LookupError(name string) string {
	if name == "" {
		return `could not get container for : invalid name or ID supplied: ""`
	}
	return "could not get container for " + name + ": No such container: " + name
}

// NonRunningText is §2's start-time text for a child that is missing or not running.
func NonRunningText(child, parent, alias string) string {
	return "Cannot link to a non running container: /" + trimSlash(child) + " AS " + LinkName(parent, alias)
}

// NotDefaultNetworkText is §2's start-time text for a child whose network mode (after following
// container:) is none or host.
func NotDefaultNetworkText(child string) string {
	return "Cannot link to /" + trimSlash(child) + ", as it does not belong to the default network"
}

// InspectEntry is one entry of .HostConfig.Links: "/<child>:/<parent>/<alias>".
func InspectEntry(child, parent, alias string) string {
	return "/" + trimSlash(child) + ":" + LinkName(parent, alias)
}

// LinkName is the link's name, "/<parent>/<alias>", as used in <P>_NAME, inspect and name resolution.
func LinkName(parent, alias string) string {
	return "/" + trimSlash(parent) + "/" + alias
}

// trimSlash drops one leading "/" so that callers may pass Docker-style "/name" as well as "name"
// without producing "//name".
func trimSlash(name string) string {
	return strings.TrimPrefix(name, "/")
}
