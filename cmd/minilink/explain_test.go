package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// snapshotScript prints what minilink builds in the kernel, in a form that does not depend on
// interface numbers or random MACs: links, IPv4 addresses and routes of the namespace and of every
// named namespace, the iptables rules and the sysctls minilink sets.
const snapshotScript = `
norm() { sed -E 's/^[0-9]+: //; s/@if[0-9]+/@if/; s#link/ether 02:42:#KEEP #; s#link/ether [0-9a-f:]+#MAC random#; s#KEEP #MAC 02:42:#; s/ +/ /g'; }
snap() {
	ip -o link show | norm | sort
	ip -o -4 addr show | awk '{$1=""; print}' | sed 's/valid_lft.*//' | sort
	ip -4 route | sort
}
snap
for ns in $(ip netns list | awk '{print $1}' | sort); do
	echo "== netns $ns"
	ip netns exec "$ns" sh -c "$(declare -f norm snap); snap"
done
echo "== iptables"
iptables -S
iptables -t nat -S
echo "== sysctl"
sysctl -n net.ipv4.ip_forward net.ipv4.conf.minilink0.route_localnet
`

// TestExplainReplays checks that --explain tells the truth: the commands it prints, replayed with
// the real ip, iptables and sysctl in a fresh namespace, build the same links, addresses, routes
// and rules as minilink itself did, for a linked pair under icc=false with a published port.
func TestExplainReplays(t *testing.T) {
	needKernel(t)
	dir := t.TempDir()
	explained := filepath.Join(dir, "explain.txt")
	scenario := `set -e
mount --make-rprivate /
mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
ip link set lo up
M="` + binary + ` --root ` + testRoot + `"
$M --explain network set --icc=false 2>>` + explained + ` >/dev/null
$M --explain run -d --name xds redis 2>>` + explained + ` >/dev/null
$M --explain run -d -P --name xweb --link xds:redis trainingwheels 2>>` + explained + ` >/dev/null
` + snapshotScript + `
$M rm -f xweb xds >/dev/null
$M network set --icc=true >/dev/null
`
	want, err := exec.Command("unshare", "--net", "--mount", "--fork", "bash", "-c", scenario).CombinedOutput()
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, want)
	}
	data, err := os.ReadFile(explained)
	if err != nil {
		t.Fatal(err)
	}
	// Every explanation line is a command ("+ …") or an annotation ("# …").
	var replay []string
	named := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		switch {
		case strings.HasPrefix(line, "# "):
		case strings.HasPrefix(line, "+ ln -sfn ") && strings.Contains(line, " /run/netns/"):
			// It names a namespace minilink holds open, then the container's process's; the
			// replay has neither: a new named namespace, once.
			name := filepath.Base(strings.Fields(line)[4])
			if !named[name] {
				replay = append(replay, "ip netns add "+name)
			}
			named[name] = true
		case strings.HasPrefix(line, "+ rm /run/netns/"):
			name := filepath.Base(strings.Fields(line)[2])
			replay = append(replay, "ip netns del "+name)
			delete(named, name)
		case strings.HasPrefix(line, "+ mount ") || strings.HasPrefix(line, "+ umount "):
			// Filesystems are not part of this comparison.
		case strings.HasPrefix(line, "+ "):
			replay = append(replay, strings.TrimPrefix(line, "+ "))
		default:
			t.Fatalf("an explanation line that is neither a command nor an annotation: %q", line)
		}
	}
	for _, want := range []string{"ip link add minilink0 ", "ip link set veth", " master minilink0", "ip -n minilink-xweb addr add 172.17.0.3/16 brd + dev eth0",
		"ip -n minilink-xweb route add default via 172.17.0.1 dev eth0", "sysctl -w net.ipv4.ip_forward=1",
		"iptables -t filter -A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT",
		"iptables -t nat -A MINILINK -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.17.0.3:5000"} {
		if !strings.Contains(strings.Join(replay, "\n"), want) {
			t.Errorf("the explanation lacks %q:\n%s", want, data)
		}
	}
	script := "set -e\nmount --make-rprivate /\nmkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns\nip link set lo up\n" +
		"exec 3>&1 >/dev/null\n" + strings.Join(replay, "\n") + "\nexec >&3\n" + snapshotScript
	got, err := exec.Command("unshare", "--net", "--mount", "--fork", "bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("replay: %v\n%s\nscript:\n%s", err, got, script)
	}
	if string(got) != string(want) {
		t.Fatalf("replaying --explain built something else.\nminilink built:\n%s\nthe replay built:\n%s", want, got)
	}
}

func TestNamedNetworkNamespace(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "nsweb", "busybox", "sleep", "1000")
	ip := ipOf(t, "nsweb")
	out, err := exec.Command("ip", "netns", "exec", "minilink-nsweb", "ip", "-4", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "inet "+ip+"/16") {
		t.Fatalf("ip netns exec minilink-nsweb: %v\n%s", err, out)
	}
	out, err = exec.Command("nsenter", "--net=/run/netns/minilink-nsweb", "ip", "-4", "route").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "default via 172.17.0.1 dev eth0") {
		t.Fatalf("nsenter: %v\n%s", err, out)
	}
	mustML(t, "stop", "-t", "0", "nsweb")
	if _, err := os.Stat("/run/netns/minilink-nsweb"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the named namespace outlived the container: %v", err)
	}
}
