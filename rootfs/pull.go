package rootfs

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PullOptions tune Pull.
type PullOptions struct {
	// Insecure allows plain HTTP, and HTTPS with a certificate that does not verify, as Docker's
	// insecure-registries does. Plain HTTP is always allowed for loopback registries
	// (localhost, 127.0.0.0/8, [::1]).
	Insecure bool
	Platform string // "os/arch[/variant]"; "" means linux/<runtime.GOARCH>
	// Progress, when set, receives events as the pull goes (it is called from one goroutine at a time).
	Progress func(ProgressEvent)
}

// ProgressEvent is one line's state of Docker's pull display.
type ProgressEvent struct {
	ID      string // the layer's short digest (12 hex of the compressed digest), or "" for whole-image messages
	Status  string // Docker's words: "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete", "Already exists"
	Current int64  // bytes so far (Downloading/Extracting)
	Total   int64  // bytes in all, when known
}

// PullResult says what Pull did, for Docker's closing lines.
type PullResult struct {
	Image     *Image
	Reference string // normalized, e.g. "docker.io/library/redis:7" (what Docker prints last)
	Tag       string // the local tag it set, e.g. "redis:7" ("" when pulled by digest only)
	Digest    string // "sha256:…" of the manifest (or of the index, when the reference named an index — Docker prints the index digest)
	UpToDate  bool   // the tag already named this image: "Status: Image is up to date for redis:7"
}

// pullJobs is how many layers download at once, as in Docker.
const pullJobs = 3

// progressEvery spaces the byte-count events, which a terminal display redraws each time.
const progressEvery = 100 * time.Millisecond

// Pull fetches ref ("redis", "library/redis:7", "jpetazzo/trainingwheels", "localhost:5000/x:1",
// "x@sha256:…") with credentials from the default keychain (~/.docker/config.json), picks the
// platform's entry of a multi-arch index, downloads each layer not stored yet (by diffID),
// verifies every compressed and uncompressed digest, unpacks each layer once into the store,
// writes the config and moves the tag.
//
// Layers download a few at a time into a private temp directory and are unpacked there in order,
// as Docker does; only when all are verified do they, the config and the tag move into the
// store. So a failure or a cancelled ctx (Ctrl-C) leaves no partial image, layer or temp dir.
func (s *Store) Pull(ctx context.Context, ref string, o PullOptions) (PullResult, error) {
	want, err := parsePlatform(o.Platform)
	if err != nil {
		return PullResult{}, err
	}
	var nameOpts []name.Option
	if o.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return PullResult{}, fmt.Errorf("invalid reference format: %s", ref)
	}
	res := PullResult{Reference: dockerReference(r)}
	if t, ok := r.(name.Tag); ok {
		if res.Tag, err = normalizeRef(r.Context().Name() + ":" + t.TagStr()); err != nil {
			return PullResult{}, err
		}
	}

	// One cancel for everything: the registry requests, the downloads and the unpacking.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(registryTransport(o.Insecure)),
		remote.WithUserAgent("minilink"),
	}
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return PullResult{}, pullError(r, err)
	}
	res.Digest = desc.Digest.String()
	img, err := pickImage(desc, want)
	if err != nil {
		return PullResult{}, pullError(r, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return PullResult{}, pullError(r, err)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return PullResult{}, pullError(r, err)
	}
	cf, hexID, err := parseConfig(raw, len(m.Layers))
	if err != nil {
		return PullResult{}, err
	}
	if "sha256:"+hexID != m.Config.Digest.String() {
		return PullResult{}, fmt.Errorf("image config digest mismatch: content is sha256:%s, the manifest says %s", hexID, m.Config.Digest)
	}
	if err := checkPlatform(cf, want); err != nil {
		return PullResult{}, err
	}
	for _, l := range m.Layers {
		if !l.MediaType.IsDistributable() {
			return PullResult{}, fmt.Errorf("layer %s is a foreign layer (%s), which minilink does not fetch", l.Digest, l.MediaType)
		}
		if l.MediaType != "" && !l.MediaType.IsLayer() {
			return PullResult{}, fmt.Errorf("not a container image: layer %s has media type %s", l.Digest, l.MediaType)
		}
	}

	st, err := s.newStager("pull")
	if err != nil {
		return PullResult{}, err
	}
	defer st.close()
	if !st.haveImage(hexID, cf) {
		p := &puller{st: st, img: img, m: m, cf: cf, progress: o.Progress, cancel: cancel}
		if err := p.run(ctx); err != nil {
			return PullResult{}, err
		}
		st.addConfig(hexID, raw)
		if err := st.commit(ctx); err != nil {
			return PullResult{}, fmt.Errorf("pull: %w", err)
		}
	}

	repos, err := s.loadRepos()
	if err != nil {
		return PullResult{}, err
	}
	id := "sha256:" + hexID
	if res.Tag != "" {
		res.UpToDate = repos[res.Tag] == id
		if !res.UpToDate {
			repos[res.Tag] = id
			if err := s.saveRepos(repos); err != nil {
				return PullResult{}, err
			}
		}
	} else {
		res.UpToDate = len(st.configs) == 0 // by digest: the image was there already
	}
	if res.Image, err = s.image(hexID, repos); err != nil {
		return PullResult{}, err
	}
	return res, nil
}

// puller runs the layer downloads of one pull.
type puller struct {
	st       *stager
	img      v1.Image
	m        *v1.Manifest
	cf       *v1.ConfigFile
	progress func(ProgressEvent)
	cancel   context.CancelFunc

	mu     sync.Mutex // serialises progress and guards failed
	failed error      // the first error, which cancelled everything else
}

func (p *puller) emit(e ProgressEvent) {
	if p.progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.progress(e)
}

// fail records the first error and stops the other goroutines; later errors are consequences.
func (p *puller) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == nil {
		p.failed = err
		p.cancel()
	}
}

func (p *puller) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// download is one layer to fetch.
type download struct {
	i    int // index in the manifest
	blob string
	done chan struct{}
}

// run downloads the missing layers, pullJobs at a time, and unpacks each as soon as it and the
// ones below it are there, bottom first, which is the order Docker's display shows.
func (p *puller) run(ctx context.Context) error {
	var todo []*download
	queued := map[string]bool{}
	for i, l := range p.m.Layers {
		diffID := p.cf.RootFS.DiffIDs[i]
		if p.st.haveLayer(diffID) || queued[diffID.Hex] {
			p.emit(ProgressEvent{ID: short(l.Digest), Status: "Already exists"})
			continue
		}
		queued[diffID.Hex] = true
		todo = append(todo, &download{i: i, blob: filepath.Join(p.st.tmp, fmt.Sprintf("blob-%d", i)), done: make(chan struct{})})
		p.emit(ProgressEvent{ID: short(l.Digest), Status: "Pulling fs layer"})
	}
	for n, d := range todo {
		if n >= pullJobs {
			p.emit(ProgressEvent{ID: short(p.m.Layers[d.i].Digest), Status: "Waiting"})
		}
	}

	jobs := make(chan *download)
	var wg sync.WaitGroup
	for range min(pullJobs, len(todo)) {
		wg.Go(func() {
			for d := range jobs {
				if err := p.download(ctx, d); err != nil {
					p.fail(err)
				}
				close(d.done)
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, d := range todo {
			select {
			case jobs <- d:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Whatever happens below, the downloaders must be gone before the stager's directory is.
	defer wg.Wait()

	for _, d := range todo {
		select {
		case <-d.done:
		case <-ctx.Done():
		}
		if err := p.err(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		if err := p.extract(ctx, d); err != nil {
			p.fail(err)
			return p.err()
		}
	}
	return nil
}

// download fetches one layer's blob into the stager's directory and checks its digest and size.
func (p *puller) download(ctx context.Context, d *download) error {
	desc := p.m.Layers[d.i]
	id := short(desc.Digest)
	if ctx.Err() != nil {
		return fmt.Errorf("pull: %w", ctx.Err())
	}
	l, err := p.img.LayerByDigest(desc.Digest)
	if err != nil {
		return fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("download layer %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	f, err := os.OpenFile(d.blob, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("download layer %s: %w", desc.Digest, err)
	}
	h := sha256.New()
	meter := &progressMeter{emit: p.emit, id: id, status: "Downloading", total: desc.Size}
	n, err := io.Copy(io.MultiWriter(f, h, meter), ctxReader{ctx, rc})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	meter.flush()
	// The registry library checks the digest too, and says so in its own words; a mismatch
	// over the full length is reported the same way whoever noticed it.
	got := hex.EncodeToString(h.Sum(nil))
	if n == desc.Size && got != desc.Digest.Hex && ctx.Err() == nil {
		return fmt.Errorf("filesystem layer verification failed for digest %s: the registry sent content with digest sha256:%s", desc.Digest, got)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pull: %w", ctx.Err())
		}
		return fmt.Errorf("download layer %s: %w", desc.Digest, err)
	}
	p.emit(ProgressEvent{ID: id, Status: "Verifying Checksum"})
	if n != desc.Size {
		return fmt.Errorf("download layer %s: got %d bytes, the manifest says %d", desc.Digest, n, desc.Size)
	}
	if got != desc.Digest.Hex {
		return fmt.Errorf("filesystem layer verification failed for digest %s: the registry sent content with digest sha256:%s", desc.Digest, got)
	}
	p.emit(ProgressEvent{ID: id, Status: "Download complete"})
	return nil
}

// extract unpacks a downloaded blob into the stager and drops the blob.
func (p *puller) extract(ctx context.Context, d *download) error {
	desc := p.m.Layers[d.i]
	id := short(desc.Digest)
	f, err := os.Open(d.blob)
	if err != nil {
		return fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(d.blob)
	}()
	meter := &progressMeter{emit: p.emit, id: id, status: "Extracting", total: desc.Size}
	meter.event(0)
	// The blob was verified as it arrived; unpack checks the uncompressed digest.
	err = p.st.unpack(ctx, io.TeeReader(f, meter), desc.Digest.String(), v1.Hash{}, -1, p.cf.RootFS.DiffIDs[d.i])
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pull: %w", ctx.Err())
		}
		return err
	}
	meter.flush()
	p.emit(ProgressEvent{ID: id, Status: "Pull complete"})
	return nil
}

// progressMeter turns bytes written through it into progress events, at most one per
// progressEvery, and a last one on flush.
type progressMeter struct {
	emit   func(ProgressEvent)
	id     string
	status string
	total  int64
	n      int64
	last   time.Time
	shown  int64
}

func (m *progressMeter) Write(b []byte) (int, error) {
	m.n += int64(len(b))
	if now := time.Now(); now.Sub(m.last) >= progressEvery {
		m.last = now
		m.event(m.n)
	}
	return len(b), nil
}

func (m *progressMeter) event(n int64) {
	m.shown = n
	m.emit(ProgressEvent{ID: m.id, Status: m.status, Current: n, Total: m.total})
}

func (m *progressMeter) flush() {
	if m.n != m.shown {
		m.event(m.n)
	}
}

// short is Docker's 12-hex layer ID.
func short(h v1.Hash) string {
	if len(h.Hex) < 12 {
		return h.Hex
	}
	return h.Hex[:12]
}

// pickImage resolves what the reference named to one image: itself, or want's entry of an index.
func pickImage(desc *remote.Descriptor, want v1.Platform) (v1.Image, error) {
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		child, err := matchPlatform(im.Manifests, want)
		if err != nil {
			return nil, err
		}
		if !child.MediaType.IsImage() {
			return nil, fmt.Errorf("the %s entry of the index is itself an index, which minilink does not follow", platformString(want))
		}
		return idx.Image(child.Digest)
	case desc.MediaType.IsImage():
		return desc.Image()
	case desc.MediaType.IsSchema1():
		return nil, errors.New("this is a Docker schema 1 image, which registries and Docker no longer support")
	}
	return nil, fmt.Errorf("not a container image (media type %s)", desc.MediaType)
}

// dockerReference is the reference as Docker prints it after a pull: Docker Hub is
// "docker.io", not the "index.docker.io" that the registry library talks to.
func dockerReference(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	sep := ":"
	if _, ok := r.(name.Digest); ok {
		sep = "@"
	}
	return reg + "/" + r.Context().RepositoryStr() + sep + r.Identifier()
}

// familiarName is the repository as Docker shows it: "redis", "jpetazzo/x", "localhost:5000/x".
func familiarName(r name.Reference) string {
	repo := r.Context()
	if repo.RegistryStr() == name.DefaultRegistry {
		return strings.TrimPrefix(repo.RepositoryStr(), "library/")
	}
	return repo.Name()
}

// pullError turns the registry's answer into Docker's one-liners. Registries answer 401, 403 or
// 404 alike for a repository that does not exist and one the user may not read, so as not to
// tell the two apart; a missing tag of a readable repository is a 404 with MANIFEST_UNKNOWN.
func pullError(r name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusNotFound:
			for _, d := range terr.Errors {
				if d.Code == transport.ManifestUnknownErrorCode {
					return fmt.Errorf("manifest for %s not found: manifest unknown", familiarName(r)+sepIdentifier(r))
				}
			}
			fallthrough
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pull access denied for %s, repository does not exist or may require authentication", familiarName(r))
		case http.StatusTooManyRequests:
			return fmt.Errorf("pull of %s refused by the registry: too many requests (rate limit), try again later", familiarName(r))
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("pull: %w", err)
	}
	// The library's other errors name the URL or the problem already.
	return err
}

func sepIdentifier(r name.Reference) string {
	if _, ok := r.(name.Digest); ok {
		return "@" + r.Identifier()
	}
	return ":" + r.Identifier()
}

// registryTransport is the HTTP transport for a pull. The registry library falls back to plain
// HTTP on its own for loopback and private-network registries; this refuses the fallback unless
// the registry is on loopback or insecure was asked for, so that nobody on the network path can
// downgrade a pull (and its credentials) to plain text.
func registryTransport(insecure bool) http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for, as Docker's insecure-registries
	}
	return &httpGuard{next: t, insecure: insecure}
}

// httpGuard refuses plain HTTP to registries that are not on loopback, unless insecure.
type httpGuard struct {
	next     http.RoundTripper
	insecure bool
}

func (g *httpGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !isLoopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("refusing plain HTTP to %s (use --insecure to allow it)", req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

// isLoopback tells whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
