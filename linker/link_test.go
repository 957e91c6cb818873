package linker

import (
	"reflect"
	"strings"
	"testing"
)

const fullID = "38f2e2bedd94d1e6a3d57a1f02c8e1d4c2f0b4a8a9e7c6d5b4a3f2e1d0c9b8a7"

func TestParse(t *testing.T) {
	tests := []struct {
		value       string
		name, alias string
		err         string // exact text; "" means success
	}{
		// §2's table, row by row.
		{"datastore", "datastore", "datastore", ""},
		{"datastore:redis", "datastore", "redis", ""},
		{"/datastore:db", "datastore", "db", ""},
		{"38f2e2bedd94:db", "38f2e2bedd94", "db", ""},
		{fullID + ":db", fullID, "db", ""},
		{"38f2e2b:db", "38f2e2b", "db", ""},
		{fullID, fullID, fullID, ""},
		{"/datastore:/web/db", "datastore", "db", ""},
		{"db1:/mysql", "db1", "mysql", ""},
		{"", "", "", `invalid argument "" for "--link" flag: empty string specified for links`},
		{"a:b:c", "", "", `invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c`},
		{"datastore:", "", "", `invalid argument "datastore:" for "--link" flag: bad format for links: datastore: (empty alias)`},
		{"db:/x/", "", "", `invalid argument "db:/x/" for "--link" flag: bad format for links: db:/x/ (empty alias)`},
		{"db:/", "", "", `invalid argument "db:/" for "--link" flag: bad format for links: db:/ (empty alias)`},
		{":db", "", "db", ""}, // only the lookup fails (LookupError)
		// Beyond the table.
		{"/datastore", "datastore", "datastore", ""},
		{"web/redis", "web/redis", "redis", ""}, // a link name as child: the default alias follows the "/" rule too
		{"/", "", "", `invalid argument "/" for "--link" flag: bad format for links: / (empty alias)`},
		{":", "", "", `invalid argument ":" for "--link" flag: bad format for links: : (empty alias)`},
		{"a:b:", "", "", `invalid argument "a:b:" for "--link" flag: bad format for links: a:b:`},
		{"ds:My-Redis.db", "ds", "My-Redis.db", ""},
		{"datastore:my db", "", "", `invalid argument "datastore:my db" for "--link" flag: invalid alias "my db": it would break /etc/hosts or an environment name`},
		{"datastore:a=b", "", "", `invalid argument "datastore:a=b" for "--link" flag: invalid alias "a=b": it would break /etc/hosts or an environment name`},
		{"datastore:a\tb", "", "", `invalid argument "datastore:a\tb" for "--link" flag: invalid alias "a\tb": it would break /etc/hosts or an environment name`},
		{"datastore:a\nb", "", "", `invalid argument "datastore:a\nb" for "--link" flag: invalid alias "a\nb": it would break /etc/hosts or an environment name`},
		{"datastore:a\x00b", "", "", `invalid argument "datastore:a\x00b" for "--link" flag: invalid alias "a\x00b": it would break /etc/hosts or an environment name`},
		{"da ta", "", "", `invalid argument "da ta" for "--link" flag: invalid alias "da ta": it would break /etc/hosts or an environment name`},
		{"x=y:db", "", "", `invalid argument "x=y:db" for "--link" flag: invalid name "x=y": it would break /etc/hosts or an environment name`},
		// "#" starts an /etc/hosts comment; bytes that are not UTF-8 would not survive the JSON record.
		{"db:#x", "", "", `invalid argument "db:#x" for "--link" flag: invalid alias "#x": it would break /etc/hosts or an environment name`},
		{"db:a#", "", "", `invalid argument "db:a#" for "--link" flag: invalid alias "a#": it would break /etc/hosts or an environment name`},
		{"db#x", "", "", `invalid argument "db#x" for "--link" flag: invalid alias "db#x": it would break /etc/hosts or an environment name`},
		{"db:a\xffb", "", "", `invalid argument "db:a\xffb" for "--link" flag: invalid alias "a\xffb": it would break /etc/hosts or an environment name`},
		{"db:a\u00a0b", "", "", `invalid argument "db:a\u00a0b" for "--link" flag: invalid alias "a\u00a0b": it would break /etc/hosts or an environment name`},
		{"db:a\u2028b", "", "", `invalid argument "db:a\u2028b" for "--link" flag: invalid alias "a\u2028b": it would break /etc/hosts or an environment name`},
		{"db:" + strings.Repeat("a", 254), "", "", `invalid argument "db:` + strings.Repeat("a", 254) + `" for "--link" flag: invalid alias "aaaaaaaaaaaaaaaaaaaa"… (254 bytes): longer than 253 bytes, the longest valid host name`},
		{"db:" + strings.Repeat("a", 253), "db", strings.Repeat("a", 253), ""},
		// Kept as typed, as in Docker: nothing here breaks a hosts line or a variable's name.
		{"db:é", "db", "é", ""},
		{"db:\U0001f600", "db", "\U0001f600", ""},
		{"db:-x", "db", "-x", ""},
		{"db:.x", "db", ".x", ""},
		{"db:a/b", "db", "b", ""},
		{"a#b:x", "a#b", "x", ""}, // the child's name is only looked up
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			got, err := Parse(tc.value)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Parse(%q) = %+v, %v; want error %q", tc.value, got, err, tc.err)
				}
				return
			}
			want := Spec{Name: tc.name, Alias: tc.alias, Raw: tc.value}
			if err != nil || got != want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.value, got, err, want)
			}
		})
	}
}

func mustParse(t *testing.T, values ...string) []Spec {
	t.Helper()
	var specs []Spec
	for _, v := range values {
		s, err := Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	return specs
}

func TestDedup(t *testing.T) {
	tests := []struct {
		name     string
		values   []string
		kept     []string // Raw values
		warnings []string
	}{
		{"none", nil, nil, nil},
		{"distinct", []string{"datastore:redis", "cache:cache"}, []string{"datastore:redis", "cache:cache"}, nil},
		{"spec text", []string{"datastore:db", "cache:db"}, []string{"datastore:db"},
			[]string{`WARNING: ignoring --link cache:db: alias "db" is already used by --link datastore:db`}},
		{"exact repeat", []string{"datastore:db", "datastore:db"}, []string{"datastore:db"},
			[]string{`WARNING: ignoring --link datastore:db: alias "db" is already used by --link datastore:db`}},
		{"default alias and inspect form", []string{"upstream", "/other:/web/upstream", "b:x", "c:x"}, []string{"upstream", "b:x"},
			[]string{
				`WARNING: ignoring --link /other:/web/upstream: alias "upstream" is already used by --link upstream`,
				`WARNING: ignoring --link c:x: alias "x" is already used by --link b:x`,
			}},
		{"case differs", []string{"a:db", "b:DB"}, []string{"a:db", "b:DB"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kept, warnings := Dedup(mustParse(t, tc.values...))
			var raws []string
			for _, s := range kept {
				raws = append(raws, s.Raw)
			}
			if !reflect.DeepEqual(raws, tc.kept) || !reflect.DeepEqual(warnings, tc.warnings) {
				t.Fatalf("got %q, %q; want %q, %q", raws, warnings, tc.kept, tc.warnings)
			}
		})
	}
}

func TestTexts(t *testing.T) {
	tests := []struct{ got, want string }{
		{LookupError(""), `could not get container for : invalid name or ID supplied: ""`},
		{LookupError("nonexistent"), `could not get container for nonexistent: No such container: nonexistent`},
		{NonRunningText("stopped", "lateparent", "db"), `Cannot link to a non running container: /stopped AS /lateparent/db`},
		{NonRunningText("/datastore", "/web", "redis"), `Cannot link to a non running container: /datastore AS /web/redis`},
		{NotDefaultNetworkText("parent"), `Cannot link to /parent, as it does not belong to the default network`},
		{NotDefaultNetworkText("/parent"), `Cannot link to /parent, as it does not belong to the default network`},
		{InspectEntry("datastore", "web", "redis"), `/datastore:/web/redis`},
		{InspectEntry("/shortlinkdef", "/link2", "shortlinkdef"), `/shortlinkdef:/link2/shortlinkdef`},
		{LinkName("web", "redis"), `/web/redis`},
		{LinkName("/web-renamed", "redis"), `/web-renamed/redis`},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q; want %q", i, tc.got, tc.want)
		}
	}
}

// The inspect form of a link parses back to the same child and alias (§2: "which accepts the
// inspect form").
func TestParseInspectEntryRoundTrip(t *testing.T) {
	for _, alias := range []string{"redis", "My-Redis.db", fullID} {
		s, err := Parse(InspectEntry("datastore", "web", alias))
		if err != nil || s.Name != "datastore" || s.Alias != alias {
			t.Errorf("alias %q: got %+v, %v", alias, s, err)
		}
	}
	if _, err := Parse(InspectEntry("datastore", "web", "a b")); err == nil || !strings.Contains(err.Error(), `invalid alias "a b"`) {
		t.Errorf("got %v", err)
	}
}
