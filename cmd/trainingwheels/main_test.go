package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// freeAddr returns a loopback address nothing listens on (as far as the kernel knows).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startRedis runs a throwaway redis-server on addr (a loopback host:port), killed at cleanup or
// when the returned function is called.
func startRedis(t *testing.T, addr string) (kill func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "--port", port, "--bind", host, "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	kill = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(kill)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return kill
		}
		select {
		case <-exited:
			t.Fatalf("redis-server exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not listening on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type testApp struct {
	t   *testing.T
	srv *httptest.Server
	log *safeBuffer
}

func newTestApp(t *testing.T, cfg config) *testApp {
	t.Helper()
	if cfg.Hostname == "" {
		cfg.Hostname = "c0ffee123456"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	var buf safeBuffer
	a := newApp(cfg, log.New(&buf, "", 0))
	srv := httptest.NewServer(a.handler())
	t.Cleanup(func() {
		srv.Close()
		a.close()
	})
	return &testApp{t: t, srv: srv, log: &buf}
}

func (ta *testApp) get(path string) (*http.Response, string) {
	ta.t.Helper()
	resp, err := ta.srv.Client().Get(ta.srv.URL + path)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		ta.t.Fatal(err)
	}
	return resp, string(body)
}

var hitsRE = regexp.MustCompile(`<span id="hits">(\d+)</span>`)

func (ta *testApp) wantHits(want int) {
	ta.t.Helper()
	resp, body := ta.get("/")
	if resp.StatusCode != http.StatusOK {
		ta.t.Fatalf("GET /: status %d, want 200\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		ta.t.Errorf("GET /: Content-Type %q, want text/html", ct)
	}
	m := hitsRE.FindStringSubmatch(body)
	if m == nil {
		ta.t.Fatalf("GET /: no hits count in\n%s", body)
	}
	if got, _ := strconv.Atoi(m[1]); got != want {
		ta.t.Fatalf("GET /: hits %d, want %d", got, want)
	}
	if !strings.Contains(body, "Hello from c0ffee123456!") {
		ta.t.Errorf("GET /: no hostname heading in\n%s", body)
	}
	if strings.Contains(body, `class="error"`) {
		ta.t.Errorf("GET /: a 200 with the error page\n%s", body)
	}
}

func (ta *testApp) wantRedPage() string {
	ta.t.Helper()
	start := time.Now()
	resp, body := ta.get("/")
	if took := time.Since(start); took > 4*time.Second {
		ta.t.Errorf("GET /: took %v to fail, want it fast", took)
	}
	if resp.StatusCode != http.StatusInternalServerError {
		ta.t.Fatalf("GET /: status %d, want 500\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<body class="error">`,
		"background: red",
		"Could not reach redis",
		"is this container linked to redis? run it with --link datastore:redis",
	} {
		if !strings.Contains(body, want) {
			ta.t.Errorf("GET /: the error page lacks %q:\n%s", want, body)
		}
	}
	if hitsRE.MatchString(body) {
		ta.t.Errorf("GET /: the error page shows a count:\n%s", body)
	}
	return body
}

func TestCountsHits(t *testing.T) {
	addr := freeAddr(t)
	startRedis(t, addr)
	ta := newTestApp(t, config{RedisAddr: addr})
	ta.wantHits(1)
	ta.wantHits(2)

	// Only / counts: a browser's favicon request must not.
	if resp, _ := ta.get("/favicon.ico"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /favicon.ico: status %d, want 404", resp.StatusCode)
	}
	ta.wantHits(3)

	// One log line per request, with the count.
	lines := strings.Split(strings.TrimSpace(ta.log.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("log: %d lines, want 4:\n%s", len(lines), ta.log)
	}
	if !strings.Contains(lines[0], "GET / 200") || !strings.HasSuffix(lines[0], "hits=1") {
		t.Errorf("log line %q, want GET / 200 ... hits=1", lines[0])
	}
	if !strings.Contains(lines[2], "GET /favicon.ico 404") {
		t.Errorf("log line %q, want GET /favicon.ico 404", lines[2])
	}
}

// `printf 'GET / HTTP/1.0\r\n\r\n' | nc host 5000` half-closes the connection right after the
// request, which cancels the request's context; the visit must count all the same.
func TestHalfClosedClient(t *testing.T) {
	addr := freeAddr(t)
	startRedis(t, addr)
	// redis behind a proxy that holds every new connection for a moment: the server then sees
	// the client's EOF while the handler still waits for redis.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				time.Sleep(100 * time.Millisecond)
				r, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer r.Close()
				go func() { _, _ = io.Copy(r, c) }()
				_, _ = io.Copy(c, r)
			}()
		}
	}()
	ta := newTestApp(t, config{RedisAddr: ln.Addr().String()})
	for want := 1; want <= 2; want++ {
		c, err := net.Dial("tcp", ta.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, err := io.ReadAll(c)
		_ = c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(out), "HTTP/1.0 200 ") || !strings.Contains(string(out), fmt.Sprintf(`<span id="hits">%d</span>`, want)) {
			t.Fatalf("half-closed GET #%d:\n%s", want, out)
		}
	}
}

func TestEnv(t *testing.T) {
	for _, tc := range []struct {
		environ []string
		want    string
	}{
		{nil, ""},
		{[]string{"PATH=/bin", "HOME=/root"}, ""},
		{
			[]string{
				"REDIS_PORT=tcp://172.17.0.2:6379",
				"PATH=/bin",
				"REDIS_NAME=/tw/redis",
				"NOT_REDIS_X=1",
				"REDIS_ENV_REDIS_VERSION=7.0.15",
				"redis_lower=no",
			},
			"REDIS_ENV_REDIS_VERSION=7.0.15\nREDIS_NAME=/tw/redis\nREDIS_PORT=tcp://172.17.0.2:6379\n",
		},
	} {
		environ := tc.environ
		ta := newTestApp(t, config{RedisAddr: freeAddr(t), Environ: func() []string { return environ }})
		resp, body := ta.get("/env")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /env: status %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET /env: Content-Type %q, want text/plain", ct)
		}
		if body != tc.want {
			t.Errorf("GET /env with %q:\n got %q\nwant %q", environ, body, tc.want)
		}
	}
}

func TestEnvFromProcess(t *testing.T) {
	t.Setenv("REDIS_PORT_6379_TCP_PORT", "6379")
	t.Setenv("REDIS_NAME", "/tw/redis")
	t.Setenv("XREDIS_NOT", "1")
	ta := newTestApp(t, configFromEnvFor(t))
	_, body := ta.get("/env")
	for _, want := range []string{"REDIS_NAME=/tw/redis\n", "REDIS_PORT_6379_TCP_PORT=6379\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /env: %q lacks %q", body, want)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if !strings.HasPrefix(line, "REDIS_") {
			t.Errorf("GET /env: line %q is not a REDIS_ variable", line)
		}
	}
}

// configFromEnvFor is configFromEnv with redis on a dead loopback port instead of redis:6379.
func configFromEnvFor(t *testing.T) config {
	cfg := configFromEnv()
	cfg.RedisAddr = freeAddr(t)
	return cfg
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("PORT", "")
	t.Setenv("REDIS_ADDR", "")
	cfg := configFromEnv()
	if cfg.Listen != ":5000" || cfg.RedisAddr != "redis:6379" {
		t.Errorf("defaults: listen %q redis %q, want :5000 and redis:6379", cfg.Listen, cfg.RedisAddr)
	}
	t.Setenv("PORT", "8080")
	t.Setenv("REDIS_ADDR", "10.0.0.9:7000")
	cfg = configFromEnv()
	if cfg.Listen != ":8080" || cfg.RedisAddr != "10.0.0.9:7000" {
		t.Errorf("overridden: listen %q redis %q", cfg.Listen, cfg.RedisAddr)
	}
}

// Without redis every GET is a red 500 and each one dials again (more failures than go-redis'
// pool size, after which go-redis alone would stop dialing for a while); as soon as redis
// listens, the very next GET counts.
func TestRedisDownThenRecovers(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	addr := freeAddr(t)
	ta := newTestApp(t, config{RedisAddr: addr})
	for i := 0; i < 25; i++ {
		body := ta.wantRedPage()
		if !strings.Contains(body, "connection refused") {
			t.Fatalf("GET / #%d: the error page lacks the dial error:\n%s", i+1, body)
		}
	}
	if !strings.Contains(ta.log.String(), "GET / 500") || !strings.Contains(ta.log.String(), "error: ") {
		t.Errorf("log lacks the failure:\n%s", ta.log)
	}
	startRedis(t, addr)
	ta.wantHits(1)
	ta.wantHits(2)
}

// A restarted redis (empty: no persistence) is counted in at once, on a new connection: the
// pooled one it closed is not used.
func TestRedisRestarts(t *testing.T) {
	addr := freeAddr(t)
	kill := startRedis(t, addr)
	ta := newTestApp(t, config{RedisAddr: addr})
	ta.wantHits(1)
	ta.wantHits(2)
	kill()
	ta.wantRedPage()
	startRedis(t, addr)
	ta.wantHits(1)
}

// Restarted between two GETs, with no failed GET in between.
func TestRedisRestartsBetweenGets(t *testing.T) {
	addr := freeAddr(t)
	kill := startRedis(t, addr)
	ta := newTestApp(t, config{RedisAddr: addr})
	ta.wantHits(1)
	kill()
	startRedis(t, addr)
	ta.wantHits(1)
	ta.wantHits(2)
}

// A redis that accepts but never answers: the read timeout gives the red page, fast.
func TestRedisTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() }()
		}
	}()
	ta := newTestApp(t, config{RedisAddr: ln.Addr().String(), Timeout: 200 * time.Millisecond})
	body := ta.wantRedPage()
	if !strings.Contains(body, "timeout") && !strings.Contains(body, "deadline") {
		t.Errorf("the error page does not say it timed out:\n%s", body)
	}
}

// run returns nil when its context ends (SIGTERM in main), after serving.
func TestRunShutsDown(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var buf safeBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, config{Listen: addr, RedisAddr: freeAddr(t), Hostname: "h"}, log.New(&buf, "", 0))
	}()
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get(fmt.Sprintf("http://%s/env", addr)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if !strings.Contains(buf.String(), "shutting down") {
		t.Errorf("log lacks the shutdown:\n%s", buf.String())
	}
}

// safeBuffer is a log destination the server's goroutines write and the test reads.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
