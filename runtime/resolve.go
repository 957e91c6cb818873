package runtime

import "strings"

// resolve finds a container the way Docker does: an exact full ID, then an exact name (with or
// without the leading "/"), then a unique ID prefix.
func resolve(all []*Container, arg string) (*Container, error) {
	if c := byID(all, arg); c != nil {
		return c, nil
	}
	name := strings.TrimPrefix(arg, "/")
	if c := byName(all, name); c != nil {
		return c, nil
	}
	if strings.Contains(name, "/") {
		if child := resolveLinkName(all, name); child != nil {
			return child, nil
		}
	}
	var found *Container
	if arg != "" && isHex(arg) {
		for _, c := range all {
			if strings.HasPrefix(c.ID, arg) {
				if found != nil {
					return nil, userError(ErrInvalidArgument, "multiple IDs found with provided prefix: %s", arg)
				}
				found = c
			}
		}
	}
	if found == nil {
		return nil, userError(ErrNoSuchContainer, "No such container: %s", arg)
	}
	return found, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isFullID reports whether s has the form of a whole container ID: 64 lowercase hex digits.
func isFullID(s string) bool { return len(s) == 64 && isHex(s) }
