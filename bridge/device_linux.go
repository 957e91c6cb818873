package bridge

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/explain"
)

// ErrBrNetfilter is returned by Ensure when icc is false and bridged traffic cannot be made to pass
// through iptables. Its text is the spec's.
var ErrBrNetfilter = errors.New("cannot restrict inter-container communication: please ensure that br_netfilter kernel module is loaded")

// sysctlRoot is where sysctls are written; tests point it elsewhere to simulate a kernel without
// br_netfilter.
var sysctlRoot = "/proc/sys"

// loadBrNetfilter asks the kernel for br_netfilter; a variable so tests can simulate its absence.
var loadBrNetfilter = func() error {
	modprobe, err := exec.LookPath("modprobe")
	if err != nil {
		return err
	}
	if out, err := exec.Command(modprobe, "br_netfilter").CombinedOutput(); err != nil {
		return fmt.Errorf("modprobe br_netfilter: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// hostNetworks lists the IPv4 networks the host uses: the destinations of its main routing table and
// the networks of its interface addresses. Whatever belongs to the bridge named exclude is left out,
// so that minilink's own subnet never counts against itself. Default routes are left out too: they
// "cover" everything and would rule out every pool.
func hostNetworks(exclude string) ([]*net.IPNet, error) {
	skip := -1
	if l, err := linkByName(nil, exclude); err == nil {
		skip = l.Attrs().Index
	} else if !isLinkNotFound(err) {
		return nil, fmt.Errorf("find bridge %s: %w", exclude, err)
	}
	routes, err := routeList(nil, nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	addrs, err := addrList(nil, nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	var nets []*net.IPNet
	for _, r := range routes {
		if r.LinkIndex == skip || r.Dst == nil {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue
		}
		nets = append(nets, r.Dst)
	}
	for _, a := range addrs {
		if a.LinkIndex == skip || a.IPNet == nil {
			continue
		}
		nets = append(nets, a.IPNet)
	}
	return nets, nil
}

// ensureBridge makes the bridge device exist, hold exactly the gateway address among its IPv4
// addresses (a previous subnet's address is removed) and be up. It returns the device.
func ensureBridge(name string, subnet *net.IPNet, gw net.IP) (netlink.Link, error) {
	br, err := linkByName(nil, name)
	if isLinkNotFound(err) {
		br, err = createBridge(name)
	}
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", name, err)
	}
	if br.Type() != "bridge" {
		return nil, fmt.Errorf("device %s exists but is a %s, not a bridge", name, br.Type())
	}
	want := &net.IPNet{IP: gw, Mask: subnet.Mask}
	addrs, err := addrList(nil, br, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", name, err)
	}
	found := false
	for _, a := range addrs {
		if a.IPNet.String() == want.String() {
			found = true
			continue
		}
		explain.Command("ip", "addr", "del", a.IPNet.String(), "dev", name)
		if err := netlink.AddrDel(br, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return nil, fmt.Errorf("remove stale address %s from bridge %s: %w", a.IPNet, name, err)
		}
	}
	if !found {
		// netlink fills in the broadcast address, as `brd +` does.
		explain.Command("ip", "addr", "add", want.String(), "brd", "+", "dev", name)
		if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: want}); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("add address %s to bridge %s: %w", want, name, err)
		}
	}
	if br.Attrs().Flags&net.FlagUp == 0 {
		explain.Command("ip", "link", "set", name, "up")
		if err := netlink.LinkSetUp(br); err != nil {
			return nil, fmt.Errorf("set bridge %s up: %w", name, err)
		}
	}
	return br, nil
}

// createBridge adds the bridge with a fixed random MAC. Without one the kernel gives the bridge the
// lowest MAC of its ports, so it would change as containers come and go and stale ARP entries in
// the containers would cut them off the gateway for a while.
func createBridge(name string) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	attrs.HardwareAddr = randomMAC()
	explain.Command("ip", "link", "add", name, "address", attrs.HardwareAddr.String(), "type", "bridge")
	err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs})
	// EEXIST: another process created it in between, which is just as good.
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("create: %w", err)
	}
	return linkByName(nil, name)
}

// randomMAC returns a random unicast, locally administered MAC address.
func randomMAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	_, _ = rand.Read(mac) // crypto/rand.Read never fails on Linux
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

// removeBridge deletes the bridge device; a missing one is fine.
func removeBridge(name string) error {
	br, err := linkByName(nil, name)
	if isLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find bridge %s: %w", name, err)
	}
	explain.Command("ip", "link", "del", name)
	if err := netlink.LinkDel(br); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}

// ensureSysctls turns on forwarding and lets DNAT to containers work for connections to 127.0.0.1
// (route_localnet on the bridge, which must exist by then).
func ensureSysctls(bridge string) error {
	if err := setSysctl("net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	return setSysctl(filepath.Join("net/ipv4/conf", bridge, "route_localnet"), "1")
}

// ensureBrNetfilter makes bridged traffic pass through iptables, without which the icc DROP between
// two ports of the bridge would never be consulted. It fails with ErrBrNetfilter.
func ensureBrNetfilter() error {
	const callIptables = "net/bridge/bridge-nf-call-iptables"
	if _, err := os.Stat(filepath.Join(sysctlRoot, callIptables)); err != nil {
		// The file appears once br_netfilter is loaded; the module may well be built in.
		if err := loadBrNetfilter(); err != nil {
			return fmt.Errorf("%w (%v)", ErrBrNetfilter, err)
		}
		if _, err := os.Stat(filepath.Join(sysctlRoot, callIptables)); err != nil {
			return ErrBrNetfilter
		}
	}
	if err := setSysctl(callIptables, "1"); err != nil {
		return fmt.Errorf("%w: %w", ErrBrNetfilter, err)
	}
	return nil
}

// setSysctl writes value to a sysctl under /proc/sys unless it already holds it, so that a read-only
// /proc/sys does not fail a setting that is already right.
func setSysctl(name, value string) error {
	path := filepath.Join(sysctlRoot, name)
	if cur, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(cur)) == value {
		return nil
	}
	explain.Command("sysctl", "-w", strings.ReplaceAll(name, "/", ".")+"="+value)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w", strings.ReplaceAll(name, "/", "."), value, err)
	}
	return nil
}
