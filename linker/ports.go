package linker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Port is one exposed port of a child.
type Port struct {
	Num   int
	Proto string // "tcp", "udp" or "sctp"
}

// String renders p as an ExposedPorts key, "6379/tcp".
func (p Port) String() string {
	return strconv.Itoa(p.Num) + "/" + p.Proto
}

// ParsePort parses one ExposedPorts key: "6379/tcp", "53/udp", "9000/sctp"; a key without "/" is tcp,
// as in Docker. The protocol is lower-cased because env names upper-case it anyway and iptables wants
// it lower-case. Ranges are not accepted: the runtime stores them expanded.
func ParsePort(key string) (Port, error) {
	num, proto, found := strings.Cut(key, "/")
	if !found {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return Port{}, fmt.Errorf("invalid exposed port %q: protocol must be tcp, udp or sctp", key)
	}
	// Only plain digits: strconv.Atoi would also take "+80", which no port key spells.
	if num == "" || strings.ContainsFunc(num, func(r rune) bool { return r < '0' || r > '9' }) {
		return Port{}, fmt.Errorf("invalid exposed port %q: not a port number", key)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 {
		return Port{}, fmt.Errorf("invalid exposed port %q: port must be between 1 and 65535", key)
	}
	return Port{Num: n, Proto: proto}, nil
}

// SortedPorts parses the keys of an ExposedPorts map and returns them in §3's port order (see
// ComparePorts). Two keys naming the same port ("80" and "80/tcp") yield it once, so that no
// variable block or iptables pair is doubled. The first invalid key, in sorted key order so the
// error is deterministic, is returned as the error.
func SortedPorts(exposed map[string]struct{}) ([]Port, error) {
	keys := make([]string, 0, len(exposed))
	for k := range exposed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ports := make([]Port, 0, len(keys))
	for _, k := range keys {
		p, err := ParsePort(k)
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	slices.SortFunc(ports, ComparePorts)
	return slices.Compact(ports), nil
}

// ComparePorts orders ports as §3 requires: ascending number, and on a tie tcp, then udp, then sctp.
// It suits slices.SortFunc for callers that build a port list themselves.
func ComparePorts(a, b Port) int {
	if a.Num != b.Num {
		return a.Num - b.Num
	}
	return protoRank(a.Proto) - protoRank(b.Proto)
}

// protoRank puts tcp first on a tie, as Docker's withTCPPriority does; unknown protocols sort last
// so that a hand-built Port cannot make the order depend on the input order.
func protoRank(proto string) int {
	switch proto {
	case "tcp":
		return 0
	case "udp":
		return 1
	case "sctp":
		return 2
	}
	return 3
}

// sortedCopy returns ports in §3's order without modifying the caller's slice.
func sortedCopy(ports []Port) []Port {
	s := slices.Clone(ports)
	slices.SortStableFunc(s, ComparePorts)
	return s
}
