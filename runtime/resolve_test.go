package runtime

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	web := &Container{ID: "38f2e2bedd94" + strings.Repeat("a", 52), Name: "web"}
	data := &Container{ID: "38f2e2b0c0de" + strings.Repeat("b", 52), Name: "datastore"}
	cafeByName := &Container{ID: "1111aaaa2222" + strings.Repeat("c", 52), Name: "cafe"}
	cafeByID := &Container{ID: "cafe00000000" + strings.Repeat("d", 52), Name: "other"}
	// A container whose name is web's full ID: the ID must win.
	impostor := &Container{ID: "dddd11112222" + strings.Repeat("e", 52), Name: web.ID}
	all := []*Container{web, data, cafeByName, cafeByID, impostor}

	tests := []struct {
		name string
		arg  string
		want *Container
	}{
		{"full ID", web.ID, web},
		{"full ID beats an equal name", web.ID, web},
		{"exact name", "datastore", data},
		{"name with leading slash", "/datastore", data},
		{"unique ID prefix", "38f2e2be", web},
		{"other unique ID prefix", "38f2e2b0", data},
		{"12-digit short ID", "38f2e2bedd94", web},
		{"one-character unique prefix", "1", cafeByName},
		{"name beats an ID prefix", "cafe", cafeByName},
		{"ID prefix when no name matches", "cafe0", cafeByID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolve(all, tt.arg)
			if err != nil {
				t.Fatalf("resolve(%q): %v", tt.arg, err)
			}
			if got != tt.want {
				t.Errorf("resolve(%q) = %s (%s), want %s (%s)", tt.arg, got.Name, got.ID, tt.want.Name, tt.want.ID)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	web := &Container{ID: "38f2e2bedd94" + strings.Repeat("a", 52), Name: "web"}
	data := &Container{ID: "38f2e2b0c0de" + strings.Repeat("b", 52), Name: "datastore"}
	all := []*Container{web, data}
	tests := []struct {
		name     string
		all      []*Container
		arg      string
		msg      string
		sentinel error
	}{
		{"unknown name", all, "nonexistent", "No such container: nonexistent", ErrNoSuchContainer},
		{"unknown name with slash keeps the argument", all, "/nothing", "No such container: /nothing", ErrNoSuchContainer},
		{"hex that prefixes nothing", all, "abc", "No such container: abc", ErrNoSuchContainer},
		{"upper-case hex is not an ID prefix", all, "38F2E2BE", "No such container: 38F2E2BE", ErrNoSuchContainer},
		{"name is case-sensitive", all, "Web", "No such container: Web", ErrNoSuchContainer},
		{"no name prefix matching", all, "data", "No such container: data", ErrNoSuchContainer},
		{"empty list", nil, "web", "No such container: web", ErrNoSuchContainer},
		{"ambiguous prefix", all, "38f2e2b", "multiple IDs found with provided prefix: 38f2e2b", ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolve(tt.all, tt.arg)
			if err == nil {
				t.Fatalf("resolve(%q) = %s, want error %q", tt.arg, got.Name, tt.msg)
			}
			if err.Error() != tt.msg {
				t.Errorf("resolve(%q) error = %q, want %q", tt.arg, err.Error(), tt.msg)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("resolve(%q) error %q does not match %v", tt.arg, err, tt.sentinel)
			}
			if tt.sentinel != ErrNoSuchContainer && errors.Is(err, ErrNoSuchContainer) {
				t.Errorf("resolve(%q) error %q wrongly matches ErrNoSuchContainer", tt.arg, err)
			}
		})
	}
}
