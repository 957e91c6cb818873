package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// hostAddress gives the test namespace an address of its own besides loopback (as a host has on
// its network card) and returns it.
func hostAddress(t *testing.T) string {
	t.Helper()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "mlhost0"}, PeerName: "mlhost1"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(veth) })
	link, err := netlink.LinkByName("mlhost0")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.200.0.1/24")
	if err := netlink.AddrAdd(link, addr); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
	return "10.200.0.1"
}

// pingFromHost sends PING to addr from the test namespace (the host side) and returns the answer.
func pingFromHost(addr string) string {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = conn.Write([]byte("PING\r\n"))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return err.Error()
	}
	return string(buf[:n])
}

func TestPublishAllAndReachability(t *testing.T) {
	needKernel(t)
	hostIP := hostAddress(t)
	runDetached(t, "-P", "--name", "pub", "redis")
	if got := mustML(t, "port", "pub"); got != "6379/tcp -> 0.0.0.0:32768\n" {
		t.Fatalf("port pub: %q", got)
	}
	if got := mustML(t, "port", "pub", "6379"); got != "0.0.0.0:32768\n" {
		t.Fatalf("port pub 6379: %q", got)
	}
	if got := strings.TrimSpace(mustML(t, "ps", "--format", "{{.Ports}}", "-n", "1")); got != "0.0.0.0:32768->6379/tcp" {
		t.Fatalf("PORTS: %q", got)
	}
	if got := inspect(t, "{{json .NetworkSettings.Ports}}", "pub"); got != `{"6379/tcp":[{"HostIp":"0.0.0.0","HostPort":"32768"}]}` {
		t.Fatalf(".NetworkSettings.Ports: %s", got)
	}
	pubIP := ipOf(t, "pub")
	for _, icc := range []string{"true", "false"} {
		mustML(t, "network", "set", "--icc="+icc)
		for _, addr := range []string{"127.0.0.1:32768", hostIP + ":32768"} {
			if got := pingFromHost(addr); got != "+PONG\r\n" {
				t.Fatalf("icc=%s: from the host to %s: %q", icc, addr, got)
			}
		}
		if !pongs(redisPingPort(t, "", "172.17.0.1", "32768")) {
			t.Fatalf("icc=%s: a container through the gateway does not get through", icc)
		}
	}
	// Under icc=false a direct connection from an unlinked container stays blocked.
	if pongs(redisPing(t, "", pubIP)) {
		t.Fatal("icc=false: an unlinked container reaches the published container directly")
	}
	mustML(t, "network", "set", "--icc=true")
	// No process listens on the host port: it is all DNAT.
	if out, _ := exec.Command("sh", "-c", "cat /proc/net/tcp | awk '$4 == \"0A\" {print $2}' | grep -i ':8000$'").Output(); len(out) > 0 {
		t.Fatalf("a socket listens on 32768: %s", out)
	}
	mustML(t, "rm", "-f", "pub")
	for _, table := range []string{"filter", "nat"} {
		out, _ := exec.Command("iptables", "-t", table, "-S", "MINILINK").Output()
		if strings.Contains(string(out), pubIP) || string(out) != "-N MINILINK\n" {
			t.Fatalf("%s MINILINK after rm -f pub:\n%s", table, out)
		}
	}
}

func TestPublishForms(t *testing.T) {
	needKernel(t)
	hostIP := hostAddress(t)
	runDetached(t, "--name", "multi", "-p", "6379", "-p", "127.0.0.1:16379:6379", "-p", "16380:6379/tcp", "-p", "9999:9999/udp", "redis")
	if got := strings.TrimSpace(mustML(t, "ps", "--format", "{{.Ports}}", "-n", "1")); got != "0.0.0.0:9999->9999/udp, 0.0.0.0:16380->6379/tcp, 0.0.0.0:32768->6379/tcp, 127.0.0.1:16379->6379/tcp" {
		t.Fatalf("PORTS: %q", got)
	}
	if got := mustML(t, "port", "multi"); got != "6379/tcp -> 0.0.0.0:16380\n6379/tcp -> 0.0.0.0:32768\n6379/tcp -> 127.0.0.1:16379\n9999/udp -> 0.0.0.0:9999\n" {
		t.Fatalf("port multi:\n%s", got)
	}
	// A 127.0.0.1 binding answers only there (once redis listens: it takes a moment after run -d).
	eventually(t, 5*time.Second, func() error {
		if got := pingFromHost("127.0.0.1:16379"); got != "+PONG\r\n" {
			return fmt.Errorf("127.0.0.1:16379: %q", got)
		}
		return nil
	})
	if got := pingFromHost(hostIP + ":16379"); got == "+PONG\r\n" {
		t.Fatal("a 127.0.0.1 binding answers on the host address")
	}
	if got := pingFromHost(hostIP + ":16380"); got != "+PONG\r\n" {
		t.Fatalf("host address :16380: %q", got)
	}
	// IP::CP and ranges.
	runDetached(t, "--name", "ranges", "-p", "127.0.0.1::6379", "-p", "7000-7002:7000-7002", "--expose", "8000", "busybox", "sleep", "1000")
	if got := strings.TrimSpace(mustML(t, "ps", "--format", "{{.Ports}}", "-n", "1")); got != "127.0.0.1:32769->6379/tcp, 0.0.0.0:7000-7002->7000-7002/tcp, 8000/tcp" &&
		got != "0.0.0.0:7000-7002->7000-7002/tcp, 8000/tcp, 127.0.0.1:32769->6379/tcp" {
		t.Fatalf("PORTS with ranges: %q", got)
	}
	// A port taken by another container or by a host process is refused, and nothing is made.
	before := hostState(t)
	wantError(t, ml(t, "run", "-d", "-p", "16380:6379", "redis"), "Bind for 0.0.0.0:16380 failed: port is already allocated")
	l, err := net.Listen("tcp4", "0.0.0.0:16390")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	wantError(t, ml(t, "run", "-d", "-p", "16390:6379", "redis"), "listen tcp4 0.0.0.0:16390: bind: address already in use")
	for _, bad := range []struct{ p, msg string }{
		{"abc", "invalid containerPort: abc"},
		{"1:2:3:4", "invalid publish spec: 1:2:3:4"},
		{"80/sctp", "invalid proto: sctp"},
		{"::1:80:80", "invalid publish spec"},
		{"8000-8001:9000", "invalid ranges specified for container and host Ports"},
	} {
		wantError(t, ml(t, "run", "-d", "-p", bad.p, "redis"), bad.msg)
	}
	if after := hostState(t); after != before {
		t.Fatalf("refused -p changed state:\n%s\n---\n%s", before, after)
	}
	// -P reuses freed ports: after multi goes, 32768 is free again.
	mustML(t, "rm", "-f", "multi")
	runDetached(t, "-P", "--name", "again", "redis")
	if got := mustML(t, "port", "again"); got != "6379/tcp -> 0.0.0.0:32768\n" {
		t.Fatalf("port again: %q", got)
	}
	// Linked containers see a -p port as exposed.
	mustML(t, "stop", "-t", "0", "again")
	if got := mustML(t, "port", "again"); got != "" {
		t.Fatalf("port of a stopped container: %q", got)
	}
}
