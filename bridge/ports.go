package bridge

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// Published ports (the spec's §6): planning is pure here; the runtime allocates host ports at
// start and keeps the rules in sync with its records.

// ErrPortAllocated: another container already publishes the host port.
var ErrPortAllocated = errors.New("port is already allocated")

// Publish is one -p value after parsing: a container port and where on the host it is published.
type Publish struct {
	HostIP        string // "0.0.0.0" unless given
	HostPort      int    // 0: choose one at start
	ContainerPort int
	Proto         string // "tcp" or "udp"
}

// Key is the container port in Docker's notation, "6379/tcp".
func (p Publish) Key() string { return strconv.Itoa(p.ContainerPort) + "/" + p.Proto }

// Binding is a published port as it is while the container runs: the host port is chosen.
type Binding struct {
	HostIP        string `json:"HostIp"`
	HostPort      int    `json:"HostPort"`
	ContainerPort int    `json:"ContainerPort"`
	Proto         string `json:"Proto"`
}

// Key is the container port in Docker's notation, "6379/tcp".
func (b Binding) Key() string { return strconv.Itoa(b.ContainerPort) + "/" + b.Proto }

// Host is "IP:PORT" on the host side.
func (b Binding) Host() string { return b.HostIP + ":" + strconv.Itoa(b.HostPort) }

// ParsePublish parses one -p value: CP, HP:CP, IP:HP:CP or IP::CP, each with an optional /tcp or
// /udp; a port may be a range A-B, which expands to one entry per port (a host range must be as
// long as the container range).
func ParsePublish(value string) ([]Publish, error) {
	spec, proto, hasProto := strings.Cut(value, "/")
	if !hasProto {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp":
	case "sctp":
		return nil, fmt.Errorf("invalid proto: %s (minilink publishes tcp and udp ports only)", proto)
	default:
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	var ip, hostPart, containerPart string
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		containerPart = parts[0]
	case 2:
		hostPart, containerPart = parts[0], parts[1]
	case 3:
		ip, hostPart, containerPart = parts[0], parts[1], parts[2]
	default:
		return nil, fmt.Errorf("invalid publish spec: %s", value)
	}
	if containerPart == "" {
		//lint:ignore ST1005 Docker's exact text
		return nil, fmt.Errorf("No port specified: %s<empty>", value)
	}
	switch parsed := net.ParseIP(ip); {
	case ip == "":
		ip = "0.0.0.0"
	case parsed == nil:
		//lint:ignore ST1005 Docker's exact text
		return nil, fmt.Errorf("Invalid ip address: %s", ip)
	case parsed.To4() == nil:
		return nil, fmt.Errorf("invalid ip address %s: minilink publishes on IPv4 addresses only", ip)
	}
	cFirst, cLast, err := parsePortRange(containerPart)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", containerPart)
	}
	hFirst, hLast := 0, 0
	if hostPart != "" {
		if hFirst, hLast, err = parsePortRange(hostPart); err != nil {
			return nil, fmt.Errorf("invalid hostPort: %s", hostPart)
		}
		if hLast-hFirst != cLast-cFirst {
			return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", containerPart, hostPart)
		}
	}
	var out []Publish
	for i := 0; i <= cLast-cFirst; i++ {
		p := Publish{HostIP: ip, ContainerPort: cFirst + i, Proto: proto}
		if hFirst != 0 {
			p.HostPort = hFirst + i
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePortRange(s string) (first, last int, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if first, err = parseOnePort(lo); err != nil {
		return 0, 0, err
	}
	last = first
	if isRange {
		if last, err = parseOnePort(hi); err != nil {
			return 0, 0, err
		}
		if last < first {
			return 0, 0, fmt.Errorf("invalid range %s", s)
		}
	}
	return first, last, nil
}

func parseOnePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// Ephemeral host ports for -P and for -p without a host port: Docker's default range.
const (
	FirstEphemeralPort = 32768
	LastEphemeralPort  = 60999
)

// AllocatePorts turns publications into bindings: explicit host ports are checked against those
// other containers publish (taken) and against the host (free reports whether a host socket
// could bind it); the others get the lowest free port of the ephemeral range, per protocol, in the
// order given. It is pure apart from what free does.
func AllocatePorts(pubs []Publish, taken []Binding, free func(ip string, port int, proto string) error) ([]Binding, error) {
	used := append([]Binding(nil), taken...)
	clash := func(ip string, port int, proto string) bool {
		for _, b := range used {
			if b.HostPort == port && b.Proto == proto && (b.HostIP == ip || b.HostIP == "0.0.0.0" || ip == "0.0.0.0") {
				return true
			}
		}
		return false
	}
	var out []Binding
	for _, p := range pubs {
		b := Binding(p)
		if b.HostPort != 0 {
			if clash(b.HostIP, b.HostPort, b.Proto) {
				//lint:ignore ST1005 Docker's exact text
				return nil, fmt.Errorf("Bind for %s failed: %w", b.Host(), ErrPortAllocated)
			}
			if err := free(b.HostIP, b.HostPort, b.Proto); err != nil {
				return nil, err
			}
		} else {
			for port := FirstEphemeralPort; ; port++ {
				if port > LastEphemeralPort {
					return nil, fmt.Errorf("no free host port for %s in %d-%d", p.Key(), FirstEphemeralPort, LastEphemeralPort)
				}
				if !clash(b.HostIP, port, b.Proto) && free(b.HostIP, port, b.Proto) == nil {
					b.HostPort = port
					break
				}
			}
		}
		used = append(used, b)
		out = append(out, b)
	}
	return out, nil
}

// SortBindings orders bindings as `minilink port` prints them: container port (tcp first), host
// IP, host port.
func SortBindings(bs []Binding) {
	sort.SliceStable(bs, func(i, j int) bool {
		a, b := bs[i], bs[j]
		if a.ContainerPort != b.ContainerPort {
			return a.ContainerPort < b.ContainerPort
		}
		if a.Proto != b.Proto {
			return a.Proto < b.Proto // "tcp" < "udp"
		}
		if a.HostIP != b.HostIP {
			return a.HostIP < b.HostIP
		}
		return a.HostPort < b.HostPort
	})
}

// PortRules are the §6 rules of one running container's bindings: a DNAT per binding in nat
// MINILINK, and an ACCEPT for DNAT'd traffic per container port in filter MINILINK.
func PortRules(bridgeName, containerIP string, bs []Binding) []Rule {
	var rules []Rule
	seen := map[string]bool{}
	for _, b := range bs {
		var spec []string
		if b.HostIP != "0.0.0.0" {
			spec = append(spec, "-d", b.HostIP+"/32")
		}
		spec = append(spec, "-p", b.Proto, "-m", b.Proto, "--dport", strconv.Itoa(b.HostPort),
			"-j", "DNAT", "--to-destination", containerIP+":"+strconv.Itoa(b.ContainerPort))
		rules = append(rules, Rule{Table: "nat", Chain: ChainName, Spec: spec})
	}
	for _, b := range bs {
		if seen[b.Key()] {
			continue
		}
		seen[b.Key()] = true
		rules = append(rules, Rule{Table: "filter", Chain: ChainName, Spec: []string{
			"-d", containerIP + "/32", "-o", bridgeName, "-p", b.Proto, "-m", b.Proto,
			"--dport", strconv.Itoa(b.ContainerPort), "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT",
		}})
	}
	return rules
}

// IsPortRule reports whether a rule in a MINILINK chain is a published-port rule: every rule of
// nat MINILINK is, and in filter MINILINK the ACCEPTs for DNAT'd traffic to bridgeName.
func IsPortRule(bridgeName string, r Rule) bool {
	if r.Chain != ChainName {
		return false
	}
	if r.Table == "nat" {
		return true
	}
	s := " " + strings.Join(r.Spec, " ") + " "
	return r.Table == "filter" && strings.Contains(s, " -o "+bridgeName+" ") &&
		strings.HasSuffix(s, " -m conntrack --ctstate DNAT -j ACCEPT ")
}
