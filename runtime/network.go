package runtime

import (
	"fmt"
	"net"
	"strings"

	"github.com/minilink/minilink/bridge"
)

// NetworkView is `network inspect`: the bridge's settings and the containers on it.
type NetworkView struct {
	Name       string                   `json:"Name"`
	Driver     string                   `json:"Driver"`
	Bridge     string                   `json:"Bridge"`
	Subnet     string                   `json:"Subnet"`
	Gateway    string                   `json:"Gateway"`
	ICC        bool                     `json:"ICC"`
	Containers map[string]NetworkMember `json:"Containers"`
}

// NetworkMember is one running container on the bridge.
type NetworkMember struct {
	Name        string `json:"Name"`
	IPv4Address string `json:"IPv4Address"`
	MacAddress  string `json:"MacAddress"`
	HostVeth    string `json:"HostVeth"`
}

// NetworkInspect describes the bridge network.
func (r *Runtime) NetworkInspect() (NetworkView, error) {
	unlock, err := r.lock()
	if err != nil {
		return NetworkView{}, err
	}
	defer unlock()
	all, err := r.currentLocked()
	if err != nil {
		return NetworkView{}, err
	}
	s, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return NetworkView{}, err
	}
	v := NetworkView{Name: "bridge", Driver: "bridge", Bridge: s.Bridge, Subnet: s.Subnet, Gateway: s.Gateway, ICC: s.ICC,
		Containers: map[string]NetworkMember{}}
	for _, c := range all {
		if c.State.Running() && c.Network.IPAddress != "" {
			v.Containers[c.ID] = NetworkMember{
				Name:        c.Name,
				IPv4Address: fmt.Sprintf("%s/%d", c.Network.IPAddress, c.Network.IPPrefixLen),
				MacAddress:  c.Network.MacAddress,
				HostVeth:    c.Network.HostVeth,
			}
		}
	}
	return v, nil
}

// NetworkSet changes the persisted bridge settings and applies them to the kernel at once. A nil
// icc, an empty subnet or bridge name leaves that setting as it is. The subnet and the bridge
// cannot change while containers run on the bridge, since their addresses and veths hang on them.
func (r *Runtime) NetworkSet(icc *bool, subnet, bridgeName string) (bridge.Settings, error) {
	unlock, err := r.lock()
	if err != nil {
		return bridge.Settings{}, err
	}
	defer unlock()
	all, err := r.currentLocked()
	if err != nil {
		return bridge.Settings{}, err
	}
	old, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return bridge.Settings{}, err
	}
	s := old
	if icc != nil {
		s.ICC = *icc
	}
	// Validate everything first, then check that nothing runs, then change the kernel.
	changeBridge := bridgeName != "" && bridgeName != old.Bridge
	changeSubnet := subnet != "" && subnet != old.Subnet
	if changeBridge {
		if len(bridgeName) > 15 || strings.ContainsAny(bridgeName, "/ \t\n:") {
			return old, userError(ErrInvalidArgument, "invalid bridge name %q: at most 15 characters, no '/', ':' or spaces", bridgeName)
		}
		s.Bridge = bridgeName
	}
	if changeSubnet {
		ip, n, err := net.ParseCIDR(subnet)
		if err != nil || ip.To4() == nil {
			return old, userError(ErrInvalidArgument, "invalid subnet %s: an IPv4 CIDR such as 172.18.0.0/16 is expected", subnet)
		}
		if ones, _ := n.Mask.Size(); ones > 30 {
			return old, userError(ErrInvalidArgument, "invalid subnet %s: too small for a gateway and a container", subnet)
		}
		gw := make(net.IP, 4)
		copy(gw, n.IP.To4())
		gw[3]++
		s.Subnet, s.Gateway = n.String(), gw.String()
	}
	if changeBridge || changeSubnet {
		for _, c := range all {
			if c.State.Running() && c.Network.IPAddress != "" {
				return old, userError(ErrRunning, "cannot change network settings while containers are running")
			}
		}
		// The old bridge holds the old gateway address and the base rules name the old subnet.
		if err := bridge.Remove(old); err != nil {
			return old, err
		}
	}
	rules, err := r.rulesetLocked()
	if err != nil {
		return old, fmt.Errorf("%w: %w", ErrHostNotReady, err)
	}
	if err := bridge.Ensure(s, rules); err != nil {
		return old, fmt.Errorf("%w: %w", ErrHostNotReady, err)
	}
	if err := bridge.SaveSettings(r.Root, s); err != nil {
		return old, err
	}
	// The per-link rules exist only under icc=false: add or remove those of running links.
	return s, r.syncRulesLocked(nil, nil)
}
