package rootfs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A layer is stored unpacked, but Save must hand out the very tar whose sha256 is the layer's
// diffID, or the image config (and so the image ID) would no longer match. Re-creating a tar from
// the files cannot give the same bytes (entry order, header formats, padding), so while a layer is
// unpacked its tar-split record keeps every byte of the stream except the regular files' contents,
// which stay in the layer directory only. Save interleaves the two again and checks the digest.
//
// The record is gzip-compressed JSON, one splitRecord per line, in stream order:
//
//	{"raw": "<base64>"}                 bytes copied as they were (headers, padding, the end marker)
//	{"file": "etc/passwd", "size": 42}  the contents of that regular file of the layer
//	{"seg": 7, "raw": "<base64>"}       the contents of record 7, whose file a later entry of the
//	                                    same layer replaced; these come last

// splitRecord is one line of a tar-split record.
type splitRecord struct {
	Raw  []byte `json:"raw,omitempty"`
	File string `json:"file,omitempty"`
	Size int64  `json:"size,omitempty"`
	Seg  *int   `json:"seg,omitempty"`
}

// tarRecorder sits between a layer's uncompressed stream and archive/tar's reader, so that it sees
// every byte exactly once: what the tar reader consumes while a file's contents are being copied
// becomes a file record, everything else raw records.
type tarRecorder struct {
	r     io.Reader
	root  string // the layer directory, to read back a replaced file
	out   *os.File
	zw    *gzip.Writer
	enc   *json.Encoder
	raw   []byte
	nsegs int
	cur   *splitRecord   // the file whose contents are being read, or nil
	files map[string]int // file path -> its record number, while the file is on disk as recorded
	late  []splitRecord  // "seg" records, written at the end
	err   error          // the first write error, reported by finish
}

// newTarRecorder records r into the file at path, for the layer being unpacked into root.
func newTarRecorder(r io.Reader, root, path string) (*tarRecorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	zw := gzip.NewWriter(f)
	return &tarRecorder{r: r, root: root, out: f, zw: zw, enc: json.NewEncoder(zw), files: map[string]int{}}, nil
}

func (t *tarRecorder) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.cur != nil {
		t.cur.Size += int64(n)
	} else {
		t.raw = append(t.raw, p[:n]...)
		// Long runs of raw bytes (an archive padded with zeros) are cut so memory stays bounded.
		if len(t.raw) >= 1<<20 {
			t.flushRaw()
		}
	}
	return n, err
}

func (t *tarRecorder) write(rec splitRecord) {
	if t.err == nil {
		t.err = t.enc.Encode(rec)
	}
	t.nsegs++
}

func (t *tarRecorder) flushRaw() {
	if len(t.raw) > 0 {
		t.write(splitRecord{Raw: t.raw})
		t.raw = nil
	}
}

// beginFile is called when the contents of the regular file rel are about to be read.
func (t *tarRecorder) beginFile(rel string) {
	t.flushRaw()
	t.cur = &splitRecord{File: rel}
}

// endFile is called when they have been read.
func (t *tarRecorder) endFile() {
	rec := *t.cur
	t.cur = nil
	t.files[rec.File] = t.nsegs
	t.write(rec)
}

// detach is called before rel (and whatever is below it) is removed from the layer to make room
// for a later entry: the contents recorded as coming from those files are copied into the record.
func (t *tarRecorder) detach(rel string) error {
	for p, seg := range t.files {
		if p != rel && !strings.HasPrefix(p, rel+"/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(t.root, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("keep contents of replaced %s: %w", p, err)
		}
		t.late = append(t.late, splitRecord{Seg: &seg, Raw: data})
		delete(t.files, p)
	}
	return nil
}

// finish records the rest of the stream (what follows the tar's end marker) and closes the record.
func (t *tarRecorder) finish() error {
	if _, err := io.Copy(io.Discard, t); err != nil {
		_ = t.out.Close()
		return fmt.Errorf("read tar: %w", err)
	}
	t.flushRaw()
	for _, rec := range t.late {
		t.write(rec)
	}
	err := t.err
	if cerr := t.zw.Close(); err == nil {
		err = cerr
	}
	if serr := t.out.Sync(); err == nil {
		err = serr
	}
	if cerr := t.out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write tar-split record: %w", err)
	}
	return nil
}

// abort closes the record after a failure; the caller removes the file.
func (t *tarRecorder) abort() { _ = t.out.Close() }

// readSplit reads a layer's tar-split record: the records in order, the late contents by record
// number, and the size of the tar they make.
func readSplit(path string) (recs []splitRecord, late map[int][]byte, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, nil, 0, err
	}
	dec := json.NewDecoder(zr)
	late = map[int][]byte{}
	for {
		var rec splitRecord
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, 0, err
		}
		if rec.Seg != nil {
			late[*rec.Seg] = rec.Raw
			continue
		}
		if rec.File != "" {
			if clean, err := entryPath(rec.File); err != nil || clean != rec.File || rec.Size < 0 {
				return nil, nil, 0, fmt.Errorf("bad file record %q", rec.File)
			}
		}
		recs = append(recs, rec)
	}
	for i, rec := range recs {
		if data, ok := late[i]; ok {
			if int64(len(data)) != rec.Size {
				return nil, nil, 0, fmt.Errorf("record %d: kept %d bytes of %s, want %d", i, len(data), rec.File, rec.Size)
			}
			size += rec.Size
			continue
		}
		size += int64(len(rec.Raw)) + rec.Size
	}
	return recs, late, size, nil
}

// layerTar streams a stored layer's original tar, rebuilt from its tar-split record and its files.
// Reading it to the end checks the result against the diffID, so a layer changed on disk is
// reported instead of being handed out under a digest it no longer has.
type layerTar struct {
	hexID string
	dir   string
	recs  []splitRecord
	late  map[int][]byte
	next  int
	cur   io.Reader
	file  *os.File
	h     hash.Hash
}

// openLayerTar returns the tar of the stored layer with the given hex diffID, and its size.
func (s *Store) openLayerTar(hexID string) (*layerTar, int64, error) {
	recs, late, size, err := readSplit(s.layerSplitFile(hexID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("layer sha256:%s has no tar-split record (it was stored by an older minilink); remove and pull or load its image again", hexID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read tar-split record of layer sha256:%s: %w", hexID, err)
	}
	return &layerTar{hexID: hexID, dir: s.layerDir(hexID), recs: recs, late: late, h: sha256.New()}, size, nil
}

func (l *layerTar) Read(p []byte) (int, error) {
	for {
		if l.cur != nil {
			n, err := l.cur.Read(p)
			l.h.Write(p[:n])
			if errors.Is(err, io.EOF) {
				l.closeFile()
				if n > 0 {
					return n, nil
				}
				continue
			}
			if err != nil {
				return n, fmt.Errorf("layer sha256:%s: %w", l.hexID, err)
			}
			return n, nil
		}
		if l.next == len(l.recs) {
			if got := hex.EncodeToString(l.h.Sum(nil)); got != l.hexID {
				return 0, fmt.Errorf("layer sha256:%s was changed on disk: its files now make sha256:%s", l.hexID, got)
			}
			return 0, io.EOF
		}
		if err := l.open(l.next); err != nil {
			return 0, err
		}
		l.next++
	}
}

// open makes record i the one being read.
func (l *layerTar) open(i int) error {
	rec := l.recs[i]
	if data, ok := l.late[i]; ok {
		l.cur = bytes.NewReader(data)
		return nil
	}
	if rec.File == "" {
		l.cur = bytes.NewReader(rec.Raw)
		return nil
	}
	// O_NOFOLLOW: the recorded path was a regular file; anything else means the layer changed.
	f, err := os.OpenFile(filepath.Join(l.dir, filepath.FromSlash(rec.File)), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("layer sha256:%s: %w", l.hexID, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != rec.Size {
		_ = f.Close()
		return fmt.Errorf("layer sha256:%s was changed on disk: %s is not the file it unpacked", l.hexID, rec.File)
	}
	l.file = f
	l.cur = io.LimitReader(f, rec.Size)
	return nil
}

func (l *layerTar) closeFile() {
	if l.file != nil {
		_ = l.file.Close()
		l.file = nil
	}
	l.cur = nil
}

// Close releases the file being read, if any.
func (l *layerTar) Close() error {
	l.closeFile()
	return nil
}
