package runtime

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/linker"
	"github.com/minilink/minilink/rootfs"
)

// FuzzParseExpose checks --expose: an accepted value gives consecutive ports of one protocol, each
// key in the canonical form the linker reads back for every link (linker.ParsePort, String()); a
// refusal is an invalid-argument error. The same ports must come out of the two other places a
// port list is typed: `-p PORTS` (bridge.ParsePublish, which exposes its container ports, without
// sctp) and `import -c 'EXPOSE PORTS'` (rootfs.ParseChanges).
func FuzzParseExpose(f *testing.F) {
	for _, v := range []string{
		"6379", "6379/tcp", "53/udp", "9/SCTP", "8000-8002/udp", "1-65535/tcp", "0", "65535", "65536", "-1",
		"+80", "080", "3-1", "80-", "80/", "/tcp", "80/tcp/udp", "1-2-3", "80/icmp", "", "8000-8002/Udp",
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		keys, err := ParseExpose(value)
		if err != nil {
			if keys != nil || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("ParseExpose(%q) = %q, %v; want no keys and an invalid-argument error", value, keys, err)
			}
		} else {
			if len(keys) == 0 {
				t.Fatalf("ParseExpose(%q) = no keys, no error", value)
			}
			first, err := linker.ParsePort(keys[0])
			if err != nil {
				t.Fatalf("ParseExpose(%q): key %q: %v", value, keys[0], err)
			}
			for i, k := range keys {
				p, err := linker.ParsePort(k)
				if err != nil || p.String() != k || p.Num != first.Num+i || p.Proto != first.Proto {
					t.Fatalf("ParseExpose(%q): key %d %q reads back as %+v, %v (first %v)", value, i, k, p, err, first)
				}
			}
		}

		// -p with a container port alone exposes the same keys (and refuses sctp).
		if !strings.Contains(value, ":") && !strings.HasSuffix(strings.ToLower(value), "/sctp") {
			pubs, perr := bridge.ParsePublish(value)
			var pkeys []string
			for _, p := range pubs {
				pkeys = append(pkeys, p.Key())
			}
			if (perr == nil) != (err == nil) || !slices.Equal(pkeys, keys) {
				t.Fatalf("--expose %q gives %q, %v; -p %q exposes %q, %v", value, keys, err, value, pkeys, perr)
			}
		}

		// EXPOSE in --change, when the value is one plain shell word.
		if value == "" || strings.ContainsFunc(value, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune(`"'\$`, r) || r == unicode.ReplacementChar
		}) {
			return
		}
		cfg, cerr := rootfs.ParseChanges(v1.Config{}, []string{"EXPOSE " + value})
		ckeys := slices.Sorted(maps.Keys(cfg.ExposedPorts))
		want := slices.Clone(keys)
		slices.Sort(want)
		if (cerr == nil) == (err == nil) && slices.Equal(ckeys, want) {
			return
		}
		t.Fatalf("--expose %q gives %q, %v; --change 'EXPOSE %s' gives %q, %v", value, keys, err, value, ckeys, cerr)
	})
}
