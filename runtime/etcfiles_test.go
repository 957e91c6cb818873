package runtime

import "testing"

// The six lines every /etc/hosts starts with (§4), written out independently of the code.
const sixDefaultLines = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

func TestRenderHosts(t *testing.T) {
	tests := []struct {
		name      string
		linkLines []string
		ip        string
		hostname  string
		want      string
	}{
		{
			name:      "observed: --link datastore:redis",
			linkLines: []string{"172.17.0.2\tredis 38f2e2bedd94 datastore"},
			ip:        "172.17.0.3",
			hostname:  "4f1c2a9b7e3d",
			want: sixDefaultLines +
				"172.17.0.2\tredis 38f2e2bedd94 datastore\n" +
				"172.17.0.3\t4f1c2a9b7e3d\n",
		},
		{
			name:     "no links: defaults and own line",
			ip:       "172.17.0.2",
			hostname: "38f2e2bedd94",
			want:     sixDefaultLines + "172.17.0.2\t38f2e2bedd94\n",
		},
		{
			name: "link lines in --link order, same IP twice",
			linkLines: []string{
				"172.17.0.2\tdb1 38f2e2bedd94 datastore",
				"172.17.0.2\tdb2 38f2e2bedd94 datastore",
				"172.17.0.4\tcache 1a2b3c4d5e6f",
			},
			ip:       "172.17.0.3",
			hostname: "4f1c2a9b7e3d",
			want: sixDefaultLines +
				"172.17.0.2\tdb1 38f2e2bedd94 datastore\n" +
				"172.17.0.2\tdb2 38f2e2bedd94 datastore\n" +
				"172.17.0.4\tcache 1a2b3c4d5e6f\n" +
				"172.17.0.3\t4f1c2a9b7e3d\n",
		},
		{
			name:     "observed: -h webhost",
			ip:       "172.17.0.3",
			hostname: "webhost",
			want:     sixDefaultLines + "172.17.0.3\twebhost\n",
		},
		{
			name:     "dotted hostname adds its first label",
			ip:       "172.17.0.3",
			hostname: "web.example.com",
			want:     sixDefaultLines + "172.17.0.3\tweb.example.com web\n",
		},
		{
			name:     "--net none: the six lines only",
			hostname: "4f1c2a9b7e3d",
			want:     sixDefaultLines,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RenderHosts(tt.linkLines, tt.ip, tt.hostname))
			if got != tt.want {
				t.Errorf("RenderHosts:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestOwnHostsLine(t *testing.T) {
	tests := []struct{ ip, hostname, want string }{
		{"172.17.0.3", "4f1c2a9b7e3d", "172.17.0.3\t4f1c2a9b7e3d"},
		{"172.17.0.3", "webhost", "172.17.0.3\twebhost"},
		{"172.17.0.3", "web.example", "172.17.0.3\tweb.example web"},
		{"172.17.0.3", "a.b.c.d", "172.17.0.3\ta.b.c.d a"},
		{"10.0.0.9", "web-1.local", "10.0.0.9\tweb-1.local web-1"},
	}
	for _, tt := range tests {
		if got := ownHostsLine(tt.ip, tt.hostname); got != tt.want {
			t.Errorf("ownHostsLine(%q, %q) = %q, want %q", tt.ip, tt.hostname, got, tt.want)
		}
	}
}

func TestRenderHostname(t *testing.T) {
	if got := string(RenderHostname("4f1c2a9b7e3d")); got != "4f1c2a9b7e3d\n" {
		t.Errorf("RenderHostname = %q, want %q", got, "4f1c2a9b7e3d\n")
	}
}

func TestRenderResolvConf(t *testing.T) {
	const fallback = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
	tests := []struct {
		name, host, want string
	}{
		{
			name: "reachable IPv4 servers and other lines kept as they are",
			host: "search example.com\nnameserver 10.0.0.2\nnameserver 192.168.1.1\noptions ndots:2\n",
			want: "search example.com\nnameserver 10.0.0.2\nnameserver 192.168.1.1\noptions ndots:2\n",
		},
		{
			name: "systemd stub only: dropped, fallback added after the other lines",
			host: "# This is /etc/resolv.conf\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
			want: "# This is /etc/resolv.conf\noptions edns0 trust-ad\nsearch lan\n" + fallback,
		},
		{
			name: "all of 127.0.0.0/8 is dropped",
			host: "nameserver 127.0.0.1\nnameserver 127.0.1.1\nnameserver 127.255.255.254\nnameserver 1.1.1.1\n",
			want: "nameserver 1.1.1.1\n",
		},
		{
			name: "::1 and every IPv6 server are dropped",
			host: "nameserver ::1\nnameserver 2001:4860:4860::8888\nnameserver fe80::1%eth0\nnameserver 9.9.9.9\n",
			want: "nameserver 9.9.9.9\n",
		},
		{
			name: "only IPv6 servers: fallback",
			host: "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n",
			want: fallback,
		},
		{
			name: "empty host file: fallback only",
			host: "",
			want: fallback,
		},
		{
			name: "commented nameserver is an ordinary line and counts for nothing",
			host: "# nameserver 1.1.1.1\n;nameserver 1.0.0.1\n",
			want: "# nameserver 1.1.1.1\n;nameserver 1.0.0.1\n" + fallback,
		},
		{
			name: "missing final newline gets one",
			host: "nameserver 1.1.1.1",
			want: "nameserver 1.1.1.1\n",
		},
		{
			name: "tabs and leading blanks around a loopback server",
			host: "  nameserver\t127.0.0.1\nnameserver\t8.8.4.4\n",
			want: "nameserver\t8.8.4.4\n",
		},
		{
			name: "server order kept",
			host: "nameserver 9.9.9.9\nnameserver 127.0.0.1\nnameserver 1.1.1.1\n",
			want: "nameserver 9.9.9.9\nnameserver 1.1.1.1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RenderResolvConf([]byte(tt.host)))
			if got != tt.want {
				t.Errorf("RenderResolvConf(%q):\n got %q\nwant %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestOnlyStubResolver(t *testing.T) {
	tests := []struct {
		name string
		host string
		want bool
	}{
		{"systemd-resolved stub", "# managed by systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n", true},
		{"stub without final newline", "nameserver 127.0.0.53", true},
		{"stub and a real server", "nameserver 127.0.0.53\nnameserver 10.0.0.2\n", false},
		{"real server only", "nameserver 10.0.0.2\n", false},
		{"other loopback", "nameserver 127.0.0.1\n", false},
		{"no nameserver", "search lan\n", false},
		{"empty", "", false},
		{"commented stub", "# nameserver 127.0.0.53\n", false},
	}
	for _, tt := range tests {
		if got := onlyStubResolver([]byte(tt.host)); got != tt.want {
			t.Errorf("%s: onlyStubResolver(%q) = %v, want %v", tt.name, tt.host, got, tt.want)
		}
	}
}
