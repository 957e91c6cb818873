package runtime

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	valid := []string{"ab", "a1", "0a", "web", "datastore", "my-db", "My.Redis_1", "web-renamed", "a..", "x_-.y",
		"38f2e2bedd94" + strings.Repeat("a", 52)}
	for _, name := range valid {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	invalid := []string{"", "a", "Z", "-web", "_web", ".web", "/web", "web/redis", "a b", "web!", "café", "web\n",
		"\nweb", "web:1"}
	for _, name := range invalid {
		err := ValidateName(name)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", name)
			continue
		}
		want := "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
		if err.Error() != want {
			t.Errorf("ValidateName(%q) error = %q, want %q", name, err.Error(), want)
		}
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ValidateName(%q) error does not match ErrInvalidArgument", name)
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
