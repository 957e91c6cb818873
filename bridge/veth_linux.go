package bridge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/explain"
)

// containerIfName is the name of the container end of every veth pair.
const containerIfName = "eth0"

// nameAttempts bounds the retries when a random veth name is already taken.
const nameAttempts = 8

// Attach creates a veth pair whose peer is created directly in the network namespace at nsPath
// (named eth0, MAC(ip), ip/prefix, up, default route via the gateway, lo up); the host end is
// "veth"+7 hex digits, enslaved to the bridge and up. It returns the host end's name. On failure it
// removes what it made. The bridge must exist (Ensure).
func Attach(s Settings, nsPath string, ip net.IP) (string, error) {
	s, err := s.normalize()
	if err != nil {
		return "", fmt.Errorf("attach: %w", err)
	}
	subnet, gw, err := s.Network()
	if err != nil {
		return "", fmt.Errorf("attach: %w", err)
	}
	ip4 := ip.To4()
	if ip4 == nil || !subnet.Contains(ip4) || ip4.Equal(gw) || ip4.Equal(subnet.IP) || ip4.Equal(broadcast(subnet)) {
		return "", fmt.Errorf("attach: %v is not a container address of %s", ip, subnet)
	}
	br, err := linkByName(nil, s.Bridge)
	if err != nil {
		return "", fmt.Errorf("attach: find bridge %s (was the network set up?): %w", s.Bridge, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return "", fmt.Errorf("attach: open network namespace %s: %w", nsPath, err)
	}
	defer ns.Close()

	host, err := createVeth(s.Bridge, br.Attrs().Index, ns, nsPath, MAC(ip4))
	if err != nil {
		return "", fmt.Errorf("attach to %s: %w", nsPath, err)
	}
	if err := configure(host, ns, nsPath, &net.IPNet{IP: ip4, Mask: subnet.Mask}, gw); err != nil {
		if derr := Detach(host); derr != nil {
			err = errors.Join(err, derr)
		}
		return "", fmt.Errorf("attach to %s: %w", nsPath, err)
	}
	return host, nil
}

// createVeth creates the pair under a fresh random host name, the peer already in ns and enslaved in
// the same request, so that no half-placed eth0 is ever visible on the host.
func createVeth(bridgeName string, bridgeIndex int, ns netns.NsHandle, nsPath string, mac net.HardwareAddr) (string, error) {
	for range nameAttempts {
		name, err := randomVethName()
		if err != nil {
			return "", err
		}
		attrs := netlink.NewLinkAttrs()
		attrs.Name = name
		attrs.MasterIndex = bridgeIndex
		veth := &netlink.Veth{
			LinkAttrs:        attrs,
			PeerName:         containerIfName,
			PeerNamespace:    netlink.NsFd(int(ns)),
			PeerHardwareAddr: mac,
			PeerTxQLen:       -1, // keep the kernel's default rather than 0
		}
		err = netlink.LinkAdd(veth)
		if err == nil {
			// One netlink request does both; the shell needs two commands.
			explain.Command(append([]string{"ip", "link", "add", name, "type", "veth", "peer", "name", containerIfName, "address", mac.String(), "netns"}, netnsArg(nsPath)...)...)
			explain.Command("ip", "link", "set", name, "master", bridgeName)
			return name, nil
		}
		if errors.Is(err, unix.EEXIST) {
			if _, lerr := linkByName(nil, name); lerr == nil {
				continue // our random name is taken by someone else's device: try another
			}
			return "", fmt.Errorf("create veth %s: %s already exists in the namespace: %w", name, containerIfName, err)
		}
		// The pair may exist with only the enslaving failed; it is ours, so remove it.
		if _, lerr := linkByName(nil, name); lerr == nil {
			err = errors.Join(err, Detach(name))
		}
		return "", fmt.Errorf("create veth %s: %w", name, err)
	}
	return "", fmt.Errorf("create veth: no free random name after %d attempts", nameAttempts)
}

// configure brings up the host end and sets up the container side through a handle bound to ns, so
// no OS thread ever has to switch namespaces.
func configure(host string, ns netns.NsHandle, nsPath string, addr *net.IPNet, gw net.IP) error {
	in := func(args ...string) []string { return append(ipIn(nsPath), args...) }
	hl, err := linkByName(nil, host)
	if err != nil {
		return fmt.Errorf("find veth %s: %w", host, err)
	}
	explain.Command("ip", "link", "set", host, "up")
	if err := netlink.LinkSetUp(hl); err != nil {
		return fmt.Errorf("set veth %s up: %w", host, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink handle in namespace: %w", err)
	}
	defer h.Close()
	lo, err := linkByName(h, "lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	explain.Command(in("link", "set", "lo", "up")...)
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	eth, err := linkByName(h, containerIfName)
	if err != nil {
		return fmt.Errorf("find %s: %w", containerIfName, err)
	}
	explain.Command(in("addr", "add", addr.String(), "brd", "+", "dev", containerIfName)...)
	if err := h.AddrAdd(eth, &netlink.Addr{IPNet: addr}); err != nil {
		return fmt.Errorf("add address %s to %s: %w", addr, containerIfName, err)
	}
	explain.Command(in("link", "set", containerIfName, "up")...)
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("set %s up: %w", containerIfName, err)
	}
	def := &netlink.Route{
		LinkIndex: eth.Attrs().Index,
		Dst:       &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
		Gw:        gw,
	}
	explain.Command(in("route", "add", "default", "via", gw.String(), "dev", containerIfName)...)
	if err := h.RouteAdd(def); err != nil {
		return fmt.Errorf("add default route via %s: %w", gw, err)
	}
	return nil
}

// randomVethName returns "veth" and 7 random hex digits, as Docker names host ends.
func randomVethName() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random veth name: %w", err)
	}
	return "veth" + hex.EncodeToString(b[:])[:7], nil
}

// Detach deletes the host end of a veth pair (and so its peer). A missing device (or an empty
// name) is not an error; a device that is not a veth is refused rather than deleted.
func Detach(hostVeth string) error {
	if hostVeth == "" {
		return nil
	}
	l, err := linkByName(nil, hostVeth)
	if isLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find veth %s: %w", hostVeth, err)
	}
	if l.Type() != "veth" {
		return fmt.Errorf("delete veth %s: device is a %s, not a veth", hostVeth, l.Type())
	}
	// ENODEV: the pair vanished meanwhile, e.g. because its namespace was destroyed.
	explain.Command("ip", "link", "del", hostVeth)
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete veth %s: %w", hostVeth, err)
	}
	return nil
}

// vethGrace is how long Release waits for the kernel to remove a pair whose namespace lost its
// last user; seen here: 1 to 3 ms.
const vethGrace = 30 * time.Millisecond

// Release removes the pair of a container whose network namespace has just lost its last user (its
// processes are gone and its name unmounted). The kernel then frees the namespace and the pair with
// it, in the background and in one batch; deleting the pair by hand instead would make the caller
// wait for the kernel's synchronize_net, 15 to 20 ms. So Release waits up to vethGrace for the pair
// to vanish, and deletes it itself (Detach) only when it outlives that, as it does when something
// else still holds the namespace (an `ip netns exec` shell, a process that entered it).
func Release(hostVeth string) error {
	if hostVeth == "" {
		return nil
	}
	for deadline := time.Now().Add(vethGrace); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := linkByName(nil, hostVeth); isLinkNotFound(err) {
			return nil
		} else if err != nil {
			return fmt.Errorf("find veth %s: %w", hostVeth, err)
		}
	}
	return Detach(hostVeth)
}

// netnsArg names the namespace at nsPath for `ip link … netns`: its `ip netns` name, or the path
// of a process's namespace as /proc/PID/ns/net, which ip takes as a pid.
func netnsArg(nsPath string) []string {
	if name, ok := strings.CutPrefix(nsPath, "/run/netns/"); ok {
		return []string{name}
	}
	if pid, ok := strings.CutPrefix(nsPath, "/proc/"); ok {
		if p, _, ok := strings.Cut(pid, "/"); ok {
			return []string{p}
		}
	}
	return []string{nsPath}
}
