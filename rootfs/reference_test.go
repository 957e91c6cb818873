package rootfs

import (
	"regexp"
	"strings"
	"testing"
)

// The reference grammar's expressions, as Docker's distribution/reference writes them: the
// oracle for the hand-written checks.
var (
	repoPathRE = regexp.MustCompile(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

var referenceSamples = []string{
	"", "a", "busybox", "library/busybox", "my-app", "my--app", "my_app", "my__app", "my___app",
	"my.app", "my..app", "my.-app", "-app", "app-", "app.", "_app", "App", "a/b/c", "a//b", "/a",
	"a/", "localhost:5000/web", "localhost:5000", "localhost:/web", ":5000/web", "Host.Example-1/x",
	"host:50a0/x", "host:1:2/x", "a:b", "a/B", "a.b/c_d/e-f", "a_b/c", "0", "x" + string(rune(0xe9)),
	"latest", "v1.2.3", ".hidden", "-dash", "_under", "UPPER", "a:b", "sha256", "a b",
}

func TestValidRepoPathAsTheExpression(t *testing.T) {
	for _, s := range referenceSamples {
		if got, want := validRepoPath(s), repoPathRE.MatchString(s); got != want {
			t.Errorf("validRepoPath(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func TestValidTagAsTheExpression(t *testing.T) {
	long := strings.Repeat("a", 128)
	for _, s := range append(referenceSamples, long, long+"a", "_"+long[1:]) {
		if got, want := validTag(s), tagRE.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func FuzzReferenceGrammar(f *testing.F) {
	for _, s := range referenceSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validRepoPath(s), repoPathRE.MatchString(s); got != want {
			t.Errorf("validRepoPath(%q) = %v, the expression says %v", s, got, want)
		}
		if got, want := validTag(s), tagRE.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
