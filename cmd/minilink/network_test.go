package main

import (
	"net"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// reach reports whether a throwaway container can open a TCP connection to ip:port.
func reach(t *testing.T, ip, port string) bool {
	t.Helper()
	r := ml(t, "run", "--rm", "busybox", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "+ip+" "+port)
	return r.code == 0 && strings.HasPrefix(r.stdout, "HTTP/1.")
}

func TestInterContainerCommunication(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "icc-web", "busybox", "httpd", "-f", "-p", "80")
	ip := inspect(t, "{{.NetworkSettings.IPAddress}}", "icc-web")
	if !reach(t, ip, "80") {
		t.Fatal("icc=true: a container cannot reach another over the bridge")
	}
	t.Cleanup(func() { ml(t, "network", "set", "--icc=true") })
	if out := mustML(t, "network", "set", "--icc=false"); !strings.Contains(out, "icc=false") {
		t.Fatalf("network set printed %q", out)
	}
	rules, _ := exec.Command("iptables", "-S", "FORWARD").Output()
	if !strings.Contains(string(rules), "-A FORWARD -i minilink0 -o minilink0 -j DROP\n") {
		t.Fatalf("icc=false: no DROP rule in\n%s", rules)
	}
	if reach(t, ip, "80") {
		t.Fatal("icc=false: an unlinked container still reaches another")
	}
	if got := strings.TrimSpace(mustML(t, "network", "inspect")); !strings.Contains(got, `"ICC": false`) || !strings.Contains(got, `"IPv4Address": "`+ip+`/16"`) {
		t.Fatalf("network inspect:\n%s", got)
	}
	mustML(t, "network", "set", "--icc=true")
	if !reach(t, ip, "80") {
		t.Fatal("icc back to true: still blocked")
	}
}

// TestOutboundMasquerade puts a "remote host" in a namespace of its own, connected to the test
// namespace by a veth pair, and checks that a container's connection reaches it from the test
// namespace's address: MASQUERADE rewrote the container's source.
func TestOutboundMasquerade(t *testing.T) {
	needKernel(t)
	remote, listener := newRemoteHost(t)
	defer remote.Close()
	defer listener.Close()
	peers := make(chan string, 1)
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
		_, _ = conn.Write([]byte(host + "\n"))
		peers <- host
	}()
	out := mustML(t, "run", "--rm", "busybox", "sh", "-c", "nc -w 3 192.0.2.2 8080 </dev/null")
	if out != "192.0.2.1\n" {
		t.Fatalf("the remote host saw the container as %q, want the masqueraded 192.0.2.1", out)
	}
}

func newRemoteHost(t *testing.T) (netns.NsHandle, net.Listener) {
	t.Helper()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "mlremote0"}, PeerName: "mlremote1"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("add veth: %v", err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(veth) })
	mustAddr := func(h *netlink.Handle, name, cidr string) {
		link, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		addr, _ := netlink.ParseAddr(cidr)
		if err := h.AddrAdd(link, addr); err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(link); err != nil {
			t.Fatal(err)
		}
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	home, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer home.Close()
	remote, err := netns.New() // switches this thread into the new namespace
	if err != nil {
		t.Fatal(err)
	}
	listener, lerr := func() (net.Listener, error) {
		defer func() { _ = netns.Set(home) }()
		inside, err := netlink.NewHandle()
		if err != nil {
			return nil, err
		}
		defer inside.Close()
		lo, _ := inside.LinkByName("lo")
		_ = inside.LinkSetUp(lo)
		_ = netns.Set(home)
		peer, err := netlink.LinkByName("mlremote1")
		if err != nil {
			return nil, err
		}
		if err := netlink.LinkSetNsFd(peer, int(remote)); err != nil {
			return nil, err
		}
		_ = netns.Set(remote)
		mustAddr(inside, "mlremote1", "192.0.2.2/24")
		// A socket belongs to the namespace it was created in, whichever thread uses it later.
		return net.Listen("tcp", "192.0.2.2:8080")
	}()
	if lerr != nil {
		remote.Close()
		t.Fatalf("remote host: %v", lerr)
	}
	host, _ := netlink.NewHandle()
	defer host.Close()
	mustAddr(host, "mlremote0", "192.0.2.1/24")
	return remote, listener
}
