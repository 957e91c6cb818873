package bridge

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The kernel tests create bridges, veths and iptables rules. They must never do so in the host's
// namespace, and iptables (a child process) only sees the namespace of the whole process, so they
// rely on `make test` running them under `unshare --net --mount --fork`, which sets
// MINILINK_TEST_NETNS=1.
func skipUnlessRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("kernel tests need root")
	}
	if os.Getenv("MINILINK_TEST_NETNS") != "1" {
		t.Skip("kernel tests run inside the private namespace of make test")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("kernel tests need iptables")
	}
	// Every test starts and ends with nothing of ours in the namespace.
	cleanup := func() {
		for _, s := range []Settings{testSettings(true), {Bridge: "mltest1", Subnet: "172.30.0.0/16", ICC: true}} {
			if err := Remove(s); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	}
	cleanup()
	t.Cleanup(cleanup)
}

func testSettings(icc bool) Settings {
	return Settings{Bridge: DefaultName, Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: icc}
}

// iptablesS returns `iptables [-t table] -S [chain]` split into lines.
func iptablesS(t *testing.T, table string, chain ...string) []string {
	t.Helper()
	args := append([]string{"-t", table, "-S"}, chain...)
	out, err := exec.Command("iptables", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func iptablesRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
}

func compareLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n--- got\n%s\n--- want\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var (
	defaultFilter = []string{"-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"}
	defaultNat    = []string{"-P PREROUTING ACCEPT", "-P INPUT ACCEPT", "-P OUTPUT ACCEPT", "-P POSTROUTING ACCEPT"}
)

// wantTables is the full `iptables -S` / `iptables -t nat -S` output on an otherwise empty namespace,
// built from the spec's golden text, with extra filter rules after the FORWARD block.
func wantTables(icc bool, extraForward ...string) (filter, nat []string) {
	filter = append(append([]string(nil), defaultFilter...), "-N MINILINK")
	nat = append(append([]string(nil), defaultNat...), "-N MINILINK")
	for _, l := range specRules(icc) {
		table, rule, _ := strings.Cut(l, " ")
		if table == "filter" {
			filter = append(filter, rule)
		} else {
			nat = append(nat, rule)
		}
	}
	filter = append(filter, extraForward...)
	return filter, nat
}

func readSysctl(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc/sys", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestEnsureIdempotent(t *testing.T) {
	skipUnlessRoot(t)
	s := testSettings(true)
	for i := range 2 {
		if err := Ensure(s, nil); err != nil {
			t.Fatalf("Ensure #%d: %v", i+1, err)
		}
	}
	f, n := wantTables(true)
	compareLines(t, "filter", iptablesS(t, "filter"), f)
	compareLines(t, "nat", iptablesS(t, "nat"), n)

	br, err := netlink.LinkByName(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	if br.Type() != "bridge" || br.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("bridge %s: type %s flags %v", DefaultName, br.Type(), br.Attrs().Flags)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "172.17.0.1/16" {
		t.Errorf("bridge addresses %v, %v; want only 172.17.0.1/16", addrs, err)
	}
	if v := readSysctl(t, "net/ipv4/ip_forward"); v != "1" {
		t.Errorf("ip_forward = %s", v)
	}
	if v := readSysctl(t, "net/ipv4/conf/minilink0/route_localnet"); v != "1" {
		t.Errorf("route_localnet = %s", v)
	}

	if err := Remove(s); err != nil {
		t.Fatal(err)
	}
	if err := Remove(s); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	compareLines(t, "filter after Remove", iptablesS(t, "filter"), defaultFilter)
	compareLines(t, "nat after Remove", iptablesS(t, "nat"), defaultNat)
	if _, err := netlink.LinkByName(DefaultName); err == nil {
		t.Error("bridge still exists after Remove")
	}
}

func TestEnsureRepairsForwardBlock(t *testing.T) {
	skipUnlessRoot(t)
	s := testSettings(true)
	foreign := "-A FORWARD -i eth9 -j ACCEPT"
	iptablesRun(t, "-A", "FORWARD", "-i", "eth9", "-j", "ACCEPT")
	t.Cleanup(func() { exec.Command("iptables", "-D", "FORWARD", "-i", "eth9", "-j", "ACCEPT").Run() })
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	f, n := wantTables(true, foreign)
	compareLines(t, "filter with a foreign rule present before", iptablesS(t, "filter"), f)

	// A foreign rule pushed to the top, one of ours deleted and another duplicated at the bottom.
	iptablesRun(t, "-D", "FORWARD", "-i", "eth9", "-j", "ACCEPT")
	iptablesRun(t, "-I", "FORWARD", "1", "-i", "eth9", "-j", "ACCEPT")
	iptablesRun(t, "-D", "FORWARD", "-i", "minilink0", "!", "-o", "minilink0", "-j", "ACCEPT")
	iptablesRun(t, "-A", "FORWARD", "-o", "minilink0", "-j", "MINILINK")
	iptablesRun(t, "-t", "nat", "-D", "POSTROUTING", "-o", "minilink0", "-m", "addrtype", "--src-type", "LOCAL", "-j", "MASQUERADE")
	// Something in MINILINK (later a link or port rule) must survive Ensure.
	inChain := "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT"
	iptablesRun(t, strings.Fields(inChain)...)
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	f = append([]string(nil), f...)
	// The MINILINK rule prints after the FORWARD rules, the foreign rule after our block.
	f = append(f, inChain)
	compareLines(t, "filter after repair", iptablesS(t, "filter"), f)
	got := iptablesS(t, "nat")
	if len(got) != len(n) {
		t.Errorf("nat after repair has %d lines, want %d:\n%s", len(got), len(n), strings.Join(got, "\n"))
	}
	for _, r := range BaseRules(s)[4:] {
		if c := count(got, r.String()); c != 1 {
			t.Errorf("nat rule %q present %d times", r, c)
		}
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

func TestEnsureICCSwap(t *testing.T) {
	skipUnlessRoot(t)
	foreign := "-A FORWARD -i eth9 -j ACCEPT"
	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	iptablesRun(t, "-A", "FORWARD", "-i", "eth9", "-j", "ACCEPT")
	t.Cleanup(func() { exec.Command("iptables", "-D", "FORWARD", "-i", "eth9", "-j", "ACCEPT").Run() })
	const callIptables = "/proc/sys/net/bridge/bridge-nf-call-iptables"
	if err := os.WriteFile(callIptables, []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := Ensure(testSettings(false), nil); err != nil {
		t.Fatal(err)
	}
	f, _ := wantTables(false, foreign)
	compareLines(t, "filter with icc=false", iptablesS(t, "filter"), f)
	if v := readSysctl(t, "net/bridge/bridge-nf-call-iptables"); v != "1" {
		t.Errorf("bridge-nf-call-iptables = %s", v)
	}
	if err := Ensure(testSettings(false), nil); err != nil {
		t.Fatal(err)
	}
	compareLines(t, "filter with icc=false, again", iptablesS(t, "filter"), f)

	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	f, _ = wantTables(true, foreign)
	compareLines(t, "filter back to icc=true", iptablesS(t, "filter"), f)
}

func TestEnsureSubnetChange(t *testing.T) {
	skipUnlessRoot(t)
	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	s := Settings{Bridge: DefaultName, Subnet: "172.18.0.0/16", ICC: true}
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	_, n := wantTables(true)
	for i := range n {
		n[i] = strings.ReplaceAll(n[i], "172.17.0.0/16", "172.18.0.0/16")
	}
	compareLines(t, "nat after a subnet change", iptablesS(t, "nat"), n)
	br, _ := netlink.LinkByName(DefaultName)
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "172.18.0.1/16" {
		t.Errorf("bridge addresses %v, %v; want only 172.18.0.1/16", addrs, err)
	}
	if err := Remove(s); err != nil {
		t.Fatal(err)
	}
}

func TestTwoBridgesCoexist(t *testing.T) {
	skipUnlessRoot(t)
	other := Settings{Bridge: "mltest1", Subnet: "172.30.0.0/16", ICC: false}
	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(other, nil); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	forward := iptablesS(t, "filter", "FORWARD")
	for _, r := range append(BaseRules(testSettings(true))[:4], BaseRules(other)[:4]...) {
		if c := count(forward, r.String()); c != 1 {
			t.Errorf("%q present %d times:\n%s", r, c, strings.Join(forward, "\n"))
		}
	}
	if err := Remove(other); err != nil {
		t.Fatal(err)
	}
	f, n := wantTables(true)
	compareLines(t, "filter after removing the other bridge", iptablesS(t, "filter"), f)
	// The chains are shared, so removing one network removes them: Ensure puts them back.
	if err := Ensure(testSettings(true), nil); err != nil {
		t.Fatal(err)
	}
	compareLines(t, "nat", iptablesS(t, "nat"), n)
}

// nsProc is a process sleeping in a network namespace of its own.
type nsProc struct {
	cmd  *exec.Cmd
	path string
}

func newNS(t *testing.T) *nsProc {
	t.Helper()
	cmd := exec.Command("unshare", "--net", "sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nsProc{cmd: cmd, path: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// unshare execs sleep once the namespace exists; wait until it differs from ours.
	self, _ := os.Readlink("/proc/self/ns/net")
	for range 200 {
		if l, err := os.Readlink(p.path); err == nil && l != self {
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid)); strings.HasSuffix(exe, "sleep") {
				return p
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("namespace child did not start")
	return nil
}

// inNS runs fn on a thread switched into the namespace at path. The thread is never switched back:
// the goroutine ends locked, so the runtime discards the thread. Sockets made in fn stay in the
// namespace wherever they are used later.
func inNS(t *testing.T, path string, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

var vethName = regexp.MustCompile(`^veth[0-9a-f]{7}$`)

func checkAttached(t *testing.T, ns *nsProc, host string, ip string) {
	t.Helper()
	if !vethName.MatchString(host) {
		t.Errorf("host end %q does not match %s", host, vethName)
	}
	br, err := netlink.LinkByName(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	hl, err := netlink.LinkByName(host)
	if err != nil {
		t.Fatalf("host end: %v", err)
	}
	if hl.Type() != "veth" || hl.Attrs().MasterIndex != br.Attrs().Index || hl.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("host end %s: type %s master %d (bridge %d) flags %v", host, hl.Type(), hl.Attrs().MasterIndex, br.Attrs().Index, hl.Attrs().Flags)
	}

	handle, err := netns.GetFromPath(ns.path)
	if err != nil {
		t.Fatal(err)
	}
	defer handle.Close()
	h, err := netlink.NewHandleAt(handle)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("lo: %v, %v", lo, err)
	}
	eth, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatalf("eth0: %v", err)
	}
	if got, want := eth.Attrs().HardwareAddr.String(), MAC(net.ParseIP(ip)).String(); got != want {
		t.Errorf("eth0 MAC %s, want %s", got, want)
	}
	if eth.Attrs().Flags&net.FlagUp == 0 {
		t.Error("eth0 is down")
	}
	addrs, err := h.AddrList(eth, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != ip+"/16" {
		t.Errorf("eth0 addresses %v, %v; want %s/16", addrs, err, ip)
	}
	routes, err := h.RouteList(eth, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var def bool
	for _, r := range routes {
		if ones, _ := r.Dst.Mask.Size(); ones == 0 && r.Gw.Equal(net.ParseIP("172.17.0.1")) {
			def = true
		}
	}
	if !def {
		t.Errorf("no default route via 172.17.0.1: %v", routes)
	}
}

func TestAttachDetach(t *testing.T) {
	skipUnlessRoot(t)
	s := testSettings(true)
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	a, b := newNS(t), newNS(t)
	hostA, err := Attach(s, a.path, net.ParseIP("172.17.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Detach(hostA) })
	hostB, err := Attach(s, b.path, net.ParseIP("172.17.0.3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Detach(hostB) })
	checkAttached(t, a, hostA, "172.17.0.2")
	checkAttached(t, b, hostB, "172.17.0.3")

	// ping across the bridge, and to the gateway.
	if busybox, err := exec.LookPath("busybox"); err == nil {
		for _, dst := range []string{"172.17.0.3", "172.17.0.1"} {
			out, err := exec.Command("nsenter", "--net="+a.path, busybox, "ping", "-c1", "-W2", dst).CombinedOutput()
			if err != nil {
				t.Errorf("ping %s from a: %v\n%s", dst, err, out)
			}
		}
	}

	// TCP from a to b.
	var ln net.Listener
	if err := inNS(t, b.path, func() (err error) {
		ln, err = net.Listen("tcp4", "172.17.0.3:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "hello from b\n")
		c.Close()
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	var reply []byte
	if err := inNS(t, a.path, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp4", "172.17.0.3:"+strconv.Itoa(port))
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		reply, err = io.ReadAll(c)
		return err
	}); err != nil {
		t.Fatalf("TCP a -> b: %v", err)
	}
	if string(reply) != "hello from b\n" {
		t.Errorf("TCP reply %q", reply)
	}

	for i := range 2 {
		if err := Detach(hostA); err != nil {
			t.Fatalf("Detach #%d: %v", i+1, err)
		}
	}
	if _, err := netlink.LinkByName(hostA); err == nil {
		t.Error("host end still exists after Detach")
	}
	if err := inNS(t, a.path, func() error {
		if _, err := netlink.LinkByName("eth0"); err == nil {
			return fmt.Errorf("eth0 still exists")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if err := Detach(""); err != nil {
		t.Errorf("Detach(\"\"): %v", err)
	}
	if err := Detach(DefaultName); err == nil {
		t.Error("Detach deleted a bridge")
	}
}

func TestAttachFailuresLeaveNothing(t *testing.T) {
	skipUnlessRoot(t)
	s := testSettings(true)
	// No bridge yet.
	a := newNS(t)
	if _, err := Attach(s, a.path, net.ParseIP("172.17.0.2")); err == nil {
		t.Error("Attach without a bridge succeeded")
	}
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"172.18.0.2", "172.17.0.1", "172.17.255.255", "172.17.0.0"} {
		if _, err := Attach(s, a.path, net.ParseIP(ip)); err == nil {
			t.Errorf("Attach with %s succeeded", ip)
		}
	}
	if _, err := Attach(s, "/nonexistent/ns", net.ParseIP("172.17.0.2")); err == nil {
		t.Error("Attach into a missing namespace succeeded")
	}
	host, err := Attach(s, a.path, net.ParseIP("172.17.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Detach(host) })
	// eth0 already exists in a.
	if _, err := Attach(s, a.path, net.ParseIP("172.17.0.3")); err == nil {
		t.Error("second Attach into one namespace succeeded")
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var veths []string
	for _, l := range links {
		if l.Type() == "veth" {
			veths = append(veths, l.Attrs().Name)
		}
	}
	if len(veths) != 1 || veths[0] != host {
		t.Errorf("veths on the host: %v, want only %s", veths, host)
	}
}

func TestLoadSettingsChoosesSubnet(t *testing.T) {
	skipUnlessRoot(t)
	root := t.TempDir()
	s, err := LoadSettings(root)
	want := Settings{Bridge: DefaultName, Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: true}
	if err != nil || s != want {
		t.Fatalf("got %+v, %v; want %+v", s, err, want)
	}
	fi, err := os.Stat(filepath.Join(root, "network.json"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("network.json: %v, %v", fi, err)
	}

	// minilink's own bridge does not count against itself…
	if err := Ensure(s, nil); err != nil {
		t.Fatal(err)
	}
	root2 := t.TempDir()
	if s2, err := LoadSettings(root2); err != nil || s2.Subnet != "172.17.0.0/16" {
		t.Errorf("with our bridge up: %+v, %v", s2, err)
	}
	// …but another interface's address does.
	// (A veth pair rather than a dummy: this kernel may lack the dummy driver.)
	pair := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "mltestv0"}, PeerName: "mltestv1"}
	if err := netlink.LinkAdd(pair); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(pair) })
	if err := netlink.AddrAdd(pair, &netlink.Addr{IPNet: cidrAddr(t, "172.17.9.1/24")}); err != nil {
		t.Fatal(err)
	}
	root3 := t.TempDir()
	if s3, err := LoadSettings(root3); err != nil || s3.Subnet != "172.18.0.0/16" {
		t.Errorf("with 172.17.9.1/24 on a veth: %+v, %v", s3, err)
	}
	// A route (without an address) counts too, and a /12 leaves nothing.
	for _, name := range []string{"mltestv0", "mltestv1"} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	l, err := netlink.LinkByName("mltestv0")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: cidr(t, "172.16.0.0/12")}); err != nil {
		t.Fatal(err)
	}
	root4 := t.TempDir()
	_, err = LoadSettings(root4)
	if err == nil || err.Error() != ErrNoAvailablePool.Error() {
		t.Errorf("with a /12 route: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(root4, "network.json")); serr == nil {
		t.Error("settings saved despite the error")
	}
	// The persisted choice does not change when the host changes.
	if again, err := LoadSettings(root); err != nil || again != want {
		t.Errorf("reload: %+v, %v", again, err)
	}
}

func cidrAddr(t *testing.T, s string) *net.IPNet {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip
	return n
}

// The stored snapshot of the tables rests on the kernel's mark: it must move with every change,
// by one per committed table, and not with a reading.
func TestMarkFollowsTheTables(t *testing.T) {
	skipUnlessRoot(t)
	if err := Ensure(testSettings(false), nil); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadRuleset()
	if err != nil {
		t.Fatal(err)
	}
	m0, ok := rs.Mark()
	if !ok {
		t.Skip("iptables does not work through nf_tables here: snapshots are never marked")
	}
	if now, _ := CurrentMark(); now != m0 {
		t.Fatalf("a reading moved the mark: %+v, then %+v", m0, now)
	}
	link := Rule{Table: "filter", Chain: ChainName, Spec: []string{"-s", "172.17.0.9/32", "-j", "ACCEPT"}}
	port := Rule{Table: "nat", Chain: ChainName, Spec: []string{"-s", "172.17.0.9/32", "-j", "RETURN"}}
	if err := rs.Apply(nil, []Rule{link, port}); err != nil {
		t.Fatal(err)
	}
	m1, ok := rs.Mark()
	if !ok || m1.Generation != m0.Generation+2 {
		t.Fatalf("after a two-table batch the snapshot's mark is %+v (marked %v), want generation %d", m1, ok, m0.Generation+2)
	}
	fresh, err := ReadRuleset()
	if err != nil {
		t.Fatal(err)
	}
	if fm, _ := fresh.Mark(); fm != m1 || !reflect.DeepEqual(fresh.rules, rs.rules) {
		t.Fatalf("the snapshot that followed the batch differs from a new reading:\nfollowed %+v %v\nread     %+v %v", m1, rs.rules, fm, fresh.rules)
	}
	// A change behind the snapshot's back moves the mark, and a batch after it unmarks it.
	iptablesRun(t, "-A", ChainName, "-s", "172.17.0.8/32", "-j", "ACCEPT")
	if now, _ := CurrentMark(); now == m1 {
		t.Fatal("iptables -A did not move the mark")
	}
	if err := rs.Apply([]Rule{link, port}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := rs.Mark(); ok {
		t.Error("a snapshot stayed marked across someone else's change")
	}
	iptablesRun(t, "-D", ChainName, "-s", "172.17.0.8/32", "-j", "ACCEPT")
}
