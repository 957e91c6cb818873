package runtime

import (
	"bytes"
	"net"
	"sort"
	"strings"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/linker"
)

// NetworkPicture is the bridge network as the records describe it, checked against the kernel:
// what `network show` draws.
type NetworkPicture struct {
	Settings     bridge.Settings
	BridgeExists bool
	Members      []Member
	Links        []LinkState
	ExtraPorts   []string // devices on the bridge that no container owns
	ExtraRules   []string // MINILINK rules that no running container or link needs
}

// Member is one running container on the bridge.
type Member struct {
	Name, IP, HostVeth string
	VethOnBridge       bool // the host end is in the kernel, enslaved to the bridge
	Exposed            []string
	Published          []bridge.Binding
}

// LinkState is one link of a running parent, with its rules.
type LinkState struct {
	Parent, Child, Alias string
	ChildRunning         bool
	Ports                []string
	WantRules, HaveRules int // per-link ACCEPT rules expected (icc=false) and found
}

// NetworkShow gathers the picture.
func (r *Runtime) NetworkShow() (NetworkPicture, error) {
	all, err := r.List()
	if err != nil {
		return NetworkPicture{}, err
	}
	s, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return NetworkPicture{}, err
	}
	p := NetworkPicture{Settings: s}
	exists, ports, err := bridge.BridgePorts(s)
	if err != nil {
		return p, err
	}
	p.BridgeExists = exists
	onBridge := map[string]bool{}
	for _, port := range ports {
		onBridge[port] = true
	}
	var have []bridge.Rule
	for _, table := range []string{"filter", "nat"} {
		rules, err := bridge.ListRules(table, bridge.ChainName)
		if err != nil {
			return p, err
		}
		have = append(have, rules...)
	}
	present := map[string]bool{}
	for _, rule := range have {
		present[rule.Table+" "+rule.String()] = true
	}
	needed := map[string]bool{}
	owned := map[string]bool{}
	for _, c := range all {
		if !c.State.Running() || c.Network.IPAddress == "" {
			continue
		}
		m := Member{Name: c.Name, IP: c.Network.IPAddress, HostVeth: c.Network.HostVeth, VethOnBridge: onBridge[c.Network.HostVeth], Published: c.Network.Ports}
		owned[c.Network.HostVeth] = true
		ports, _ := linker.SortedPorts(c.Config.ExposedPorts)
		for _, port := range ports {
			m.Exposed = append(m.Exposed, port.String())
		}
		p.Members = append(p.Members, m)
		for _, rule := range bridge.PortRules(s.Bridge, c.Network.IPAddress, c.Network.Ports) {
			needed[rule.Table+" "+rule.String()] = true
		}
		for _, l := range c.HostConfig.Links {
			ls := LinkState{Parent: c.Name, Child: l.Child, Alias: l.Alias}
			if child := byName(all, l.Child); child != nil {
				child = netnsOwner(all, child)
				ls.ChildRunning = child.State.Running() && child.Network.IPAddress != ""
				cports, _ := linker.SortedPorts(child.Config.ExposedPorts)
				for _, port := range cports {
					ls.Ports = append(ls.Ports, port.String())
				}
				if ls.ChildRunning && !s.ICC {
					for _, rule := range linker.Rules(s.Bridge, c.Network.IPAddress, child.Network.IPAddress, cports) {
						key := rule.Table + " " + rule.String()
						needed[key] = true
						ls.WantRules++
						if present[key] {
							ls.HaveRules++
						}
					}
				}
			}
			p.Links = append(p.Links, ls)
		}
	}
	for _, port := range ports {
		if !owned[port] {
			p.ExtraPorts = append(p.ExtraPorts, port)
		}
	}
	for _, rule := range have {
		key := rule.Table + " " + rule.String()
		isOurs := rule.Table == "nat" || linker.IsLinkRule(s.Bridge, rule.String()) || bridge.IsPortRule(s.Bridge, rule)
		if isOurs && !needed[key] {
			p.ExtraRules = append(p.ExtraRules, strings.TrimSpace("-t "+rule.Table+" "+rule.String()))
		}
	}
	sort.Slice(p.Members, func(i, j int) bool {
		return bytes.Compare(net.ParseIP(p.Members[i].IP).To4(), net.ParseIP(p.Members[j].IP).To4()) < 0
	})
	return p, nil
}
