package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The acceptance scenarios of the links spec (../shared/spec/links.md §9), each as a user would
// try it: exact texts, exact env and hosts lines, and real traffic.

const defaultHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// datastore runs the spec's fixture child: `run -d --name NAME redis`.
func datastore(t *testing.T, name string, extra ...string) (id, ip string) {
	t.Helper()
	id = runDetached(t, append(append([]string{"--name", name}, extra...), "redis")...)
	return id, inspect(t, "{{.NetworkSettings.IPAddress}}", name)
}

func ipOf(t *testing.T, name string) string {
	return inspect(t, "{{.NetworkSettings.IPAddress}}", name)
}

// redisPing sends PING to host:6379 from the container named from, with exec, or from a new
// container when from is "".
func redisPing(t *testing.T, from, host string) result {
	t.Helper()
	return redisPingPort(t, from, host, "6379")
}

func redisPingPort(t *testing.T, from, host, port string) result {
	t.Helper()
	script := "printf 'PING\\r\\n' | nc -w 2 " + host + " " + port
	if from == "" {
		return ml(t, "run", "--rm", "busybox", "sh", "-c", script)
	}
	return ml(t, "exec", from, "sh", "-c", script)
}

// listenHi answers "hi" to every connection on port 7000.
const listenHi = "while true; do echo hi | nc -l -p 7000; done"

func pongs(r result) bool { return r.code == 0 && r.stdout == "+PONG\r\n" }

// linkRules is `iptables -S MINILINK` without the chain line.
func linkRules(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("iptables", "-S", "MINILINK").Output()
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, l)
		}
	}
	return rules
}

func pairFor(p, c string, port int, proto string) []string {
	return []string{
		fmt.Sprintf("-A MINILINK -s %s/32 -d %s/32 -i minilink0 -o minilink0 -p %s -m %s --dport %d -j ACCEPT", p, c, proto, proto, port),
		fmt.Sprintf("-A MINILINK -s %s/32 -d %s/32 -i minilink0 -o minilink0 -p %s -m %s --sport %d -j ACCEPT", c, p, proto, proto, port),
	}
}

func sameRules(t *testing.T, want []string) {
	t.Helper()
	got := linkRules(t)
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Fatalf("MINILINK rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
}

func iccFalse(t *testing.T) {
	t.Helper()
	mustML(t, "network", "set", "--icc=false")
	t.Cleanup(func() { ml(t, "network", "set", "--icc=true") })
}

func TestLinkUnlinkedNameDoesNotResolve(t *testing.T) {
	needKernel(t)
	datastore(t, "datastore")
	if r := ml(t, "run", "--rm", "alpine", "ping", "-c1", "-W1", "datastore"); r.code != 1 {
		t.Fatalf("ping of an unlinked name: %s", r)
	}
}

func TestLinkInvalidTargets(t *testing.T) {
	needKernel(t)
	datastore(t, "datastore")
	before := hostState(t)
	for _, tc := range []struct{ link, msg string }{
		{"", `invalid argument "" for "--link" flag: empty string specified for links`},
		{"a:b:c", `invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c`},
		{"datastore:", `invalid argument "datastore:" for "--link" flag: bad format for links: datastore: (empty alias)`},
		{":db", `could not get container for : invalid name or ID supplied: ""`},
		{"nothing:nothing", "could not get container for nothing: No such container: nothing"},
	} {
		wantError(t, ml(t, "run", "--name", "u1", "--link", tc.link, "alpine", "true"), tc.msg)
		wantError(t, ml(t, "inspect", "u1"), "No such object: u1")
	}
	wantError(t, ml(t, "create", "--link", "nothing:x", "alpine", "true"), "could not get container for nothing: No such container: nothing")
	// A self-link fails the same way: the container does not exist yet.
	wantError(t, ml(t, "run", "--name", "self", "--link", "self:x", "alpine", "true"), "could not get container for self: No such container: self")
	if after := hostState(t); after != before {
		t.Fatalf("failed --link changed state:\n%s\n---\n%s", before, after)
	}
}

func TestLinkNetworkModeConflicts(t *testing.T) {
	needKernel(t)
	datastore(t, "datastore")
	wantError(t, ml(t, "run", "--net=container:other", "--link=zip:zap", "alpine", "true"),
		"conflicting options: container type network can't be used with links. This would result in undefined behavior")
	wantError(t, ml(t, "run", "--net=host", "--link=zip:zap", "alpine", "true"),
		"conflicting options: host type networking can't be used with links. This would result in undefined behavior")
	wantError(t, ml(t, "run", "--net", "none", "--link", "datastore:r", "alpine", "true"),
		"conflicting options: none type networking can't be used with links")
	runDetached(t, "--name", "hostnet", "--net", "host", "busybox", "sleep", "1000")
	wantError(t, ml(t, "run", "--rm", "--link", "hostnet:h", "alpine", "true"),
		"conflicting options: host type networking can't be used with links. This would result in undefined behavior")
}

func TestLinkEnvExample1(t *testing.T) {
	needKernel(t)
	id, ip := datastore(t, "datastore")
	_ = id
	ver := strings.TrimPrefix(regexp.MustCompile(`REDIS_VERSION=[^"]*`).FindString(inspect(t, "{{json .Config.Env}}", "datastore")), "REDIS_VERSION=")
	out := mustML(t, "run", "--rm", "--name", "web", "--link", "datastore:redis", "alpine", "env")
	webID := regexp.MustCompile(`HOSTNAME=(\w+)`).FindStringSubmatch(out)
	if webID == nil {
		t.Fatalf("no HOSTNAME in\n%s", out)
	}
	want := "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" +
		"HOSTNAME=" + webID[1] + "\n" +
		"REDIS_PORT=tcp://" + ip + ":6379\n" +
		"REDIS_PORT_6379_TCP=tcp://" + ip + ":6379\n" +
		"REDIS_PORT_6379_TCP_ADDR=" + ip + "\n" +
		"REDIS_PORT_6379_TCP_PORT=6379\n" +
		"REDIS_PORT_6379_TCP_PROTO=tcp\n" +
		"REDIS_NAME=/web/redis\n" +
		"REDIS_ENV_GOSU_VERSION=1.17\n" +
		"REDIS_ENV_REDIS_VERSION=" + ver + "\n" +
		"HOME=/root\n"
	if out != want {
		t.Fatalf("env:\n%s\nwant:\n%s", out, want)
	}
	// -e overrides a link variable where it stands, a new one goes before HOME.
	out = mustML(t, "run", "--rm", "-e", "REDIS_PORT=x", "-e", "FOO=1", "--link", "datastore:redis", "alpine", "env")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[2] != "REDIS_PORT=x" || lines[len(lines)-2] != "FOO=1" || lines[len(lines)-1] != "HOME=/root" {
		t.Fatalf("-e over link variables:\n%s", out)
	}
	// The parent's .Config.Env never holds link variables.
	bar := runDetached(t, "--name", "bar", "-h", "myhost", "--link", "datastore:db", "alpine", "sleep", "1000")
	env := mustML(t, "exec", "bar", "env")
	if !strings.Contains(env, "HOSTNAME=myhost\n") || !strings.Contains(env, "DB_NAME=/bar/db\n") {
		t.Fatalf("exec bar env:\n%s", env)
	}
	if got := inspect(t, "{{json .Config.Env}}", bar); strings.Contains(got, "DB_") {
		t.Fatalf(".Config.Env has link variables: %s", got)
	}
}

func TestLinkEnvExample2AndChildEnv(t *testing.T) {
	needKernel(t)
	datastore(t, "multi", "--expose", "7000", "--expose", "8000-8002/udp", "--expose", "9000/tcp")
	ip := ipOf(t, "multi")
	ver := strings.TrimPrefix(regexp.MustCompile(`REDIS_VERSION=[^"]*`).FindString(inspect(t, "{{json .Config.Env}}", "multi")), "REDIS_VERSION=")
	out := mustML(t, "run", "--rm", "--name", "web2", "--link", "multi:m", "alpine", "env")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	got := strings.Join(lines[2:len(lines)-1], "\n")
	want := strings.ReplaceAll(`M_PORT=tcp://IP:6379
M_PORT_8000_UDP_START=udp://IP:8000
M_PORT_8000_UDP_ADDR=IP
M_PORT_8000_UDP_PROTO=udp
M_PORT_8000_UDP_PORT_START=8000
M_PORT_8000_UDP_END=udp://IP:8002
M_PORT_8000_UDP_PORT_END=8002
M_PORT_6379_TCP=tcp://IP:6379
M_PORT_6379_TCP_ADDR=IP
M_PORT_6379_TCP_PORT=6379
M_PORT_6379_TCP_PROTO=tcp
M_PORT_7000_TCP=tcp://IP:7000
M_PORT_7000_TCP_ADDR=IP
M_PORT_7000_TCP_PORT=7000
M_PORT_7000_TCP_PROTO=tcp
M_PORT_8000_UDP=udp://IP:8000
M_PORT_8000_UDP_PORT=8000
M_PORT_8001_UDP=udp://IP:8001
M_PORT_8001_UDP_ADDR=IP
M_PORT_8001_UDP_PORT=8001
M_PORT_8001_UDP_PROTO=udp
M_PORT_8002_UDP=udp://IP:8002
M_PORT_8002_UDP_ADDR=IP
M_PORT_8002_UDP_PORT=8002
M_PORT_8002_UDP_PROTO=udp
M_PORT_9000_TCP=tcp://IP:9000
M_PORT_9000_TCP_ADDR=IP
M_PORT_9000_TCP_PORT=9000
M_PORT_9000_TCP_PROTO=tcp
M_NAME=/web2/m
M_ENV_GOSU_VERSION=1.17
M_ENV_REDIS_VERSION=`+ver, "IP", ip)
	if got != want {
		t.Fatalf("example 2:\n%s\nwant:\n%s", got, want)
	}

	runDetached(t, "--name", "firstchild", "-e", "e1=", "-e", "e2=v2", "-e", "e3=v3=v3", "busybox", "sleep", "1000")
	out = mustML(t, "run", "--rm", "--link", "firstchild:first", "alpine", "env")
	for _, w := range []string{"FIRST_ENV_e1=\n", "FIRST_ENV_e2=v2\n", "FIRST_ENV_e3=v3=v3\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
	runDetached(t, "--name", "echild", "-e", "HOME=/x", "-e", "HOSTNAME=y", "-e", "PATH=/p", "-e", "A=1", "alpine", "/bin/sleep", "1000")
	out = mustML(t, "run", "--rm", "--name", "eparent", "--link", "echild:e", "alpine", "env")
	var eVars []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "E_") {
			eVars = append(eVars, l)
		}
	}
	if strings.Join(eVars, "\n") != "E_NAME=/eparent/e\nE_ENV_HOSTNAME=y\nE_ENV_A=1" {
		t.Fatalf("child without ports and with HOME/PATH: %q", eVars)
	}
}

func TestLinkHostsFiles(t *testing.T) {
	needKernel(t)
	id, ip := datastore(t, "datastore")
	childHosts := mustML(t, "exec", "datastore", "cat", "/etc/hosts")
	for _, tc := range []struct{ link, line string }{
		{"datastore:redis", ip + "\tredis " + id[:12] + " datastore"},
		{"datastore", ip + "\tdatastore " + id[:12]},
		{id + ":test", ip + "\ttest " + id[:12] + " datastore"},
		{id, ip + "\t" + id + " " + id[:12] + " datastore"},
		{id[:12] + ":short", ip + "\tshort " + id[:12] + " datastore"},
	} {
		out := mustML(t, "run", "--rm", "-h", "webhost", "--link", tc.link, "alpine", "cat", "/etc/hosts")
		if !regexp.MustCompile("^" + regexp.QuoteMeta(defaultHosts+tc.line+"\n") + `172\.17\.0\.\d+\twebhost\n$`).MatchString(out) {
			t.Errorf("--link %s: /etc/hosts\n%s", tc.link, out)
		}
	}
	if got := mustML(t, "exec", "datastore", "cat", "/etc/hosts"); got != childHosts {
		t.Fatalf("the child's hosts changed:\n%s", got)
	}
	hostHosts, _ := exec.Command("cat", "/etc/hosts").Output()
	if got := mustML(t, "run", "--rm", "--net", "host", "alpine", "cat", "/etc/hosts"); got != string(hostHosts) {
		t.Fatalf("--net host hosts:\n%q\nwant the host's:\n%q", got, hostHosts)
	}
}

func TestLinkPingByAliasNameAndHostname(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "container1", "-h", "fred", "busybox", "sleep", "1000")
	runDetached(t, "--name", "container2", "-h", "wilma", "busybox", "sleep", "1000")
	for _, net := range []string{"", "bridge", "default"} {
		args := []string{"run", "--rm"}
		if net != "" {
			args = append(args, "--net", net)
		}
		args = append(args, "--link", "container1:alias1", "--link", "container2:alias2", "alpine", "sh", "-c",
			"for h in alias1 alias2 container1 container2 fred wilma; do ping -c1 -W2 $h >/dev/null || exit 1; done")
		if r := ml(t, args...); r.code != 0 {
			t.Fatalf("--net %q: %s", net, r)
		}
	}
}

func TestLinkOrderIsDeterministic(t *testing.T) {
	needKernel(t)
	datastore(t, "datastore")
	runDetached(t, "--name", "cache", "busybox", "sleep", "1000")
	for i := range 5 {
		first, second := "datastore:redis", "cache:cache"
		if i%2 == 1 {
			first, second = second, first
		}
		name := fmt.Sprintf("order%d", i)
		runDetached(t, "--name", name, "--link", first, "--link", second, "alpine", "sleep", "1000")
		firstAlias := strings.SplitN(first, ":", 2)[1]
		env := mustML(t, "exec", name, "env")
		hosts := strings.Split(mustML(t, "exec", name, "cat", "/etc/hosts"), "\n")
		links := inspect(t, "{{json .HostConfig.Links}}", name)
		prefix := strings.ToUpper(firstAlias) + "_NAME"
		other := map[string]string{"redis": "CACHE_NAME", "cache": "REDIS_NAME"}[firstAlias]
		if strings.Index(env, prefix) > strings.Index(env, other) ||
			!strings.Contains(hosts[6], "\t"+firstAlias+" ") ||
			!strings.HasPrefix(links, `["/`+strings.SplitN(first, ":", 2)[0]+":/"+name+"/"+firstAlias+`"`) {
			t.Fatalf("run %d (%s first): env\n%s\nhosts %q\nlinks %s", i, first, env, hosts, links)
		}
	}
}

func TestLinkInspectAndNames(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "container1", "busybox", "sleep", "1000")
	runDetached(t, "--name", "container2", "busybox", "sleep", "1000")
	runDetached(t, "--name", "testinspectlink", "--link", "container1:alias1", "--link", "container2:alias2", "busybox", "sleep", "1000")
	want := `["/container1:/testinspectlink/alias1","/container2:/testinspectlink/alias2"]`
	if got := inspect(t, "{{json .HostConfig.Links}}", "testinspectlink"); got != want {
		t.Fatalf("running parent: %s", got)
	}
	mustML(t, "stop", "-t", "0", "testinspectlink")
	if got := inspect(t, "{{json .HostConfig.Links}}", "testinspectlink"); got != want {
		t.Fatalf("stopped parent: %s", got)
	}
	if got := inspect(t, "{{json .HostConfig.Links}}", "container1"); got != "null" {
		t.Fatalf("child's links: %s", got)
	}
	runDetached(t, "--name", "shortlinkdef", "busybox", "sleep", "1000")
	runDetached(t, "--name", "link2", "--link", "shortlinkdef", "busybox", "sleep", "1000")
	if got := inspect(t, "{{json .HostConfig.Links}}", "link2"); got != `["/shortlinkdef:/link2/shortlinkdef"]` {
		t.Fatalf("short link: %s", got)
	}

	// Names (scenario 18).
	aaa := strings.TrimSpace(mustML(t, "create", "--name", "aaa", "busybox", "true"))
	bbb := strings.TrimSpace(mustML(t, "create", "--name", "bbb", "--link", "aaa", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", aaa, bbb) })
	names := mustML(t, "ps", "-a", "--no-trunc", "--format", "{{.Names}}")
	if !strings.Contains(names, "\nbbb\naaa,bbb/aaa\n") && !strings.HasPrefix(names, "bbb\naaa,bbb/aaa\n") {
		t.Fatalf("ps -a --no-trunc names:\n%s", names)
	}
	if plain := mustML(t, "ps", "-a", "--format", "{{.Names}}"); !strings.Contains(plain, "\naaa\n") {
		t.Fatalf("ps -a names:\n%s", plain)
	}
	if got := mustML(t, "exec", "/testinspectlink/alias1", "hostname"); got != inspect(t, "{{.Config.Hostname}}", "container1")+"\n" {
		t.Fatalf("exec through a link name reached %q", got)
	}
	for _, n := range []string{"bbb/aaa", "/bbb/aaa"} {
		if got := inspect(t, "{{.Name}}", n); got != "/aaa" {
			t.Fatalf("inspect %s: %s", n, got)
		}
	}
	mustML(t, "rm", "bbb")
	if names := mustML(t, "ps", "-a", "--no-trunc", "--format", "{{.Names}}"); strings.Contains(names, "bbb") {
		t.Fatalf("after rm bbb:\n%s", names)
	}
}

func TestLinkStartTimeChecks(t *testing.T) {
	needKernel(t)
	first := strings.TrimSpace(mustML(t, "create", "--name", "first", "busybox", "sleep", "1000"))
	second := strings.TrimSpace(mustML(t, "create", "--name", "second", "--link", "first:first", "busybox", "sleep", "1000"))
	t.Cleanup(func() { ml(t, "rm", "-f", first, second) })
	mustML(t, "start", "first") // a child starts while its parent does not run

	testID := strings.TrimSpace(mustML(t, "run", "-d", "--name", "test", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", testID, "test2") })
	eventually(t, 5*time.Second, func() error {
		if s := inspect(t, "{{.State.Status}}", "test"); s != "exited" {
			return fmt.Errorf("test is %s", s)
		}
		return nil
	})
	wantError(t, ml(t, "run", "--name", "test2", "--link", "test:test", "alpine", "true"),
		"Cannot link to a non running container: /test AS /test2/test")
	if s := inspect(t, "{{.State.Status}}", "test2"); s != "created" {
		t.Fatalf("test2 is %s, want created", s)
	}
	// With --rm the container that could not start goes, in the foreground and with -d.
	for _, args := range [][]string{
		{"run", "--rm", "--name", "test3", "--link", "test:test", "alpine", "true"},
		{"run", "-d", "--rm", "--name", "test3", "--link", "test:test", "busybox", "true"},
	} {
		wantError(t, ml(t, args...), "Cannot link to a non running container: /test AS /test3/test")
		if r := ml(t, "inspect", "test3"); r.code == 0 {
			t.Fatalf("%s: the container that did not start is still there", strings.Join(args, " "))
		}
	}

	parent := strings.TrimSpace(mustML(t, "create", "--name", "parent", "busybox", "sleep", "1000"))
	cf := strings.TrimSpace(mustML(t, "create", "--name", "child_first", "--link", "parent:parent", "busybox", "sleep", "1000"))
	cs := strings.TrimSpace(mustML(t, "create", "--name", "child_second", "busybox", "sleep", "1000"))
	t.Cleanup(func() { ml(t, "rm", "-f", parent, cf, cs) })
	r := ml(t, "start", "child_first", "parent", "child_second")
	if r.code != 125 || !strings.Contains(r.stderr, "failed to start containers: child_first") {
		t.Fatalf("start child_first parent child_second: %s", r)
	}
	if got := inspect(t, "{{.State.Running}}", "parent"); got != "true" {
		t.Fatalf("parent running: %s", got)
	}
	if inspect(t, "{{.State.Running}}", "child_second") != "true" || inspect(t, "{{.State.Running}}", "child_first") != "false" {
		t.Fatal("child_second should run and child_first not")
	}
}

func TestLinkChildRestartMovesHostsAndRules(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	_, oldIP := datastore(t, "datastore")
	runDetached(t, "--name", "web", "--link", "datastore:redis", "busybox", "sleep", "1000")
	webIP := ipOf(t, "web")
	inode := mustML(t, "exec", "web", "stat", "-c", "%i", "/etc/hosts")
	if !pongs(redisPing(t, "web", "redis")) {
		t.Fatal("linked web cannot reach redis under icc=false")
	}
	sameRules(t, pairFor(webIP, oldIP, 6379, "tcp"))

	mustML(t, "stop", "-t", "1", "datastore")
	sameRules(t, nil) // the child stopped: its pair goes
	runDetached(t, "--name", "filler", "busybox", "sleep", "1000")
	if ipOf(t, "filler") != oldIP {
		t.Fatalf("the filler did not take the old address %s", oldIP)
	}
	mustML(t, "start", "datastore")
	newIP := ipOf(t, "datastore")
	if newIP == oldIP {
		t.Fatal("datastore kept its address")
	}
	// When start returns: the hosts line and the rules name the new address.
	hosts := mustML(t, "exec", "web", "cat", "/etc/hosts")
	if !strings.Contains(hosts, newIP+"\tredis ") || strings.Contains(hosts, oldIP+"\t") {
		t.Fatalf("web's hosts after the child moved:\n%s", hosts)
	}
	if got := mustML(t, "exec", "web", "stat", "-c", "%i", "/etc/hosts"); got != inode {
		t.Fatalf("hosts inode changed from %s to %s", inode, got)
	}
	sameRules(t, pairFor(webIP, newIP, 6379, "tcp"))
	if !pongs(redisPing(t, "web", "redis")) {
		t.Fatal("web cannot reach redis at its new address without a restart")
	}
	if r := ml(t, "exec", "web", "ping", "-c1", "-W2", "redis"); r.code == 0 {
		t.Fatal("ping between linked containers should be blocked under icc=false")
	}
	// PID 1 keeps the environment it started with; exec sees the new address.
	environ := mustML(t, "exec", "web", "sh", "-c", "tr '\\0' '\\n' </proc/1/environ")
	if !strings.Contains(environ, "REDIS_PORT=tcp://"+oldIP+":6379\n") {
		t.Fatalf("pid 1 env:\n%s", environ)
	}
	if env := mustML(t, "exec", "web", "env"); !strings.Contains(env, "REDIS_PORT=tcp://"+newIP+":6379\n") {
		t.Fatalf("exec env:\n%s", env)
	}
}

func TestLinkIccFalseRules(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	fw, _ := exec.Command("iptables", "-S", "FORWARD").Output()
	if !strings.Contains(string(fw), "-A FORWARD -o minilink0 -j MINILINK\n-A FORWARD -i minilink0 ! -o minilink0 -j ACCEPT\n-A FORWARD -i minilink0 -o minilink0 -j DROP\n") {
		t.Fatalf("FORWARD under icc=false:\n%s", fw)
	}
	if b, _ := exec.Command("cat", "/proc/sys/net/bridge/bridge-nf-call-iptables").Output(); string(b) != "1\n" {
		t.Fatalf("bridge-nf-call-iptables = %q", b)
	}
	_, dsIP := datastore(t, "datastore")
	sameRules(t, nil)
	runDetached(t, "--name", "web", "--link", "datastore:redis", "busybox", "sh", "-c", listenHi)
	webIP := ipOf(t, "web")
	sameRules(t, pairFor(webIP, dsIP, 6379, "tcp"))
	if !pongs(redisPing(t, "web", "redis")) {
		t.Fatal("the linked parent does not reach the exposed port")
	}
	if pongs(redisPing(t, "", dsIP)) {
		t.Fatal("an unlinked container reaches the child")
	}
	// web -> a listening but unexposed port of datastore; datastore -> a port web listens on.
	mustML(t, "exec", "-d", "datastore", "sh", "-c", listenHi)
	if r := ml(t, "exec", "web", "sh", "-c", "nc -w 2 "+dsIP+" 7000 </dev/null"); strings.Contains(r.stdout, "hi") {
		t.Fatal("the parent reaches an unexposed port of the child")
	}
	if r := ml(t, "exec", "datastore", "sh", "-c", "nc -w 2 "+webIP+" 7000 </dev/null"); strings.Contains(r.stdout, "hi") {
		t.Fatal("the child opens a connection to the parent")
	}

	// stop web removes the pair, start restores it, rm --link removes it at once.
	mustML(t, "stop", "-t", "0", "web")
	sameRules(t, nil)
	mustML(t, "start", "web")
	webIP = ipOf(t, "web")
	sameRules(t, pairFor(webIP, dsIP, 6379, "tcp"))
	if out := mustML(t, "rm", "--link", "/web/redis"); out != "/web/redis\n" {
		t.Fatalf("rm --link printed %q", out)
	}
	sameRules(t, nil)
	if pongs(redisPing(t, "web", dsIP)) {
		t.Fatal("access survived rm --link")
	}

	// multi: 6 ports -> 12 rules; two aliases for one child give each rule once.
	datastore(t, "multi", "--expose", "7000", "--expose", "8000-8002/udp", "--expose", "9000/tcp")
	mIP := ipOf(t, "multi")
	runDetached(t, "--name", "web3", "--link", "multi:m", "--link", "multi:m2", "busybox", "sleep", "1000")
	w3 := ipOf(t, "web3")
	var want []string
	for _, p := range []struct {
		n     int
		proto string
	}{{6379, "tcp"}, {7000, "tcp"}, {8000, "udp"}, {8001, "udp"}, {8002, "udp"}, {9000, "tcp"}} {
		want = append(want, pairFor(w3, mIP, p.n, p.proto)...)
	}
	sameRules(t, want)
	// A --rm --link container's rules vanish when it exits.
	mustML(t, "run", "--rm", "--link", "datastore:redis", "busybox", "true")
	sameRules(t, want)
	// Back to icc=true: no per-link rules at all.
	mustML(t, "network", "set", "--icc=true")
	sameRules(t, nil)
	mustML(t, "network", "set", "--icc=false")
	sameRules(t, want)
}

func TestRemoveLink(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "tlink1", "busybox", "sleep", "1000")
	runDetached(t, "--name", "tlink2", "--link", "tlink1:tlink1", "busybox", "sleep", "1000")
	if out := mustML(t, "rm", "--link", "tlink2/tlink1"); out != "tlink2/tlink1\n" {
		t.Fatalf("rm --link printed %q", out)
	}
	if got := inspect(t, "{{json .HostConfig.Links}}", "tlink2"); got != "null" {
		t.Fatalf("links after rm --link: %s", got)
	}
	if hosts := mustML(t, "exec", "tlink2", "cat", "/etc/hosts"); strings.Contains(hosts, "tlink1") {
		t.Fatalf("hosts after rm --link:\n%s", hosts)
	}
	if names := mustML(t, "ps", "--no-trunc", "--format", "{{.Names}}"); strings.Contains(names, "tlink2/tlink1") {
		t.Fatalf("names after rm --link:\n%s", names)
	}
	if inspect(t, "{{.State.Running}}", "tlink1") != "true" || inspect(t, "{{.State.Running}}", "tlink2") != "true" {
		t.Fatal("rm --link stopped a container")
	}
	mustML(t, "restart", "-t", "0", "tlink2")
	if env := mustML(t, "exec", "tlink2", "env"); strings.Contains(env, "TLINK1_") {
		t.Fatalf("restarted parent still linked:\n%s", env)
	}
	wantError(t, ml(t, "rm", "--link", "tlink1"), "Conflict, cannot remove the default link name of the container")
	wantError(t, ml(t, "rm", "--link", "/tlink2/nosuch"), "No such container: tlink2/nosuch")
}

func TestLinkFollowsNameNotObject(t *testing.T) {
	needKernel(t)
	datastore(t, "datastore")
	webID := runDetached(t, "--name", "web", "--link", "datastore:redis", "busybox", "sleep", "1000")
	wantError(t, ml(t, "rm", "datastore"), "You cannot remove a running container")
	mustML(t, "rm", "-f", "datastore")
	wantError(t, ml(t, "exec", "web", "true"), "Cannot link to a non running container: /datastore AS /web/redis")
	wantError(t, ml(t, "restart", "web"), "Cannot restart container web: Cannot link to a non running container: /datastore AS /web/redis")
	if got := inspect(t, "{{json .HostConfig.Links}}", "web"); got != `["/datastore:/web/redis"]` {
		t.Fatalf("links with the child gone: %s", got)
	}
	newID, _ := datastore(t, "datastore")
	mustML(t, "start", "web")
	if hosts := mustML(t, "exec", "web", "cat", "/etc/hosts"); !strings.Contains(hosts, "\tredis "+newID[:12]+" datastore\n") {
		t.Fatalf("hosts after the child was recreated:\n%s", hosts)
	}
	names := mustML(t, "ps", "--no-trunc", "--format", "{{.Names}}")
	if !strings.Contains(names, "datastore,web/redis\n") {
		t.Fatalf("names:\n%s", names)
	}
	_ = webID
}

func TestLinkRenames(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "container1", "busybox", "sleep", "1000")
	runDetached(t, "--name", "container2", "--link", "container1:alias1", "busybox", "sleep", "1000")
	mustML(t, "rename", "container1", "container_new")
	if r := ml(t, "exec", "container2", "ping", "-c1", "-W2", "alias1"); r.code != 0 {
		t.Fatalf("ping after the child's rename: %s", r)
	}
	if got := inspect(t, "{{json .HostConfig.Links}}", "container2"); got != `["/container_new:/container2/alias1"]` {
		t.Fatalf("links after the child's rename: %s", got)
	}
	db1 := runDetached(t, "--name", "db1", "busybox", "sleep", "1000")
	runDetached(t, "--name", "app1", "--link", "db1:/mysql", "busybox", "sleep", "1000")
	mustML(t, "rename", "app1", "app2")
	if got := inspect(t, "{{.Id}}", "app2/mysql"); got != db1 {
		t.Fatalf("app2/mysql resolves to %s", got)
	}
	if env := mustML(t, "exec", "app2", "env"); !strings.Contains(env, "MYSQL_NAME=/app2/mysql\n") {
		t.Fatalf("exec env after the parent's rename:\n%s", env)
	}
	a0 := runDetached(t, "--name", "a0", "busybox", "sleep", "1000")
	runDetached(t, "--name", "b0", "--link", "a0", "busybox", "sleep", "1000")
	mustML(t, "rename", "a0", "a1")
	runDetached(t, "--name", "a0", "busybox", "sleep", "1000")
	mustML(t, "rm", "-f", "b0")
	runDetached(t, "--name", "b0", "--link", "a0", "busybox", "sleep", "1000")
	if got := inspect(t, "{{json .HostConfig.Links}}", "b0"); got != `["/a0:/b0/a0"]` {
		t.Fatalf("b0 links: %s", got)
	}
	_ = a0
}

func TestLinkDuplicateAlias(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "upstream-a", "busybox", "sleep", "1000")
	runDetached(t, "--name", "upstream-b", "busybox", "sleep", "1000")
	aIP := ipOf(t, "upstream-a")
	r := ml(t, "run", "--rm", "--link", "upstream-a:upstream", "--link", "upstream-b:upstream", "alpine", "ping", "-c1", "-W2", "upstream")
	if r.code != 0 || !strings.Contains(r.stdout, "("+aIP+")") ||
		!strings.Contains(r.stderr, `WARNING: ignoring --link upstream-b:upstream: alias "upstream" is already used by --link upstream-a:upstream`) {
		t.Fatalf("duplicate alias: %s", r)
	}
	// run -d: the monitor creates the container and passes the warning back; stdout is the ID alone.
	r = ml(t, "run", "-d", "--name", "dup", "--link", "upstream-a:upstream", "--link", "upstream-b:upstream", "busybox", "sleep", "1000")
	t.Cleanup(func() { ml(t, "rm", "-f", "dup") })
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 || r.stdout != id+"\n" ||
		r.stderr != `WARNING: ignoring --link upstream-b:upstream: alias "upstream" is already used by --link upstream-a:upstream`+"\n" {
		t.Fatalf("run -d with a duplicate alias: want the ID on stdout and the one warning on stderr; got %s", r)
	}
	if got := inspect(t, "{{json .HostConfig.Links}}", "dup"); got != `["/upstream-a:/dup/upstream"]` {
		t.Fatalf("links: %s", got)
	}
}

func TestLinkThroughContainerNetwork(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "test", "busybox", "sleep", "1000")
	testIP := ipOf(t, "test")
	runDetached(t, "--name", "parent", "--net", "container:test", "busybox", "sleep", "1000")
	runDetached(t, "--name", "hop2", "--net", "container:parent", "busybox", "sleep", "1000")
	for _, alias := range []string{"parent", "hop2"} {
		hosts := mustML(t, "run", "--rm", "--link", alias+":"+alias, "alpine", "cat", "/etc/hosts")
		if !strings.Contains(hosts, testIP+"\t"+alias+" ") {
			t.Fatalf("--link %s: hosts\n%s", alias, hosts)
		}
	}
	runDetached(t, "--name", "nonet", "--net", "none", "busybox", "sleep", "1000")
	wantError(t, ml(t, "run", "--rm", "--link", "nonet:n", "alpine", "true"), "Cannot link to /nonet, as it does not belong to the default network")
}

func TestLinkNoLeaks(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "datastore")
	datastore(t, "multi", "--expose", "8000-8002/udp")
	runDetached(t, "--name", "web", "--link", "datastore:redis", "--link", "multi:m", "busybox", "sleep", "1000")
	mustML(t, "run", "--rm", "--link", "datastore:redis", "busybox", "true")
	mustML(t, "restart", "-t", "0", "datastore")
	mustML(t, "restart", "-t", "0", "multi")
	mustML(t, "rm", "-f", "web", "datastore", "multi")
	sameRules(t, nil)
	if out, _ := exec.Command("ip", "link", "show", "master", "minilink0").Output(); len(out) > 0 {
		t.Fatalf("veths left:\n%s", out)
	}
	nat, _ := exec.Command("iptables", "-t", "nat", "-S", "MINILINK").Output()
	if string(nat) != "-N MINILINK\n" {
		t.Fatalf("nat MINILINK:\n%s", nat)
	}
}

// TestLinkRulesGoneBehindMinilinksBack: a stop or removal deletes the container's rules through
// the stored snapshot of the tables; when one of them was deleted by hand the snapshot no longer
// holds, the tables are read, and the rest still goes.
func TestLinkRulesGoneBehindMinilinksBack(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	_, dsIP := datastore(t, "datastore")
	for _, tt := range []struct {
		name, gone string
		end        []string
	}{
		{"removed", "--dport", []string{"rm", "-f"}},
		{"stopped", "--sport", []string{"stop", "-t", "0"}},
	} {
		runDetached(t, "--name", tt.name, "--link", "datastore:redis", "busybox", "sleep", "1000")
		pair := pairFor(ipOf(t, tt.name), dsIP, 6379, "tcp")
		sameRules(t, pair)
		gone := pair[0]
		if tt.gone == "--sport" {
			gone = pair[1]
		}
		args := append([]string{"-D"}, strings.Fields(strings.TrimPrefix(gone, "-A "))...)
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %q: %v: %s", args, err, out)
		}
		mustML(t, append(tt.end, tt.name)...)
		sameRules(t, nil)
	}
}

// TestStoredSnapshotYieldsToHandEdits: minilink keeps its last reading of the tables in
// iptables.snapshot and a start uses it instead of running iptables-save, but only while the
// kernel's nf_tables generation says that no rule has changed since. Rules changed by hand after
// it (a stray ACCEPT no record accounts for, a base rule deleted) are seen and mended by the next
// start, as without the snapshot.
func TestStoredSnapshotYieldsToHandEdits(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	_, dsIP := datastore(t, "datastore")
	runDetached(t, "--name", "web", "--link", "datastore:redis", "busybox", "sleep", "1000")
	pair := pairFor(ipOf(t, "web"), dsIP, 6379, "tcp")
	sameRules(t, pair)
	if _, err := os.Stat(filepath.Join(testRoot, "iptables.snapshot")); err != nil {
		t.Fatalf("no stored snapshot after a start under icc=false: %v", err)
	}
	stray := pairFor("172.17.0.250", dsIP, 6379, "tcp")[0]
	jump := []string{"FORWARD", "-o", "minilink0", "-j", "MINILINK"}
	for _, args := range [][]string{
		append([]string{"-A"}, strings.Fields(strings.TrimPrefix(stray, "-A "))...),
		append([]string{"-D"}, jump...),
	} {
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %q: %v: %s", args, err, out)
		}
	}
	mustML(t, "run", "--rm", "busybox", "true")
	sameRules(t, pair)
	if err := exec.Command("iptables", append([]string{"-C"}, jump...)...).Run(); err != nil {
		t.Fatalf("the FORWARD jump deleted by hand is still missing after a start: %v", err)
	}
}
