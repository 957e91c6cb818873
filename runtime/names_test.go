package runtime

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	valid := []string{"ab", "a1", "0a", "web", "datastore", "my-db", "My.Redis_1", "web-renamed", "a..", "x_-.y",
		"38f2e2bedd94" + strings.Repeat("a", 52), strings.Repeat("a", MaxNameLen)}
	for _, name := range valid {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	invalid := []string{"", "a", "Z", "-web", "_web", ".web", "/web", "web/redis", "a b", "web!", "café", "web:1",
		"x\U0001f600", "a#b", "a=b"}
	// A name with a character that is not printable is quoted, so the error stays one clear line.
	quoted := []string{"web\n", "\nweb", "a\tb", "a\u2028b", "a\x00b", "a\xffb"}
	for _, name := range append(invalid, quoted...) {
		err := ValidateName(name)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", name)
			continue
		}
		shown := name
		if slices.Contains(quoted, name) {
			shown = strconv.Quote(name)
		}
		want := "Invalid container name (" + shown + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
		if err.Error() != want {
			t.Errorf("ValidateName(%q) error = %q, want %q", name, err.Error(), want)
		}
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ValidateName(%q) error does not match ErrInvalidArgument", name)
		}
	}
}

func TestValidateNameLength(t *testing.T) {
	// The longest name still names its network namespace: /run/netns/minilink-NAME.
	if n := len(netnsName(strings.Repeat("a", MaxNameLen))); n != 255 {
		t.Fatalf("the network namespace of the longest name has %d bytes, want 255", n)
	}
	name := strings.Repeat("a", 300)
	err := ValidateName(name)
	want := "Invalid container name (aaaaaaaaaaaaaaaaaaaa…), 300 characters: at most 246 are allowed"
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("ValidateName(300 characters) = %v; want the invalid-argument error %q", err, want)
	}
}

func TestValidateHostname(t *testing.T) {
	for _, h := range []string{"", "myhost", "fred", "a.b-c_d", "café", strings.Repeat("h", 64), "-x", "UPPER"} {
		if err := ValidateHostname(h); err != nil {
			t.Errorf("ValidateHostname(%q) = %v, want nil", h, err)
		}
	}
	tests := []struct{ hostname, want string }{
		{"a b", `invalid hostname "a b": it would break /etc/hosts`},
		{"a\nb", `invalid hostname "a\nb": it would break /etc/hosts`},
		{"a\tb", `invalid hostname "a\tb": it would break /etc/hosts`},
		{"#x", `invalid hostname "#x": it would break /etc/hosts`},
		{"a\x00b", `invalid hostname "a\x00b": it would break /etc/hosts`},
		{strings.Repeat("h", 65), `invalid hostname "hhhhhhhhhhhhhhhhhhhh"… (65 bytes): at most 64 are allowed`},
	}
	for _, tc := range tests {
		err := ValidateHostname(tc.hostname)
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ValidateHostname(%q) = %v, want the invalid-argument error %q", tc.hostname, err, tc.want)
		}
	}
}

var fullID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestNewID(t *testing.T) {
	// About 0.4% of random IDs start with 12 digits, so 5000 draws would almost surely meet one
	// if NewID did not reject them.
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		id := NewID()
		if !fullID.MatchString(id) {
			t.Fatalf("NewID() = %q, want 64 lower-case hex digits", id)
		}
		if strings.Trim(id[:12], "0123456789") == "" {
			t.Fatalf("NewID() = %q: its first 12 characters are all digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID() returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestShortID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"38f2e2bedd94" + strings.Repeat("a", 52), "38f2e2bedd94"},
		{"38f2e2bedd94", "38f2e2bedd94"},
		{"38f2e2bedd945", "38f2e2bedd94"},
		{"38f2e2", "38f2e2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ShortID(tt.id); got != tt.want {
			t.Errorf("ShortID(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

var generatedName = regexp.MustCompile(`^([a-z]+)_([a-z_]+?)([0-9]?)$`)

// splitGenerated checks that name is adjective_surname[digit] from the word lists.
func splitGenerated(t *testing.T, name string) (digit string) {
	t.Helper()
	m := generatedName.FindStringSubmatch(name)
	if m == nil || !slices.Contains(nameAdjectives, m[1]) || !slices.Contains(nameSurnames, m[2]) {
		t.Fatalf("generated name %q is not adjective_surname[digit] from the word lists", name)
	}
	return m[3]
}

func TestRandomNameFree(t *testing.T) {
	var asked []string
	name := RandomName(func(n string) bool { asked = append(asked, n); return false })
	if len(asked) != 1 || asked[0] != name {
		t.Fatalf("RandomName asked %q and returned %q; want one question about the returned name", asked, name)
	}
	if d := splitGenerated(t, name); d != "" {
		t.Errorf("RandomName() = %q: a digit without any collision", name)
	}
}

func TestRandomNameSkipsTakenNames(t *testing.T) {
	var asked []string
	name := RandomName(func(n string) bool { asked = append(asked, n); return len(asked) <= 3 })
	if len(asked) != 4 || asked[3] != name {
		t.Fatalf("RandomName asked %q and returned %q; want the 4th name asked", asked, name)
	}
	for _, n := range asked {
		splitGenerated(t, n)
	}
}

func TestRandomNameAppendsDigitAfterCollisions(t *testing.T) {
	var asked []string
	// Every plain adjective_surname is taken: only a name with a digit can be returned.
	name := RandomName(func(n string) bool {
		asked = append(asked, n)
		return !strings.ContainsAny(n[len(n)-1:], "0123456789")
	})
	if d := splitGenerated(t, name); d == "" {
		t.Fatalf("RandomName() = %q, want a digit appended", name)
	}
	if splitGenerated(t, asked[0]) != "" {
		t.Errorf("first name asked %q already has a digit", asked[0])
	}
	if len(asked) > 50 {
		t.Errorf("RandomName asked %d names before appending a digit", len(asked))
	}
}

func TestGeneratedNamesAreValid(t *testing.T) {
	for _, a := range nameAdjectives {
		for _, s := range nameSurnames {
			if err := ValidateName(a + "_" + s + "9"); err != nil {
				t.Errorf("generated name %s_%s9: %v", a, s, err)
			}
		}
	}
}
