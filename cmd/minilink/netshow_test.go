package main

import (
	"os/exec"
	"regexp"
	"testing"
)

func TestNetworkShow(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "datastore")
	runDetached(t, "-P", "--name", "web", "--link", "datastore:redis", "trainingwheels")
	vethName := regexp.MustCompile(`veth[0-9a-f]{7}`)
	show := func() string { return vethName.ReplaceAllString(mustML(t, "network", "show"), "vethXXXXXXX") }
	want := "bridge minilink0  172.17.0.0/16  gateway 172.17.0.1  icc=false  (up)\n" +
		"├── vethXXXXXXX ── eth0 172.17.0.2      datastore  exposes 6379/tcp\n" +
		"└── vethXXXXXXX ── eth0 172.17.0.3      web        exposes 5000/tcp  0.0.0.0:32768->5000/tcp\n" +
		"\n" +
		"links\n" +
		"  web ──redis──▶ datastore  6379/tcp  rules: present (2/2)\n"
	if got := show(); got != want {
		t.Fatalf("network show:\n%s\nwant:\n%s", got, want)
	}
	// Break the kernel behind minilink's back: a missing rule and a stray device are flagged.
	if out, err := exec.Command("iptables", "-D", "MINILINK", "-s", "172.17.0.3/32", "-d", "172.17.0.2/32", "-i", "minilink0", "-o", "minilink0",
		"-p", "tcp", "-m", "tcp", "--dport", "6379", "-j", "ACCEPT").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := exec.Command("sh", "-c", "ip link add mlstray0 type veth peer name mlstray1 && ip link set mlstray0 master minilink0").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "mlstray0").Run() })
	want = "bridge minilink0  172.17.0.0/16  gateway 172.17.0.1  icc=false  (up)\n" +
		"├── vethXXXXXXX ── eth0 172.17.0.2      datastore  exposes 6379/tcp\n" +
		"├── vethXXXXXXX ── eth0 172.17.0.3      web        exposes 5000/tcp  0.0.0.0:32768->5000/tcp\n" +
		"└── mlstray0 (EXTRA: on the bridge, no container owns it)\n" +
		"\n" +
		"links\n" +
		"  web ──redis──▶ datastore  6379/tcp  rules: MISSING (1/2)\n"
	if got := show(); got != want {
		t.Fatalf("network show with a broken kernel:\n%s\nwant:\n%s", got, want)
	}
	dot := mustML(t, "network", "show", "--format", "dot")
	if !regexp.MustCompile(`(?s)^digraph minilink \{.*"web" -> "datastore" \[style=dashed, color=red, label="redis"\];\n\}\n$`).MatchString(dot) {
		t.Fatalf("dot:\n%s", dot)
	}
}
