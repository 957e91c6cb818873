package bridge

// API CONTRACT (stub written by the lead; the bridge helper replaces the bodies and may split files).

import (
	"net"
)

// DefaultName is the default bridge device.
const DefaultName = "minilink0"

// Settings are the persisted settings of the bridge network (<root>/network.json).
type Settings struct {
	Bridge  string `json:"bridge"`  // device name, "minilink0"
	Subnet  string `json:"subnet"`  // CIDR, "172.17.0.0/16"
	Gateway string `json:"gateway"` // first address of Subnet, "172.17.0.1"
	ICC     bool   `json:"icc"`     // inter-container communication; true by default
}

// LoadSettings reads <root>/network.json. When it does not exist yet, it chooses the subnet (the first
// of 172.17.0.0/16 … 172.31.0.0/16 that overlaps no route or interface address of the host, the
// bridge itself excluded), persists the new settings and returns them.
func LoadSettings(root string) (Settings, error) { return Settings{}, nil }

// SaveSettings writes <root>/network.json atomically.
func SaveSettings(root string, s Settings) error { return nil }

// ChooseSubnet returns the first default pool that overlaps none of inUse (pure).
func ChooseSubnet(inUse []*net.IPNet) (*net.IPNet, error) { return nil, nil }

// AllocateIP returns the lowest address of subnet after the gateway that is not in used and is not
// the broadcast address (pure).
func AllocateIP(subnet *net.IPNet, gateway net.IP, used []net.IP) (net.IP, error) { return nil, nil }

// MAC returns Docker's MAC for a container address: 02:42 followed by the four IPv4 bytes (pure).
func MAC(ip net.IP) net.HardwareAddr { return nil }

// Rule is one iptables rule in `iptables -S` terms.
type Rule struct {
	Table string   // "filter" or "nat"
	Chain string   // "FORWARD", "MINILINK", …
	Spec  []string // the rule after "-A CHAIN"
}

// String renders r as `iptables -t TABLE -S` prints it: "-A CHAIN spec…".
func (r Rule) String() string { return "" }

// BaseRules returns the spec's §5 base rules for s, in order (pure).
func BaseRules(s Settings) []Rule { return nil }

// Ensure makes the kernel match s: the bridge device up with the gateway address, the sysctls, the
// MINILINK chains and the base rules (the FORWARD block at the top, the icc rule after the jump).
// Idempotent. With ICC false it needs br_netfilter and fails with the spec's text otherwise.
func Ensure(s Settings) error { return nil }

// Attach creates a veth pair whose peer is created directly in the network namespace at nsPath
// (named eth0, MAC(ip), ip/prefix, up, default route via the gateway, lo up); the host end is
// "veth"+7 hex digits, enslaved to the bridge and up. It returns the host end's name. On failure it
// removes what it made.
func Attach(s Settings, nsPath string, ip net.IP) (string, error) { return "", nil }

// Detach deletes the host end of a veth pair (and so its peer). A missing device is not an error.
func Detach(hostVeth string) error { return nil }

// Remove deletes the bridge, the base rules and the MINILINK chains (tests and `network rm`). Idempotent.
func Remove(s Settings) error { return nil }
