package rootfs

import "strings"

// The reference grammar (Docker's distribution/reference), checked by hand rather than with its
// regular expression: compiling that expression cost every `run` about 3 ms, more than the rest of
// the image lookup. reference_test.go holds these functions to the expressions.

// validRepoPath reports whether s is a repository path: lowercase components separated by "/",
// optionally behind a registry host with a port ("localhost:5000/web").
func validRepoPath(s string) bool {
	if validPath(s) {
		return true
	}
	host, path, ok := strings.Cut(s, "/")
	return ok && validHost(host) && validPath(path)
}

// validHost: letters, digits, "." and "-", then optionally ":" and a port number.
func validHost(s string) bool {
	name, port, hasPort := strings.Cut(s, ":")
	if name == "" || !allOf(name, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }) {
		return false
	}
	return !hasPort || (port != "" && allOf(port, isDigit))
}

// validPath: one or more components separated by single slashes.
func validPath(s string) bool {
	for _, comp := range strings.Split(s, "/") {
		if !validComponent(comp) {
			return false
		}
	}
	return true
}

// validComponent: runs of lowercase letters and digits, joined by ".", "_", "__" or any number of
// "-"; it starts and ends with a letter or digit.
func validComponent(s string) bool {
	i := 0
	for {
		start := i
		for i < len(s) && isLowerAlnum(s[i]) {
			i++
		}
		if i == start {
			return false // empty, or a separator at the start, the end or twice in a row
		}
		if i == len(s) {
			return true
		}
		start = i
		for i < len(s) && !isLowerAlnum(s[i]) {
			i++
		}
		switch sep := s[start:i]; {
		case sep == "." || sep == "_" || sep == "__":
		case allOf(sep, func(c byte) bool { return c == '-' }):
		default:
			return false
		}
	}
}

// validTag: a letter, digit or "_", then up to 127 of those, "." and "-".
func validTag(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	return allOf(s, func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '-' })
}

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }
