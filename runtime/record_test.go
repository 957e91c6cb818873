package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// recordRoot is a state root with two good records, "older" and "newer", and the runtime on it.
func recordRoot(t *testing.T) (*Runtime, []*Container) {
	t.Helper()
	r := &Runtime{Root: t.TempDir()}
	var cs []*Container
	for i, name := range []string{"older", "newer"} {
		c := &Container{ID: strings.Repeat(string(rune('a'+i)), 64), Name: name, Created: time.Unix(int64(1000+i), 0).UTC()}
		if err := os.MkdirAll(r.containerDir(c.ID), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := r.save(c); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return r, cs
}

// TestLoadCorruptRecord: a record that is not JSON, or not the record of the container its
// directory names, is a CorruptRecordError naming the file and saying how to remove the container.
func TestLoadCorruptRecord(t *testing.T) {
	r, cs := recordRoot(t)
	id := cs[0].ID
	path := r.recordPath(id)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, content, why string }{
		{"garbage", "garbage", "invalid character 'g' looking for beginning of value"},
		{"empty", "", "unexpected end of JSON input"},
		{"truncated", string(good[:strings.Index(string(good), `"Config"`)]), "unexpected end of JSON input"},
		{"an array", "[]", "json: cannot unmarshal array into Go value of type runtime.Container"},
		{"null", "null", `it holds the ID ""`},
		{"no ID", "{}", `it holds the ID ""`},
		{"another ID", strings.Replace(string(good), id, cs[1].ID, 1), `it holds the ID "` + cs[1].ID + `"`},
		{"a path as name", strings.Replace(string(good), `"older"`, `"../../x"`, 1), `it holds the invalid name "../../x"`},
		{"no name", strings.Replace(string(good), `"older"`, `""`, 1), `it holds the invalid name ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := r.load(id)
			var bad *CorruptRecordError
			want := "corrupted container record " + path + ": " + tc.why + " (remove the container with 'minilink rm -f " + id + "')"
			if !errors.As(err, &bad) || bad.ID != id || bad.Path != path || err.Error() != want {
				t.Fatalf("load of a record holding %q: %v; want the CorruptRecordError %q", tc.content, err, want)
			}
		})
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := r.load(id); err != nil || c.Name != "older" {
		t.Fatalf("load of the good record: %+v, %v", c, err)
	}
}

// TestListCorruptRecord: a damaged record fails the listing, unless SkipCorrupt is set; then the
// listing has the others and SkipCorrupt hears of the damaged one. A directory without a record
// (a create or removal under way) is no container, in either mode.
func TestListCorruptRecord(t *testing.T) {
	r, cs := recordRoot(t)
	if err := os.WriteFile(r.recordPath(cs[0].ID), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(r.containerDir(strings.Repeat("c", 64)), 0o711); err != nil {
		t.Fatal(err)
	}
	all, err := r.list()
	var bad *CorruptRecordError
	if !errors.As(err, &bad) || bad.ID != cs[0].ID || all != nil {
		t.Fatalf("strict list with a damaged record = %v, %v; want its CorruptRecordError", all, err)
	}
	var skipped []string
	r.SkipCorrupt = func(err *CorruptRecordError) { skipped = append(skipped, err.ID) }
	all, err = r.list()
	if err != nil || len(all) != 1 || all[0].Name != "newer" || len(skipped) != 1 || skipped[0] != cs[0].ID {
		t.Fatalf("tolerant list with a damaged record = %v, %v, skipped %q; want newer alone and the damaged one skipped", all, err, skipped)
	}
}

// TestSaveErrorNamesRecord: a record that cannot be written is named once, with the reason, not
// the temporary file's name (here the record's path is a directory, which even root cannot
// rename a file over).
func TestSaveErrorNamesRecord(t *testing.T) {
	r, cs := recordRoot(t)
	path := r.recordPath(cs[0].ID)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := r.save(cs[0])
	want := "write container record " + path + ": file exists" // os.Rename: a directory is in the way
	if err == nil || err.Error() != want || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("save over a directory: %v; want %q", err, want)
	}
	entries, err := os.ReadDir(r.containerDir(cs[0].ID))
	if err != nil || len(entries) != 1 {
		t.Fatalf("save over a directory left %v (%v); want the directory alone", entries, err)
	}
}

func TestReadSmallFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 2047, 2048, 2049, 4095, 4096, 4097, 100000} {
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		path := filepath.Join(dir, fmt.Sprint(size))
		if err := os.WriteFile(path, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readSmallFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("size %d: got %d bytes, err %v", size, len(got), err)
		}
	}
	if _, err := readSmallFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	if _, err := readSmallFile(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("reading a directory: %v, want an error naming it", err)
	}
}

// TestDecodeRecordAgreesWithEncodingJSON: the fast decoder reads a record exactly as encoding/json
// does, every field set, empty and absent lists told apart (inspect prints [] and null).
func TestDecodeRecordAgreesWithEncodingJSON(t *testing.T) {
	limit := int64(64)
	full := &Container{
		ID: strings.Repeat("ab", 32), Name: "web", Created: time.Date(2026, 11, 30, 3, 4, 5, 678901234, time.UTC),
		Image: "busybox", ImageID: "sha256:" + strings.Repeat("c", 64), Path: "sh", Args: []string{},
		Config: Config{
			Hostname: "abababababab", User: "1000:1000", Env: []string{"A=1", "B=é\tx"}, Cmd: []string{"-c", "echo 'hi'"},
			WorkingDir: "/srv", ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}}, Tty: true, OpenStdin: true, Image: "busybox",
		},
		HostConfig: HostConfig{
			NetworkMode: "bridge", AutoRemove: true, Links: []Link{{Child: "db", Alias: "redis"}},
			Memory: 1 << 30, NanoCPUs: 1500000000, PidsLimit: &limit,
		},
		State: State{
			Status: StatusRunning, Pid: 4242, StartedAt: time.Date(2026, 11, 30, 3, 4, 6, 0, time.UTC),
			OwnerPid: 4241, OwnerStart: 123456789, Starting: true, OOMKilled: true,
		},
		Network: Network{IPAddress: "172.17.0.2", IPPrefixLen: 16, Gateway: "172.17.0.1", MacAddress: "02:42:ac:11:00:02", HostVeth: "veth1234567", NetnsPath: "/run/netns/minilink-web"},
	}
	r := &Runtime{Root: t.TempDir()}
	for _, c := range []*Container{full, {ID: full.ID, Name: "bare"}} {
		if err := os.MkdirAll(r.containerDir(c.ID), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := r.save(c); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(r.recordPath(c.ID))
		if err != nil {
			t.Fatal(err)
		}
		want := &Container{}
		if err := json.Unmarshal(data, want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeRecord of\n%s\n= %+v\nencoding/json gives %+v", data, got, want)
		}
	}
}
