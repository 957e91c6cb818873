package linker

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		key  string
		want Port
		err  string
	}{
		{"6379/tcp", Port{6379, "tcp"}, ""},
		{"53/udp", Port{53, "udp"}, ""},
		{"9000/sctp", Port{9000, "sctp"}, ""},
		{"6379", Port{6379, "tcp"}, ""},
		{"80/TCP", Port{80, "tcp"}, ""},
		{"65535/tcp", Port{65535, "tcp"}, ""},
		{"0/tcp", Port{}, `invalid exposed port "0/tcp": port must be between 1 and 65535`},
		{"65536/tcp", Port{}, `invalid exposed port "65536/tcp": port must be between 1 and 65535`},
		{"+80/tcp", Port{}, `invalid exposed port "+80/tcp": not a port number`},
		{"/tcp", Port{}, `invalid exposed port "/tcp": not a port number`},
		{"8000-8002/udp", Port{}, `invalid exposed port "8000-8002/udp": not a port number`},
		{"80/icmp", Port{}, `invalid exposed port "80/icmp": protocol must be tcp, udp or sctp`},
		{"80/", Port{}, `invalid exposed port "80/": protocol must be tcp, udp or sctp`},
	}
	for _, tc := range tests {
		got, err := ParsePort(tc.key)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePort(%q) = %v, %v; want error %q", tc.key, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.want.String() {
			t.Errorf("ParsePort(%q) = %v, %v; want %v", tc.key, got, err, tc.want)
		}
	}
	if s := (Port{6379, "tcp"}).String(); s != "6379/tcp" {
		t.Errorf("String = %q", s)
	}
}

func set(keys ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}

func portStrings(ports []Port) []string {
	var s []string
	for _, p := range ports {
		s = append(s, p.String())
	}
	return s
}

func TestSortedPorts(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		want  []string
		error string
	}{
		{"empty", nil, nil, ""},
		{"example 2", []string{"9000/tcp", "8002/udp", "6379/tcp", "8000/udp", "7000/tcp", "8001/udp"},
			[]string{"6379/tcp", "7000/tcp", "8000/udp", "8001/udp", "8002/udp", "9000/tcp"}, ""},
		{"tie: tcp, udp, sctp", []string{"53/sctp", "53/udp", "53/tcp", "52/udp"}, []string{"52/udp", "53/tcp", "53/udp", "53/sctp"}, ""},
		{"numeric, not textual", []string{"10000/tcp", "9/tcp", "80/tcp"}, []string{"9/tcp", "80/tcp", "10000/tcp"}, ""},
		{"same port twice", []string{"80", "80/tcp"}, []string{"80/tcp"}, ""},
		{"invalid key", []string{"80/tcp", "x/tcp"}, nil, `invalid exposed port "x/tcp": not a port number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SortedPorts(set(tc.keys...))
			if tc.error != "" {
				if err == nil || err.Error() != tc.error {
					t.Fatalf("got %v, %v; want error %q", got, err, tc.error)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(portStrings(got), tc.want) {
				t.Fatalf("got %q, %v; want %q", portStrings(got), err, tc.want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct{ alias, want string }{
		{"redis", "REDIS"},
		{"my-db", "MY_DB"},
		{"My-Redis.db", "MY_REDIS.DB"},
		{"db_1", "DB_1"},
		{fullID, strings.ToUpper(fullID)},
	}
	for _, tc := range tests {
		if got := Prefix(tc.alias); got != tc.want {
			t.Errorf("Prefix(%q) = %q; want %q", tc.alias, got, tc.want)
		}
	}
	if got := Prefix(fullID); got != "38F2E2BEDD94D1E6A3D57A1F02C8E1D4C2F0B4A8A9E7C6D5B4A3F2E1D0C9B8A7" {
		t.Errorf("Prefix(full ID) = %q", got)
	}
}

// merge is the runtime's §3 step (3), written out independently here: a name occurring twice keeps
// its first position and its last value. The spec's listings are after this merge.
func merge(env []string) []string {
	var out []string
	at := map[string]int{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := at[k]; ok {
			out[i] = kv
			continue
		}
		at[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func ports(t *testing.T, keys ...string) []Port {
	t.Helper()
	var ps []Port
	for _, k := range keys {
		p, err := ParsePort(k)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

var redisEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"GOSU_VERSION=1.17",
	"REDIS_VERSION=7.0.15",
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name     string
		alias    string
		parent   string
		ip       string
		ports    []string
		childEnv []string
		want     []string // after merge
		raw      []string // before merge, when it differs from want (nil: same as want)
	}{
		{
			name: "example 1", alias: "redis", parent: "web", ip: "172.17.0.2",
			ports: []string{"6379/tcp"}, childEnv: redisEnv,
			want: []string{
				"REDIS_PORT=tcp://172.17.0.2:6379",
				"REDIS_PORT_6379_TCP=tcp://172.17.0.2:6379",
				"REDIS_PORT_6379_TCP_ADDR=172.17.0.2",
				"REDIS_PORT_6379_TCP_PORT=6379",
				"REDIS_PORT_6379_TCP_PROTO=tcp",
				"REDIS_NAME=/web/redis",
				"REDIS_ENV_GOSU_VERSION=1.17",
				"REDIS_ENV_REDIS_VERSION=7.0.15",
			},
		},
		{
			name: "example 2", alias: "m", parent: "web2", ip: "172.17.0.4",
			ports:    []string{"6379/tcp", "7000/tcp", "8000/udp", "8001/udp", "8002/udp", "9000/tcp"},
			childEnv: redisEnv,
			want: strings.Split(`M_PORT=tcp://172.17.0.4:6379
M_PORT_8000_UDP_START=udp://172.17.0.4:8000
M_PORT_8000_UDP_ADDR=172.17.0.4
M_PORT_8000_UDP_PROTO=udp
M_PORT_8000_UDP_PORT_START=8000
M_PORT_8000_UDP_END=udp://172.17.0.4:8002
M_PORT_8000_UDP_PORT_END=8002
M_PORT_6379_TCP=tcp://172.17.0.4:6379
M_PORT_6379_TCP_ADDR=172.17.0.4
M_PORT_6379_TCP_PORT=6379
M_PORT_6379_TCP_PROTO=tcp
M_PORT_7000_TCP=tcp://172.17.0.4:7000
M_PORT_7000_TCP_ADDR=172.17.0.4
M_PORT_7000_TCP_PORT=7000
M_PORT_7000_TCP_PROTO=tcp
M_PORT_8000_UDP=udp://172.17.0.4:8000
M_PORT_8000_UDP_PORT=8000
M_PORT_8001_UDP=udp://172.17.0.4:8001
M_PORT_8001_UDP_ADDR=172.17.0.4
M_PORT_8001_UDP_PORT=8001
M_PORT_8001_UDP_PROTO=udp
M_PORT_8002_UDP=udp://172.17.0.4:8002
M_PORT_8002_UDP_ADDR=172.17.0.4
M_PORT_8002_UDP_PORT=8002
M_PORT_8002_UDP_PROTO=udp
M_PORT_9000_TCP=tcp://172.17.0.4:9000
M_PORT_9000_TCP_ADDR=172.17.0.4
M_PORT_9000_TCP_PORT=9000
M_PORT_9000_TCP_PROTO=tcp
M_NAME=/web2/m
M_ENV_GOSU_VERSION=1.17
M_ENV_REDIS_VERSION=7.0.15`, "\n"),
		},
		{
			name: "no ports", alias: "b", parent: "web", ip: "172.17.0.3",
			childEnv: []string{"PATH=/bin", "X=1"},
			want:     []string{"B_NAME=/web/b", "B_ENV_X=1"},
		},
		{
			name: "empty, = and spaces in values", alias: "first", parent: "second", ip: "172.17.0.2",
			childEnv: []string{"e1=", "e2=v2", "e3=v3=v3", "e4=a b", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			want:     []string{"FIRST_NAME=/second/first", "FIRST_ENV_e1=", "FIRST_ENV_e2=v2", "FIRST_ENV_e3=v3=v3", "FIRST_ENV_e4=a b"},
		},
		{
			name: "PATH and HOME skipped, HOSTNAME kept", alias: "e", parent: "p", ip: "172.17.0.2",
			childEnv: []string{"HOME=/x", "HOSTNAME=y", "PATH=/p", "A=1"},
			want:     []string{"E_NAME=/p/e", "E_ENV_HOSTNAME=y", "E_ENV_A=1"},
		},
		{
			name: "entries without = skipped, keys compared exactly", alias: "e", parent: "p", ip: "172.17.0.2",
			childEnv: []string{"BARE", "path=/lower", "PATHX=1", "HOME", "lower-case.key=v"},
			want:     []string{"E_NAME=/p/e", "E_ENV_path=/lower", "E_ENV_PATHX=1", "E_ENV_lower-case.key=v"},
		},
		{
			name: "prefix and name keep the alias as typed", alias: "My-Redis.db", parent: "web", ip: "172.17.0.2",
			want: []string{"MY_REDIS.DB_NAME=/web/My-Redis.db"},
		},
		{
			name: "two contiguous ports: no range block", alias: "r", parent: "w", ip: "10.0.0.2",
			ports: []string{"80/tcp", "81/tcp"},
			want: []string{
				"R_PORT=tcp://10.0.0.2:80",
				"R_PORT_80_TCP=tcp://10.0.0.2:80", "R_PORT_80_TCP_ADDR=10.0.0.2", "R_PORT_80_TCP_PORT=80", "R_PORT_80_TCP_PROTO=tcp",
				"R_PORT_81_TCP=tcp://10.0.0.2:81", "R_PORT_81_TCP_ADDR=10.0.0.2", "R_PORT_81_TCP_PORT=81", "R_PORT_81_TCP_PROTO=tcp",
				"R_NAME=/w/r",
			},
		},
		{
			// 53/tcp, 53/udp, 54/udp: 53 <= 53+1 and 54 <= 53+2, so a repeated number counts
			// and the protocol changes between START and END.
			name: "repeated number in a range", alias: "d", parent: "w", ip: "10.0.0.2",
			ports: []string{"54/udp", "53/udp", "53/tcp"},
			raw: []string{
				"D_PORT=tcp://10.0.0.2:53",
				"D_PORT_53_TCP_START=tcp://10.0.0.2:53",
				"D_PORT_53_TCP_ADDR=10.0.0.2",
				"D_PORT_53_TCP_PROTO=tcp",
				"D_PORT_53_TCP_PORT_START=53",
				"D_PORT_53_UDP_END=udp://10.0.0.2:54",
				"D_PORT_53_UDP_PORT_END=54",
				"D_PORT_53_TCP=tcp://10.0.0.2:53", "D_PORT_53_TCP_ADDR=10.0.0.2", "D_PORT_53_TCP_PORT=53", "D_PORT_53_TCP_PROTO=tcp",
				"D_PORT_53_UDP=udp://10.0.0.2:53", "D_PORT_53_UDP_ADDR=10.0.0.2", "D_PORT_53_UDP_PORT=53", "D_PORT_53_UDP_PROTO=udp",
				"D_PORT_54_UDP=udp://10.0.0.2:54", "D_PORT_54_UDP_ADDR=10.0.0.2", "D_PORT_54_UDP_PORT=54", "D_PORT_54_UDP_PROTO=udp",
				"D_NAME=/w/d",
			},
			want: []string{
				"D_PORT=tcp://10.0.0.2:53",
				"D_PORT_53_TCP_START=tcp://10.0.0.2:53",
				"D_PORT_53_TCP_ADDR=10.0.0.2",
				"D_PORT_53_TCP_PROTO=tcp",
				"D_PORT_53_TCP_PORT_START=53",
				"D_PORT_53_UDP_END=udp://10.0.0.2:54",
				"D_PORT_53_UDP_PORT_END=54",
				"D_PORT_53_TCP=tcp://10.0.0.2:53", "D_PORT_53_TCP_PORT=53",
				"D_PORT_53_UDP=udp://10.0.0.2:53", "D_PORT_53_UDP_ADDR=10.0.0.2", "D_PORT_53_UDP_PORT=53", "D_PORT_53_UDP_PROTO=udp",
				"D_PORT_54_UDP=udp://10.0.0.2:54", "D_PORT_54_UDP_ADDR=10.0.0.2", "D_PORT_54_UDP_PORT=54", "D_PORT_54_UDP_PROTO=udp",
				"D_NAME=/w/d",
			},
		},
		{
			// 1,2,3 form a range and the walk resumes at 5; 5,6 are only two; 8,8,9 is
			// again three (a repeat counts); 20 stands alone.
			name: "several ranges", alias: "x", parent: "w", ip: "10.0.0.2",
			ports: []string{"1/tcp", "2/tcp", "3/tcp", "5/tcp", "6/tcp", "8/tcp", "8/sctp", "9/udp", "20/tcp"},
			raw: func() []string {
				env := []string{
					"X_PORT=tcp://10.0.0.2:1",
					"X_PORT_1_TCP_START=tcp://10.0.0.2:1", "X_PORT_1_TCP_ADDR=10.0.0.2", "X_PORT_1_TCP_PROTO=tcp",
					"X_PORT_1_TCP_PORT_START=1", "X_PORT_1_TCP_END=tcp://10.0.0.2:3", "X_PORT_1_TCP_PORT_END=3",
					"X_PORT_8_TCP_START=tcp://10.0.0.2:8", "X_PORT_8_TCP_ADDR=10.0.0.2", "X_PORT_8_TCP_PROTO=tcp",
					"X_PORT_8_TCP_PORT_START=8", "X_PORT_8_UDP_END=udp://10.0.0.2:9", "X_PORT_8_UDP_PORT_END=9",
				}
				for _, p := range []struct{ n, proto, up string }{
					{"1", "tcp", "TCP"}, {"2", "tcp", "TCP"}, {"3", "tcp", "TCP"}, {"5", "tcp", "TCP"}, {"6", "tcp", "TCP"},
					{"8", "tcp", "TCP"}, {"8", "sctp", "SCTP"}, {"9", "udp", "UDP"}, {"20", "tcp", "TCP"},
				} {
					b := "X_PORT_" + p.n + "_" + p.up
					env = append(env, b+"="+p.proto+"://10.0.0.2:"+p.n, b+"_ADDR=10.0.0.2", b+"_PORT="+p.n, b+"_PROTO="+p.proto)
				}
				return append(env, "X_NAME=/w/x")
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Env(tc.alias, tc.parent, tc.ip, ports(t, tc.ports...), tc.childEnv)
			if tc.raw != nil {
				if !reflect.DeepEqual(got, tc.raw) {
					t.Fatalf("raw block:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.raw, "\n"))
				}
			}
			want := tc.want
			if want == nil {
				want = merge(tc.raw)
			}
			if m := merge(got); !reflect.DeepEqual(m, want) {
				t.Fatalf("merged block:\n%s\nwant:\n%s", strings.Join(m, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// Env sorts its own copy: the caller's order and slice do not matter.
func TestEnvSortsACopy(t *testing.T) {
	in := ports(t, "8002/udp", "6379/tcp", "8000/udp", "8001/udp")
	before := portStrings(in)
	got := Env("m", "w", "1.2.3.4", in, nil)
	if got[0] != "M_PORT=tcp://1.2.3.4:6379" || got[1] != "M_PORT_8000_UDP_START=udp://1.2.3.4:8000" {
		t.Fatalf("got %q", got)
	}
	if !reflect.DeepEqual(portStrings(in), before) {
		t.Fatalf("input reordered: %q", portStrings(in))
	}
}
