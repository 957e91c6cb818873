package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseExpose expands an --expose value ("6379", "6379/tcp", "8000-8002/udp") into port keys
// such as "6379/tcp".
func ParseExpose(value string) ([]string, error) {
	bad := func() error {
		return userError(ErrInvalidArgument, "invalid range format for --expose: %s", value)
	}
	portPart, proto, hasProto := strings.Cut(value, "/")
	if !hasProto {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, userError(ErrInvalidArgument, "invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(portPart, "-")
	first, err := parsePort(lo)
	if err != nil {
		return nil, bad()
	}
	last := first
	if isRange {
		if last, err = parsePort(hi); err != nil || last < first {
			return nil, bad()
		}
	}
	var keys []string
	for p := first; p <= last; p++ {
		keys = append(keys, strconv.Itoa(p)+"/"+proto)
	}
	return keys, nil
}

// parsePort reads one port number, 1 to 65535, in decimal digits only: "+80" is refused, as -p
// and Docker's strconv.ParseUint refuse it.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}
