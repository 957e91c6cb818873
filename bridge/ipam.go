package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
)

// ErrNoAvailablePool is returned by ChooseSubnet (and so LoadSettings) when every default pool
// overlaps a network in use. Its text is the spec's.
var ErrNoAvailablePool = errors.New("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")

// ErrNoFreeAddress is returned (wrapped) by AllocateIP when every host address of the subnet is taken.
var ErrNoFreeAddress = errors.New("no free IPv4 address")

// defaultPools are Docker's default bridge pools, in the order it tries them.
func defaultPools() []*net.IPNet {
	pools := make([]*net.IPNet, 0, 15)
	for b := 17; b <= 31; b++ {
		pools = append(pools, &net.IPNet{IP: net.IPv4(172, byte(b), 0, 0).To4(), Mask: net.CIDRMask(16, 32)})
	}
	return pools
}

// ChooseSubnet returns the first default pool (172.17.0.0/16 … 172.31.0.0/16) that overlaps none of
// inUse (pure). Nil and non-IPv4 entries are ignored.
func ChooseSubnet(inUse []*net.IPNet) (*net.IPNet, error) {
next:
	for _, pool := range defaultPools() {
		for _, n := range inUse {
			if n != nil && overlaps(pool, n) {
				continue next
			}
		}
		return pool, nil
	}
	return nil, ErrNoAvailablePool
}

// overlaps reports whether a and b share an address. Two CIDR blocks overlap exactly when one
// contains the other's first address.
func overlaps(a, b *net.IPNet) bool {
	a, b = ipv4Net(a), ipv4Net(b)
	if a == nil || b == nil {
		return false
	}
	return a.Contains(b.IP) || b.Contains(a.IP)
}

// ipv4Net returns n in 4-byte network form, or nil when n is not IPv4. Masks may come 16 bytes
// long from callers that built them for IPv4-in-IPv6 addresses.
func ipv4Net(n *net.IPNet) *net.IPNet {
	if n == nil {
		return nil
	}
	ip4, mask := n.IP.To4(), n.Mask
	if len(mask) == net.IPv6len {
		mask = mask[12:]
	}
	if ip4 == nil || len(mask) != net.IPv4len {
		return nil
	}
	return &net.IPNet{IP: ip4.Mask(mask), Mask: mask}
}

// AllocateIP returns the lowest address of subnet after the gateway that is not in used and is not
// the broadcast address (pure). The network address and the gateway are never returned, wherever
// the gateway sits. When nothing is free the error wraps ErrNoFreeAddress.
func AllocateIP(subnet *net.IPNet, gateway net.IP, used []net.IP) (net.IP, error) {
	n := ipv4Net(subnet)
	if n == nil {
		return nil, fmt.Errorf("allocate IP: subnet %v is not IPv4", subnet)
	}
	taken := make(map[uint32]bool, len(used)+1)
	for _, ip := range used {
		if ip4 := ip.To4(); ip4 != nil {
			taken[toUint(ip4)] = true
		}
	}
	if gw := gateway.To4(); gw != nil {
		taken[toUint(gw)] = true
	}
	// Computed in uint64 so that a /0 or /32 cannot wrap around.
	first := uint64(toUint(n.IP)) + 1
	bcast := uint64(toUint(broadcast(n)))
	for a := first; a < bcast; a++ {
		if !taken[uint32(a)] {
			return fromUint(uint32(a)), nil
		}
	}
	return nil, fmt.Errorf("allocate IP in %s: %w", n, ErrNoFreeAddress)
}

// MAC returns Docker's MAC for a container address: 02:42 followed by the four IPv4 bytes (pure).
// It returns nil for an address that is not IPv4.
func MAC(ip net.IP) net.HardwareAddr {
	ip4 := ip.To4()
	if ip4 == nil {
		return nil
	}
	return net.HardwareAddr{0x02, 0x42, ip4[0], ip4[1], ip4[2], ip4[3]}
}

// broadcast returns the last address of an IPv4 subnet.
func broadcast(n *net.IPNet) net.IP {
	ip := n.IP.To4()
	out := make(net.IP, net.IPv4len)
	for i := range out {
		out[i] = ip[i] | ^n.Mask[i]
	}
	return out
}

// offset returns the IPv4 address d after ip.
func offset(ip net.IP, d uint32) net.IP {
	return fromUint(toUint(ip.To4()) + d)
}

func toUint(ip4 net.IP) uint32 { return binary.BigEndian.Uint32(ip4) }

func fromUint(n uint32) net.IP {
	ip := make(net.IP, net.IPv4len)
	binary.BigEndian.PutUint32(ip, n)
	return ip
}
