package rootfs

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tar-split record and the unpacked files give back the exact tar, byte for byte, including
// files that a later entry of the same tar replaced, and trailing padding.
func TestLayerTarRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		trailer int
	}{
		{"sample", sampleTree, 0},
		{"padded", []entry{{name: "a", body: "aaa"}}, 10240},
		{"replaced file", []entry{
			{name: "f", body: "first"},
			{name: "h", typ: tar.TypeLink, link: "f"},
			{name: "f", body: "second, longer"},
		}, 0},
		{"replaced dir", []entry{
			{name: "d/x", body: "x in d"},
			{name: "d/y/z", body: "deep"},
			{name: "d", typ: tar.TypeSymlink, link: "elsewhere"},
		}, 0},
		{"empty files", []entry{{name: "e"}, {name: "big", body: strings.Repeat("b", 100000)}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			data := append(makeTar(t, tc.entries...), make([]byte, tc.trailer)...)
			img, err := s.Import(bytes.NewReader(data), "x", nil)
			if err != nil {
				t.Fatal(err)
			}
			lt, size, err := s.openLayerTar(trimDigest(img.Layers[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer lt.Close()
			got, err := io.ReadAll(lt)
			if err != nil {
				t.Fatal(err)
			}
			if size != int64(len(data)) || !bytes.Equal(got, data) {
				t.Errorf("rebuilt tar differs: %d bytes (size %d), want %d", len(got), size, len(data))
			}
		})
	}
}

// A layer whose files changed on disk is reported, not handed out under its old digest.
func TestLayerTarChanged(t *testing.T) {
	s := newStore(t)
	img := importTar(t, s, "x", nil, entry{name: "f", body: "original"})
	hexID := trimDigest(img.Layers[0])
	if err := os.WriteFile(filepath.Join(s.layerDir(hexID), "f"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	lt, _, err := s.openLayerTar(hexID)
	if err != nil {
		t.Fatal(err)
	}
	defer lt.Close()
	if _, err := io.ReadAll(lt); err == nil || !strings.Contains(err.Error(), "changed on disk") {
		t.Errorf("err = %v, want a changed-on-disk error", err)
	}
}
