package runtime

import (
	"archive/tar"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/minilink/minilink/rootfs"
)

// envList turns one fuzzed string into a list of entries, sep between them ("" is no entry).
func envList(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// envKey is an entry's name: what comes before the first "=", or the whole bare entry.
func envKey(e string) string {
	k, _, _ := strings.Cut(e, "=")
	return k
}

// FuzzProcessEnv checks ProcessEnv against its documented rules, stated without its algorithm:
// the sources apply in order (PATH, HOSTNAME, TERM with a tty, the link variables, the container's
// env, the exec's -e); a name's value is the last one set, a bare NAME after it removes it; a name
// sits where it was (last) first set, so a replace keeps its position and a re-add after a
// removal goes to the end; HOME=home comes last when nothing set HOME. Every entry is NAME=VALUE,
// each name once, and the inputs are left alone.
func FuzzProcessEnv(f *testing.F) {
	link := strings.Join([]string{
		"REDIS_PORT=tcp://172.17.0.2:6379", "REDIS_PORT_6379_TCP_ADDR=172.17.0.2",
		"REDIS_PORT_6379_TCP_ADDR=172.17.0.2", "REDIS_NAME=/web/redis", "REDIS_ENV_A=1",
	}, "\n")
	f.Add("4f1c2a9b7e3d", false, link, imagePath+"\nFOO=1\nREDIS_PORT=x", "", "/root")
	f.Add("abc", true, "DB_NAME=/web/db", "TERM=vt100\nHOME=/home/u\nPATH", "HOME\nPATH=/x\nA=b=c", "/root")
	f.Add("h", false, "", "A=1\nB=2\nA\nA=3", "B\nC\n=x\n", "")
	f.Add("h=x", true, "HOSTNAME=y\nHOSTNAME", "HOSTNAME=z", "TERM\nTERM=dumb", "/")
	f.Fuzz(func(t *testing.T, hostname string, tty bool, link, config, exec, home string) {
		linkEnv, configEnv, execEnv := envList(link, "\n"), envList(config, "\n"), envList(exec, "\n")
		l0, c0, e0 := slices.Clone(linkEnv), slices.Clone(configEnv), slices.Clone(execEnv)
		got := ProcessEnv(hostname, tty, linkEnv, configEnv, execEnv, home)
		if !slices.Equal(linkEnv, l0) || !slices.Equal(configEnv, c0) || !slices.Equal(execEnv, e0) {
			t.Fatal("ProcessEnv modified its inputs")
		}

		sources := []string{defaultPath, "HOSTNAME=" + hostname}
		if tty {
			sources = append(sources, "TERM=xterm")
		}
		sources = slices.Concat(sources, linkEnv, configEnv, execEnv)
		// For every name: its final entry, and the index of the set that put it where it is
		// (the first set since it was last removed); -1 when it ends up removed or never set.
		final := map[string]string{}
		born := map[string]int{}
		for i, e := range sources {
			k := envKey(e)
			if !strings.Contains(e, "=") {
				born[k] = -1
				delete(final, k)
				continue
			}
			if _, live := final[k]; !live {
				born[k] = i
			}
			final[k] = e
		}
		var want []string
		for k := range final {
			want = append(want, k)
		}
		slices.SortFunc(want, func(a, b string) int { return born[a] - born[b] })
		for i, k := range want {
			want[i] = final[k]
		}
		if _, ok := final["HOME"]; !ok {
			want = append(want, "HOME="+home)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ProcessEnv(%q, %v, %q, %q, %q, %q) =\n%q\nwant\n%q", hostname, tty, linkEnv, configEnv, execEnv, home, got, want)
		}
		seen := map[string]bool{}
		for _, e := range got {
			if !strings.Contains(e, "=") || seen[envKey(e)] {
				t.Fatalf("ProcessEnv gave %q: entry %q is bare or repeats a name", got, e)
			}
			seen[envKey(e)] = true
		}
	})
}

// FuzzConfigEnv checks ConfigEnv (.Config.Env from -e and the image's ENV) and what the process
// then sees, Docker's rules: every -e entry in order, a bare -e KEY taking the CLI's value when
// it has one; then each image entry whose name no -e entry names. In the process environment an
// -e name's last -e entry wins over the image, a bare -e KEY the CLI lacks hides the image's KEY,
// and an image name no -e names keeps its image value.
func FuzzConfigEnv(f *testing.F) {
	f.Add("HOME=/x\nHOSTNAME=y\nPATH=/p\nA=1", imagePath)
	f.Add("FOO=1\nREDIS_VERSION=8", imagePath+"\nGOSU_VERSION=1.17\nREDIS_VERSION=7.0.15")
	f.Add("TOKEN\nEMPTY\nMISSING\nA=1", imagePath+"\nMISSING=img\nTOKEN=img")
	f.Add("A=1\nB=2\nA=3\nA", "A=img\nX=a=b\nY=")
	f.Add("=x\n\nPATH", "=y\nZ")
	cli := map[string]string{"TOKEN": "abc", "EMPTY": "", "PATH": "/cli/bin"}
	lookup := func(k string) (string, bool) { v, ok := cli[k]; return v, ok }
	f.Fuzz(func(t *testing.T, flags, image string) {
		flagEnv, imageEnv := envList(flags, "\n"), envList(image, "\n")
		f0, i0 := slices.Clone(flagEnv), slices.Clone(imageEnv)
		got := ConfigEnv(flagEnv, imageEnv, lookup)
		if !slices.Equal(flagEnv, f0) || !slices.Equal(imageEnv, i0) {
			t.Fatal("ConfigEnv modified its inputs")
		}
		var want []string
		named := map[string]bool{}
		for _, e := range flagEnv {
			if v, ok := cli[e]; ok && !strings.Contains(e, "=") {
				e += "=" + v
			}
			want = append(want, e)
			named[envKey(e)] = true
		}
		for _, e := range imageEnv {
			if !named[envKey(e)] {
				want = append(want, e)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ConfigEnv(%q, %q) =\n%q\nwant\n%q", flagEnv, imageEnv, got, want)
		}

		proc := ProcessEnv("h", false, nil, got, nil, "/root")
		value := func(k string) (string, bool) {
			for _, e := range proc {
				if name, v, _ := strings.Cut(e, "="); name == k {
					return v, true
				}
			}
			return "", false
		}
		for k := range named {
			// The last -e entry for k decides.
			var last string
			for _, e := range want[:len(flagEnv)] {
				if envKey(e) == k {
					last = e
				}
			}
			v, ok := value(k)
			_, wantV, set := strings.Cut(last, "=")
			switch {
			case set && (!ok || v != wantV):
				t.Fatalf("-e %q: process env %q; want %s=%s", flagEnv, proc, k, wantV)
			case !set && ok && k != "HOME":
				t.Fatalf("-e %q (bare, no CLI value) over image %q: process env %q still has %s", flagEnv, imageEnv, proc, k)
			}
		}
	})
}

// fuzzRuntime is a state root in dir with one image, "fuzzenv", imported with ENV and no files,
// so that create's own env check (checkImage) can run without root.
func fuzzRuntime(dir string) (*Runtime, error) {
	images, err := rootfs.Open(dir)
	if err != nil {
		return nil, err
	}
	var empty bytes.Buffer
	if err := tar.NewWriter(&empty).Close(); err != nil {
		return nil, err
	}
	if _, err := images.Import(&empty, "fuzzenv", []string{"ENV PATH=/usr/bin:/bin IMG=1 FOO=img"}); err != nil {
		return nil, err
	}
	return &Runtime{Root: dir, Images: images}, nil
}

// FuzzCreateEnv checks the -e entries create accepts (checkImage: ConfigEnv, then its own check)
// against what runc's init accepts when the process starts (libcontainer prepareEnv: NAME=VALUE,
// NAME not empty, no NUL byte): a container that could be created must be able to start. No
// accepted entry may put a newline in a name (or anywhere: create refuses them). A refusal is an
// invalid-argument error. The -e entries are separated by "\x1e" so that they may hold newlines.
func FuzzCreateEnv(f *testing.F) {
	for _, v := range []string{
		"FOO=1", "A=1\x1eB=2", "FOO", "PATH", "HOME=/x", "A\nB=1", "A=1\n", "A=\x00", "=x", "=", "",
		"\x1e", "A B=1", "A=B=C", "IMG", "MISSING",
	} {
		f.Add(v)
	}
	r, err := fuzzRuntime(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, flags string) {
		o := &CreateOptions{Image: "fuzzenv", Env: envList(flags, "\x1e")}
		c := &Container{ID: strings.Repeat("ab", 32)}
		if err := checkImage(r, nil, o, c); err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("create with -e %q: %v; want an invalid-argument error", o.Env, err)
			}
			return
		}
		env := ProcessEnv(c.Config.Hostname, false, nil, c.Config.Env, nil, "/root")
		for _, e := range env {
			name, _, ok := strings.Cut(e, "=")
			switch {
			case !ok:
				t.Fatalf("create accepted -e %q: process env entry %q has no '='", o.Env, e)
			case strings.ContainsAny(e, "\n\x00"):
				t.Fatalf("create accepted -e %q: process env entry %q holds a newline or NUL", o.Env, e)
			case name == "":
				t.Fatalf("create accepted -e %q: runc refuses the process env entry %q (empty name) at start", o.Env, e)
			}
		}
	})
}

// Found by FuzzCreateEnv: create accepted an -e entry with an empty name ("=x", "="), which the
// process environment keeps and runc's init refuses ("invalid environment variable: name cannot be
// empty"), so the container was created but every start failed. Docker's CLI refuses it up front
// (opts.ValidateEnv: "invalid environment variable: =x"), and so the bare entry "" (-e ""); so
// does create now, with Docker's text behind pflag's prefix.
func TestCreateRefusesEnvEmptyName(t *testing.T) {
	r, err := fuzzRuntime(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"=x", "=", "", "==x"} {
		err := checkImage(r, nil, &CreateOptions{Image: "fuzzenv", Env: []string{"A=1", e}}, &Container{ID: strings.Repeat("ab", 32)})
		want := `invalid argument "` + e + `" for "-e, --env" flag: invalid environment variable: ` + e
		if !errors.Is(err, ErrInvalidArgument) || err.Error() != want {
			t.Errorf("create with -e %q: %v; want the invalid-argument error %q", e, err, want)
		}
	}
}
