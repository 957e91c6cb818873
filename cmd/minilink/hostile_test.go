package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The hostile-input tests (issue 8 part 4): malformed and hostile values, a state root on a
// read-only or full file system, and damaged state files. Each must end in one clear line on
// stderr and exit 125, and change nothing: no container, no image, no kernel object.

// TestHostileInputRefused feeds hostile names, aliases, -e, --change, -p, --link and --expose
// values to the commands that take them.
func TestHostileInputRefused(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "hostile-child", "busybox", "sleep", "1000")
	emptyTar := filepath.Join(t.TempDir(), "empty.tar")
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(emptyTar, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 300)
	const nameRule = "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
	const breaks = ": it would break /etc/hosts or an environment name"
	run := func(args ...string) []string {
		return append(append([]string{"run", "--rm"}, args...), "busybox", "true")
	}
	create := func(args ...string) []string {
		return append(append([]string{"create"}, args...), "busybox", "true")
	}
	link := func(alias string) []string { return run("--link", "hostile-child:"+alias) }
	change := func(c string) []string { return []string{"import", "-c", c, emptyTar, "hostile-image"} }

	cases := []struct {
		name string
		args []string
		msg  string
	}{
		// Names follow Docker's rule [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 246 characters.
		{"name with a space", run("--name", "a b"), "Invalid container name (a b" + nameRule},
		{"name with a newline", run("--name", "a\nb"), `Invalid container name ("a\nb"` + nameRule},
		{"name with a tab", create("--name", "a\tb"), `Invalid container name ("a\tb"` + nameRule},
		{"name with a slash", run("--name", "a/b"), "Invalid container name (a/b" + nameRule},
		{"name of 300 characters", run("--name", long), "Invalid container name (aaaaaaaaaaaaaaaaaaaa…), 300 characters: at most 246 are allowed"},
		{"name with é", create("--name", "café"), "Invalid container name (café" + nameRule},
		{"name with an emoji", run("--name", "web\U0001f600"), "Invalid container name (web\U0001f600" + nameRule},
		{"name with a leading -", run("--name=-web"), "Invalid container name (-web" + nameRule},
		{"name with a leading .", run("--name", ".web"), "Invalid container name (.web" + nameRule},
		{"name with a NUL-free control character", run("--name", "a\x7fb"), `Invalid container name ("a\x7fb"` + nameRule},
		{"rename to a newline", []string{"rename", "hostile-child", "x\ny"}, `Invalid container name ("x\ny"` + nameRule},
		{"rename to 300 characters", []string{"rename", "hostile-child", long}, "300 characters: at most 246 are allowed"},

		// Hostnames: sethostname takes 64 bytes; the name is in /etc/hosts lines.
		{"hostname of 70 characters", run("-h", strings.Repeat("h", 70)), `invalid hostname "hhhhhhhhhhhhhhhhhhhh"… (70 bytes): at most 64 are allowed`},
		{"hostname with a newline", run("-h", "a\nb"), `invalid hostname "a\nb": it would break /etc/hosts`},
		{"hostname with a space", create("-h", "a b"), `invalid hostname "a b": it would break /etc/hosts`},
		{"hostname with #", run("-h", "#x"), `invalid hostname "#x": it would break /etc/hosts`},

		// Aliases that would break a hosts line or an environment name.
		{"alias with a space", link("a b"), `invalid alias "a b"` + breaks},
		{"alias with a newline", link("a\nb"), `invalid alias "a\nb"` + breaks},
		{"alias with a tab", link("a\tb"), `invalid alias "a\tb"` + breaks},
		{"alias with =", link("a=b"), `invalid alias "a=b"` + breaks},
		{"alias with #", link("#x"), `invalid alias "#x"` + breaks},
		{"alias with # inside", link("db#1"), `invalid alias "db#1"` + breaks},
		{"alias with a non-breaking space", link("a\u00a0b"), `invalid alias "a\u00a0b"` + breaks},
		{"alias of 300 characters", link(long), `invalid alias "aaaaaaaaaaaaaaaaaaaa"… (300 bytes): longer than 253 bytes, the longest valid host name`},
		{"alias with an extra :", link("a:b"), `invalid argument "hostile-child:a:b" for "--link" flag: bad format for links: hostile-child:a:b`},
		{"alias emptied by a slash", link("x/"), `bad format for links: hostile-child:x/ (empty alias)`},
		{"child name with a space", run("--link", "a b:x"), `invalid name "a b"` + breaks},

		// --link
		{"--link :x", run("--link", ":x"), `could not get container for : invalid name or ID supplied: ""`},
		{"--link a:", run("--link", "a:"), `invalid argument "a:" for "--link" flag: bad format for links: a: (empty alias)`},
		{"--link a:b:c", run("--link", "a:b:c"), `invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c`},
		{"--link empty", run("--link", ""), `invalid argument "" for "--link" flag: empty string specified for links`},
		{"--link unknown", run("--link", "nosuch:db"), "could not get container for nosuch: No such container: nosuch"},

		// -e
		{"-e with a newline", run("-e", "A\nB=1"), `invalid environment variable: "A\nB=1"`},
		{"-e =x", run("-e", "=x"), `invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x`},
		{"-e =", create("-e", "="), `invalid argument "=" for "-e, --env" flag: invalid environment variable: =`},
		{`-e ""`, run("-e", ""), `invalid argument "" for "-e, --env" flag: invalid environment variable:`},
		{"exec -e =x", []string{"exec", "-e", "=x", "hostile-child", "true"}, `invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x`},

		// --change (import refuses it before reading the archive)
		{"--change unknown instruction", change("FOO bar"), "dockerfile parse error line 1: unknown instruction: FOO"},
		{"--change unterminated quote", change(`ENV A="open`), "dockerfile parse error line 1: unexpected end of statement while looking for matching double-quote"},
		{"--change unterminated single quote", change(`LABEL a='x`), "dockerfile parse error line 1: unexpected end of statement while looking for matching single-quote"},
		{"--change EXPOSE 0", change("EXPOSE 0"), "dockerfile parse error line 1: invalid containerPort: 0"},
		{"--change EXPOSE 70000", change("EXPOSE 70000"), "dockerfile parse error line 1: invalid containerPort: 70000"},
		{"--change EXPOSE +80", change("EXPOSE +80"), "dockerfile parse error line 1: invalid containerPort: +80"},
		{"--change EXPOSE icmp", change("EXPOSE 80/icmp"), "dockerfile parse error line 1: invalid proto: icmp"},
		{"--change bad second line", change("ENV A=1\nBOGUS x"), "dockerfile parse error line 2: unknown instruction: BOGUS"},
		{"--change RUN", change("RUN echo"), "RUN is not a valid change command"},
		{"--change ENV empty name", change("ENV =v"), "dockerfile parse error line 1: ENV names cannot be empty"},

		// -p
		{"-p 0:80", run("-p", "0:80"), "invalid hostPort: 0"},
		{"-p 80:0", run("-p", "80:0"), "invalid containerPort: 0"},
		{"-p 1-3:1-2", run("-p", "1-3:1-2"), "invalid ranges specified for container and host Ports: 1-2 and 1-3"},
		{"-p abc", run("-p", "abc"), "invalid containerPort: abc"},
		{"-p 1.2.3.999:80:80", run("-p", "1.2.3.999:80:80"), "Invalid ip address: 1.2.3.999"},
		{"-p 80/sctp", run("-p", "80/sctp"), "invalid proto: sctp (minilink publishes tcp and udp ports only)"},
		{"-p 65536", run("-p", "65536"), "invalid containerPort: 65536"},
		{"-p +80", run("-p", "+80"), "invalid containerPort: +80"},
		{"-p empty", run("-p", ""), "No port specified: <empty>"},
		{"-p 1:2:3:4", run("-p", "1:2:3:4"), "invalid publish spec: 1:2:3:4"},

		// --expose
		{"--expose +80", run("--expose", "+80"), "invalid range format for --expose: +80"},
		{"--expose 0", run("--expose", "0"), "invalid range format for --expose: 0"},
		{"--expose 70000", run("--expose", "70000"), "invalid range format for --expose: 70000"},
		{"--expose 90-80", run("--expose", "90-80"), "invalid range format for --expose: 90-80"},
		{"--expose icmp", run("--expose", "80/icmp"), "invalid proto: icmp"},
		{"--expose empty", create("--expose", ""), "invalid range format for --expose:"},
	}
	before, imagesBefore := hostState(t), mustML(t, "images", "--no-trunc", "-q")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ml(t, tc.args...), tc.msg)
		})
	}
	if after := hostState(t); after != before {
		t.Fatalf("state changed by hostile input:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if after := mustML(t, "images", "--no-trunc", "-q"); after != imagesBefore {
		t.Fatalf("images changed by hostile --change values: %q, was %q", after, imagesBefore)
	}
	if name := inspect(t, "{{.Name}}", "hostile-child"); name != "/hostile-child" {
		t.Fatalf("a refused rename renamed the container to %q", name)
	}
}

// TestHostileAliasesKeptAsDocker: aliases that break neither a hosts line nor an environment name
// are kept as typed, as Docker keeps them (spec §2): non-ASCII letters, a leading "-" or ".", and
// the last element of a path.
func TestHostileAliasesKeptAsDocker(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "kept-child", "busybox", "sleep", "1000")
	out := mustML(t, "run", "--rm", "--link", "kept-child:café", "--link", "kept-child:db\U0001f600",
		"--link", "kept-child:-x", "--link", "kept-child:.y", "--link", "kept-child:/a/z", "busybox", "cat", "/etc/hosts")
	for _, alias := range []string{"café", "db\U0001f600", "-x", ".y", "z"} {
		if !strings.Contains(out, "\t"+alias+" ") {
			t.Errorf("/etc/hosts lacks a line for the alias %q:\n%s", alias, out)
		}
	}
}

// TestHostileCorruptedRecord damages the record of a stopped container in every way a disk or a
// hand can: ps lists the others with one warning line naming the file; inspect of it, and every
// command that creates, starts or computes from all records, fails with one line naming the file
// and how to remove the container; the other containers can still be inspected and removed; and
// rm removes the damaged container itself.
func TestHostileCorruptedRecord(t *testing.T) {
	needKernel(t)
	id := strings.TrimSpace(mustML(t, "create", "--name", "damaged", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", id) }) // after the record is back (cleanups run last first)
	path, good := recordToDamage(t, id)
	stopped := strings.TrimSpace(mustML(t, "create", "--name", "undamaged", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", stopped) })
	runDetached(t, "--name", "bystander", "busybox", "sleep", "1000")
	before := hostState(t)

	hint := "(remove the container with 'minilink rm -f " + id + "')"
	damage := []struct{ name, content, why string }{
		{"garbage", "not json at all\n", "invalid character 'o' in literal null (expecting 'u')"},
		{"empty", "", "unexpected end of JSON input"},
		{"truncated", string(good[:len(good)/2]), "unexpected end of JSON input"},
		{"another ID", strings.Replace(string(good), id, strings.Repeat("ab", 32), 1), `it holds the ID "` + strings.Repeat("ab", 32) + `"`},
		{"a path as name", strings.Replace(string(good), `"Name": "damaged"`, `"Name": "../../etc"`, 1), `it holds the invalid name "../../etc"`},
		{"null", "null", `it holds the ID ""`},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(d.content), 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, good, 0o600)
			msg := "corrupted container record " + path + ": " + d.why + " " + hint

			r := ml(t, "ps", "-a", "--format", "{{.Names}}")
			if r.code != 0 || r.stderr != "WARNING: ignoring "+msg+"\n" {
				t.Fatalf("ps -a with a damaged record: want exit 0 and one warning %q; got %s", "WARNING: ignoring "+msg, r)
			}
			if names := strings.Fields(r.stdout); !contains(names, "bystander") || !contains(names, "undamaged") || contains(names, "damaged") {
				t.Fatalf("ps -a with a damaged record lists %q", names)
			}
			wantError(t, ml(t, "inspect", id), msg)
			// Its name is lost with the record; the warning says which ID to remove instead.
			if r := ml(t, "rm", "damaged"); r.code != 125 || r.stderr != "WARNING: ignoring "+msg+"\nminilink: No such container: damaged\n" {
				t.Fatalf("rm of the damaged container by name: want exit 125, the warning and No such container; got %s", r)
			}
			for _, args := range [][]string{
				{"run", "--rm", "busybox", "true"},
				{"create", "busybox", "true"},
				{"start", "undamaged"},
				{"rename", "undamaged", "renamed"},
				{"gc"},
				{"network", "set", "--icc=false"},
			} {
				r := ml(t, args...)
				if r.code != 125 || strings.TrimSpace(r.stderr) != "minilink: "+msg {
					t.Fatalf("minilink %s with a damaged record: want exit 125 and the one line %q; got %s", strings.Join(args, " "), "minilink: "+msg, r)
				}
			}
			if got := inspect(t, "{{.State.Status}}", "bystander"); got != "running" {
				t.Fatalf("inspect bystander with a damaged record: %q", got)
			}
			if got := inspect(t, "{{.State.Status}}", "undamaged"); got != "created" {
				t.Fatalf("inspect undamaged with a damaged record: %q", got)
			}
		})
	}
	if after := hostState(t); after != before {
		t.Fatalf("state changed by commands on a damaged record:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The other containers can be removed while the record is damaged; then the damaged one.
	if err := os.WriteFile(path, good[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	r := ml(t, "rm", "-f", "bystander", stopped)
	if r.code != 0 || r.stdout != "bystander\n"+stopped+"\n" {
		t.Fatalf("rm -f of the other containers with a damaged record: %s", r)
	}
	r = ml(t, "rm", id[:12])
	if r.code != 0 || r.stdout != id[:12]+"\n" {
		t.Fatalf("rm of the damaged container: %s", r)
	}
	for _, left := range []string{filepath.Dir(path), filepath.Join(testRoot, "names", "damaged")} {
		if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("rm of the damaged container left %s: %v", left, err)
		}
	}
	if r := ml(t, "ps", "-a"); r.code != 0 || r.stderr != "" {
		t.Fatalf("ps -a after the damaged container went: %s", r)
	}
}

// TestHostileCorruptedRecordOfRunningContainer: the record of a running container with a published
// port is damaged. rm without -f refuses (libcontainer says it runs), rm -f removes everything it
// had: the process, the mount, the network namespace's name and with it the veth pair, the rules.
func TestHostileCorruptedRecordOfRunningContainer(t *testing.T) {
	needKernel(t)
	before := hostState(t)
	id := runDetached(t, "--name", "damaged-running", "-p", "18089:80", "busybox", "sleep", "1000")
	path, _ := recordToDamage(t, id)
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantError(t, ml(t, "rm", id), "You cannot remove a running container "+id)
	r := ml(t, "rm", "-f", id)
	if r.code != 0 || r.stdout != id+"\n" {
		t.Fatalf("rm -f of a running container with a damaged record: %s", r)
	}
	for _, left := range []string{"/run/netns/minilink-damaged-running", filepath.Dir(path), filepath.Join(testRoot, "names", "damaged-running")} {
		if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("rm -f of a running container with a damaged record left %s: %v", left, err)
		}
	}
	if after := hostState(t); after != before {
		t.Fatalf("rm -f of a running container with a damaged record left:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestHostileCorruptedSettingsAndImages damages the network settings, the image index and an image
// config in turn: the commands that read them fail with one line naming the file and what to do,
// and nothing changes.
func TestHostileCorruptedSettingsAndImages(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "settings-bystander", "busybox", "sleep", "1000") // the settings exist
	busyboxID := strings.TrimPrefix(inspect(t, "{{.Id}}", "busybox"), "sha256:")
	files := []struct {
		name, path, msg string
		args            [][]string
	}{
		{"network settings", filepath.Join(testRoot, "network.json"),
			"corrupted network settings " + filepath.Join(testRoot, "network.json") + ": unexpected end of JSON input (remove the file to get the defaults back, then 'minilink network set' to change them)",
			[][]string{{"run", "--rm", "busybox", "true"}, {"run", "-d", "busybox", "true"}, {"create", "busybox", "true"}, {"network", "show"}}},
		{"image index", filepath.Join(testRoot, "images", "repositories.json"),
			"corrupted image index " + filepath.Join(testRoot, "images", "repositories.json") + ": unexpected end of JSON input (remove the file: the images stay, untagged, and 'minilink tag ID NAME' names them again)",
			[][]string{{"run", "--rm", "busybox", "true"}, {"create", "busybox", "true"}, {"images"}, {"tag", "busybox", "x"}}},
		{"image config", filepath.Join(testRoot, "images", "configs", busyboxID+".json"),
			"corrupted image config " + filepath.Join(testRoot, "images", "configs", busyboxID+".json") + ": unexpected end of JSON input (remove the file to remove the image, then import or pull it again)",
			[][]string{{"run", "--rm", "busybox", "true"}, {"create", "busybox", "true"}, {"images"}}},
	}
	before := hostState(t)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			good, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := os.WriteFile(f.path, good, 0o644); err != nil {
					t.Error(err)
				}
			}()
			if err := os.WriteFile(f.path, good[:len(good)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range f.args {
				wantError(t, ml(t, args...), f.msg)
			}
		})
	}
	if after := hostState(t); after != before {
		t.Fatalf("state changed by commands on damaged files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// privateRoot makes a state root of its own on a tmpfs of the given size (in the test's private
// mount namespace), with the busybox image and the shared root's network settings (the same
// bridge), and takes it down when the test ends.
func privateRoot(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	image := filepath.Join(dir, "busybox.tar")
	mustML(t, "save", "-o", image, "busybox")
	if err := os.Mkdir(root, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", root, "tmpfs", 0, "size="+size); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Mount("", root, "", unix.MS_REMOUNT, "size="+size) // read-write again
		_ = os.Remove(filepath.Join(root, "filler"))
		if out, _ := exec.Command(binary, "--root", root, "ps", "-aq", "--no-trunc").Output(); len(out) > 0 {
			args := append([]string{"--root", root, "rm", "-f"}, strings.Fields(string(out))...)
			if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil {
				t.Errorf("remove the private root's containers: %v\n%s", err, out)
			}
		}
		if err := unix.Unmount(root, 0); err != nil {
			t.Errorf("unmount the private root: %v", err)
			_ = unix.Unmount(root, unix.MNT_DETACH)
		}
	})
	if settings, err := os.ReadFile(filepath.Join(testRoot, "network.json")); err == nil {
		if err := os.WriteFile(filepath.Join(root, "network.json"), settings, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := mlAt(t, root, "load", "-q", "-i", image); r.code != 0 {
		t.Fatalf("load busybox into %s: %s", root, r)
	}
	return root
}

// mlAt runs minilink against another state root.
func mlAt(t *testing.T, root string, args ...string) result {
	t.Helper()
	return runML(t, root, nil, "", args...)
}

// rootState is what a failed command on root must not change: the files below it (names and
// sizes, the lock's and the image store's aside), and the kernel objects a container has: network
// devices, rules, mounts below root, named network namespaces.
func rootState(t *testing.T, root string) string {
	t.Helper()
	var files []string
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case rel == "layers" || rel == "images":
			return filepath.SkipDir
		case info.IsDir():
			files = append(files, rel+"/")
		case rel != "minilink.lock" && rel != "filler":
			files = append(files, fmt.Sprintf("%s %d", rel, info.Size()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	var devices []string
	for _, l := range strings.Split(string(links), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			devices = append(devices, strings.SplitN(f[1], "@", 2)[0])
		}
	}
	rules, _ := exec.Command("iptables", "-S").Output()
	nat, _ := exec.Command("iptables", "-t", "nat", "-S").Output()
	mountinfo, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, l := range strings.Split(string(mountinfo), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], root+"/") {
			mounts = append(mounts, f[4])
		}
	}
	netns, _ := filepath.Glob("/run/netns/*")
	sort.Strings(files)
	return fmt.Sprintf("files: %q\ndevices: %q\nrules:\n%s\nnat:\n%s\nmounts: %q\nnetns: %q", files, devices, rules, nat, mounts, netns)
}

// TestHostileStateRootReadOnly: on a read-only state root every command fails at the lock with one
// line, and nothing changes.
func TestHostileStateRootReadOnly(t *testing.T) {
	needKernel(t)
	root := privateRoot(t, "16m")
	if r := mlAt(t, root, "create", "--name", "ro-created", "busybox", "true"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	if err := unix.Mount("", root, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	before := rootState(t, root)
	msg := "minilink: open lock " + filepath.Join(root, "minilink.lock") + ": read-only file system"
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"run", "-d", "--name", "ro-run", "busybox", "sleep", "1000"},
		{"create", "busybox", "true"},
		{"start", "ro-created"},
		{"rm", "ro-created"},
		{"ps", "-a"},
	} {
		r := mlAt(t, root, args...)
		if r.code != 125 || r.stderr != msg+"\n" {
			t.Errorf("minilink %s on a read-only root: want exit 125 and %q; got %s", strings.Join(args, " "), msg, r)
		}
	}
	if after := rootState(t, root); after != before {
		t.Fatalf("state changed on a read-only root:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// fill writes a file into root until its file system is full.
func fill(t *testing.T, root string) string {
	t.Helper()
	path := filepath.Join(root, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, unix.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestHostileStateRootFull: on a full state root, run and create fail with one line and leave no
// container directory. A start that runs out of space at any step (the record, the /etc files,
// libcontainer's state, the log) fails with one line and leaves no kernel object: the test frees
// one page at a time until the start succeeds, detached (through the monitor) and attached.
func TestHostileStateRootFull(t *testing.T) {
	needKernel(t)
	root := privateRoot(t, "16m")
	for _, args := range [][]string{
		{"create", "--name", "detached", "-p", "18090:80", "busybox", "sleep", "1000"},
		{"create", "--name", "attached", "busybox", "true"},
	} {
		if r := mlAt(t, root, args...); r.code != 0 {
			t.Fatalf("create: %s", r)
		}
	}
	filler := fill(t, root)
	before := rootState(t, root)
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"run", "-d", "--name", "full-run", "busybox", "sleep", "1000"},
		{"create", "busybox", "true"},
	} {
		r := mlAt(t, root, args...)
		prefix := "minilink: write container record " + filepath.Join(root, "containers") + "/"
		if r.code != 125 || !strings.HasPrefix(r.stderr, prefix) || !strings.HasSuffix(r.stderr, "/container.json: no space left on device\n") ||
			strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("minilink %s on a full root: want exit 125 and one line %q…%q; got %s", strings.Join(args, " "), prefix, "/container.json: no space left on device", r)
		}
	}
	if after := rootState(t, root); after != before {
		t.Fatalf("state changed by create on a full root:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	for _, start := range [][]string{{"start", "detached"}, {"start", "-a", "attached"}} {
		size, err := os.Stat(filler)
		if err != nil {
			t.Fatal(err)
		}
		left := size.Size()
		kernel := func() string { s := rootState(t, root); return s[strings.Index(s, "\ndevices:"):] }
		want := kernel()
		var failures []string
		for {
			r := mlAt(t, root, start...)
			if r.code == 0 {
				break
			}
			if r.code != 125 || !strings.HasPrefix(r.stderr, "minilink: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("minilink %s on a full root (%d bytes freed): want exit 125 and one line; got %s", strings.Join(start, " "), size.Size()-left, r)
			}
			if got := kernel(); got != want {
				t.Fatalf("minilink %s failed on a full root (%s) and left:\n%s\nwas:\n%s", strings.Join(start, " "), r.stderr, got, want)
			}
			failures = append(failures, strings.TrimSpace(r.stderr))
			if left -= 4096; left < 0 || len(failures) > 200 {
				t.Fatalf("minilink %s never succeeded: %q", strings.Join(start, " "), failures)
			}
			if err := os.Truncate(filler, left); err != nil {
				t.Fatal(err)
			}
		}
		if len(failures) == 0 {
			t.Fatalf("minilink %s succeeded on a full root", strings.Join(start, " "))
		}
		t.Logf("minilink %s failed %d times before it had room:\n%s", strings.Join(start, " "), len(failures), strings.Join(failures, "\n"))
		fill(t, root) // full again for the next start
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if r := mlAt(t, root, "rm", "-f", "detached", "attached"); r.code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recordToDamage returns the path of container id's record and its good content, and puts the
// record back when the test ends, however it ends, so that the container can still be removed.
func recordToDamage(t *testing.T, id string) (path string, good []byte) {
	t.Helper()
	path = filepath.Join(testRoot, "containers", id, "container.json")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Dir(path)); err == nil {
			_ = os.WriteFile(path, good, 0o600)
		}
	})
	return path, good
}
