package linker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// breaksEntry reports whether s holds a rune Parse promises to keep out of names and aliases:
// whitespace (it separates /etc/hosts names), a control character (a newline ends the entry) or
// "=" (it ends an environment variable's name). Written out here rather than calling unsafeName.
func breaksEntry(s string) bool {
	for _, r := range s {
		if r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// FuzzParseLink checks Parse against §2's table and minilink's own rule, and that what it accepts
// is safe where the runtime puts it: the /etc/hosts line, the environment names, the inspect form.
func FuzzParseLink(f *testing.F) {
	for _, v := range []string{
		"datastore", "datastore:redis", "/datastore:db", fullID + ":db", "/datastore:/web/db", "db1:/mysql",
		"", "a:b:c", "datastore:", "db:/x/", "db:/", ":db", "/", ":", "web/redis", "ds:My-Redis.db",
		"datastore:my db", "datastore:a=b", "datastore:a\tb", "datastore:a\nb", "x=y:db", "da ta",
		"db:\u00a0x", "db:\u2028", "db:#x", "//x:db", "db:\xff", "db:a\u0085b", "db:x/",
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		s, err := Parse(value)

		// The outcome §2 and minilink's rule call for, derived here step by step.
		parts := strings.Split(value, ":")
		wantOK := value != "" && len(parts) <= 2
		var name, alias string
		if wantOK {
			name = strings.TrimPrefix(parts[0], "/")
			typed := name
			if len(parts) == 2 {
				typed = parts[1]
			}
			if i := strings.LastIndex(typed, "/"); i >= 0 {
				alias = typed[i+1:]
			} else {
				alias = typed
			}
			wantOK = alias != "" && !breaksEntry(alias) && !breaksEntry(name) &&
				!strings.Contains(alias, "#") && utf8.ValidString(alias) && len(alias) <= 253
		}
		if err != nil {
			if wantOK {
				t.Fatalf("Parse(%q) = %v; want Name %q, Alias %q", value, err, name, alias)
			}
			if prefix := fmt.Sprintf("invalid argument %q for \"--link\" flag: ", value); !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("Parse(%q) error %q lacks pflag's prefix %q", value, err, prefix)
			}
			return
		}
		if !wantOK {
			t.Fatalf("Parse(%q) = %+v; want an error", value, s)
		}
		if s != (Spec{Name: name, Alias: alias, Raw: value}) {
			t.Fatalf("Parse(%q) = %+v; want Name %q, Alias %q, Raw the value", value, s, name, alias)
		}
		if s.Alias == "" || strings.ContainsAny(s.Alias, "/:#") || breaksEntry(s.Alias) || breaksEntry(s.Name) || strings.Contains(s.Name, ":") {
			t.Fatalf("Parse(%q) = %+v: unsafe name or alias", value, s)
		}

		// The inspect form parses back to the same link.
		entry := InspectEntry(s.Name, "web", s.Alias)
		back, err := Parse(entry)
		if err != nil || back.Alias != s.Alias || back.Name != strings.TrimPrefix(s.Name, "/") {
			t.Fatalf("Parse(InspectEntry(%q, web, %q) = %q) = %+v, %v; want the same link", s.Name, s.Alias, entry, back, err)
		}

		// The /etc/hosts line has the alias as its first name, whole, and is found by it.
		line := HostsLine("172.17.0.2", s.Alias, "38f2e2bedd94", "datastore")
		wantFields := []string{"172.17.0.2", s.Alias, "38f2e2bedd94"}
		if s.Alias != "datastore" {
			wantFields = append(wantFields, "datastore")
		}
		if got := strings.Fields(line); !slices.Equal(got, wantFields) {
			t.Fatalf("HostsLine for alias %q = %q: fields %q, want %q", s.Alias, line, got, wantFields)
		}
		base := []byte(defaults + own)
		hosts := ReplaceHostsLine(base, s.Alias, line)
		if string(hosts) != defaults+line+"\n"+own {
			t.Fatalf("ReplaceHostsLine for alias %q = %q", s.Alias, hosts)
		}
		if back := RemoveHostsLine(hosts, s.Alias); string(back) != string(base) {
			t.Fatalf("RemoveHostsLine(%q, %q) = %q; want %q", hosts, s.Alias, back, base)
		}

		// Every variable is named <PREFIX>_…, a name that "=" does not cut short and no
		// whitespace or control character splits; _NAME is the link's name.
		prefix := Prefix(s.Alias)
		if breaksEntry(prefix) {
			t.Fatalf("Prefix(%q) = %q breaks an environment name", s.Alias, prefix)
		}
		env := Env(s.Alias, "web", "172.17.0.2", []Port{{6379, "tcp"}, {6380, "tcp"}, {6381, "udp"}}, []string{"A=1", "PATH=/bin"})
		var sawName bool
		for _, e := range env {
			k, v, ok := strings.Cut(e, "=")
			if !ok || !strings.HasPrefix(k, prefix+"_") || breaksEntry(k) {
				t.Fatalf("Env for alias %q: entry %q has a broken name", s.Alias, e)
			}
			if k == prefix+"_NAME" {
				sawName = true
				if v != "/web/"+s.Alias {
					t.Fatalf("Env for alias %q: %q; want %s=/web/%s", s.Alias, e, k, s.Alias)
				}
			}
		}
		if !sawName {
			t.Fatalf("Env for alias %q has no %s_NAME: %q", s.Alias, prefix, env)
		}

		// A second --link with the same alias is dropped with a warning.
		kept, warnings := Dedup([]Spec{s, {Name: "other", Alias: s.Alias, Raw: "other:" + s.Alias}})
		if len(kept) != 1 || kept[0] != s || len(warnings) != 1 {
			t.Fatalf("Dedup of two specs with alias %q = %+v, %q", s.Alias, kept, warnings)
		}
	})
}

// FuzzParsePort checks ParsePort, the parser of ExposedPorts keys the runtime reads back for every
// link: an accepted key names a port in 1..65535 with tcp, udp or sctp, and its String() form
// parses back to the same port; SortedPorts gives it once whichever way it is spelt.
func FuzzParsePort(f *testing.F) {
	for _, k := range []string{"6379/tcp", "53/udp", "9000/sctp", "80", "80/TCP", "0/tcp", "65535/udp", "65536",
		"+80", "-1", "080/tcp", "80/", "/tcp", "80/tcp/udp", "1-3/tcp", " 80", "８０"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := ParsePort(key)
		num, proto, hasProto := strings.Cut(key, "/")
		if !hasProto {
			proto = "tcp"
		}
		proto = strings.ToLower(proto)
		n, convErr := strconv.Atoi(num)
		digits := num != "" && strings.Trim(num, "0123456789") == ""
		wantOK := digits && convErr == nil && n >= 1 && n <= 65535 && (proto == "tcp" || proto == "udp" || proto == "sctp")
		if err != nil {
			if wantOK {
				t.Fatalf("ParsePort(%q) = %v; want port %d/%s", key, err, n, proto)
			}
			return
		}
		if !wantOK || p != (Port{Num: n, Proto: proto}) {
			t.Fatalf("ParsePort(%q) = %+v; want ok=%v %d/%s", key, p, wantOK, n, proto)
		}
		if back, err := ParsePort(p.String()); err != nil || back != p {
			t.Fatalf("ParsePort(%q.String() = %q) = %+v, %v", key, p.String(), back, err)
		}
		ports, err := SortedPorts(map[string]struct{}{key: {}, p.String(): {}})
		if err != nil || !slices.Equal(ports, []Port{p}) {
			t.Fatalf("SortedPorts(%q, %q) = %v, %v; want [%v]", key, p.String(), ports, err, p)
		}
	})
}
