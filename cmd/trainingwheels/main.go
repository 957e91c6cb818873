// Command trainingwheels is the demo web app of minilink's links lesson, after Docker's classic
// links walkthrough: every GET / increments a hit counter in redis and shows it, with the
// container's hostname. Without redis -- the container
// started without --link datastore:redis, say -- it answers with a red error page instead, and
// recovers by itself as soon as redis becomes reachable.
//
//	GET /     INCR hits; 200 with the count, or 500 and a red page when redis cannot be reached
//	GET /env  the REDIS_* environment variables it received, sorted, one per line (text/plain)
//
// Environment:
//
//	PORT        the port to listen on (default 5000)
//	REDIS_ADDR  redis' host:port (default redis:6379: the link alias, resolved through /etc/hosts)
//
// It logs one line per request to stdout and shuts down gracefully on SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const (
	defaultPort      = "5000"
	defaultRedisAddr = "redis:6379"
	hitsKey          = "hits"
	linkHint         = "is this container linked to redis? run it with --link datastore:redis"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := log.New(os.Stdout, "trainingwheels: ", log.LstdFlags)
	if err := run(ctx, configFromEnv(), logger); err != nil {
		logger.Print(err)
		os.Exit(1)
	}
}

type config struct {
	Listen    string        // address to listen on, ":5000"
	RedisAddr string        // redis' host:port
	Timeout   time.Duration // redis dial, read and write timeout
	Hostname  string        // shown on the page
	Environ   func() []string
}

func configFromEnv() config {
	port := os.Getenv("PORT")
	if port == "" {
		port = defaultPort
	}
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = defaultRedisAddr
	}
	host, err := os.Hostname()
	if err != nil {
		host = "an unknown host"
	}
	return config{
		Listen:    net.JoinHostPort("", port),
		RedisAddr: addr,
		Timeout:   time.Second,
		Hostname:  host,
		Environ:   os.Environ,
	}
}

// run serves until ctx is done, then shuts down gracefully; a shutdown asked for by ctx is not an
// error.
func run(ctx context.Context, cfg config, logger *log.Logger) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	app := newApp(cfg, logger)
	defer app.close()
	srv := &http.Server{
		Handler:           app.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	logger.Printf("listening on %s, redis at %s", ln.Addr(), cfg.RedisAddr)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func init() {
	// Every failure already shows in the request's own log line; go-redis' pool messages
	// ("failed to dial after 1 attempts") would only repeat it on stderr.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

type app struct {
	cfg    config
	logger *log.Logger
	store  *store
}

func newApp(cfg config, logger *log.Logger) *app {
	if cfg.Environ == nil {
		cfg.Environ = os.Environ
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	return &app{cfg: cfg, logger: logger, store: newStore(cfg.RedisAddr, cfg.Timeout)}
}

func (a *app) close() { a.store.close() }

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.hits)
	mux.HandleFunc("GET /env", a.env)
	return a.logRequests(mux)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{if .Err}}Error: {{.Title}}{{else}}Hello from {{.Hostname}}{{end}}</title>
<style>
body { font-family: sans-serif; margin: 0; padding: 3em; }
body.ok { background: #f4f8f4; color: #1b3a1b; }
body.error { background: red; color: white; }
h1 { margin-top: 0; }
#hits { font-weight: bold; font-size: 1.4em; }
pre { background: rgba(0,0,0,.25); padding: 1em; white-space: pre-wrap; }
code { font-size: 1.1em; }
</style>
</head>
{{if .Err -}}
<body class="error">
<h1>{{.Title}}</h1>
<p>trainingwheels on <b>{{.Hostname}}</b> could not count this visit: redis at <code>{{.Addr}}</code> said:</p>
<pre id="error">{{.Err}}</pre>
{{if .Hint}}<p id="hint"><b>Hint:</b> {{.Hint}}</p>{{end}}
<p>Reload this page once redis is there: nothing is cached.</p>
</body>
{{- else -}}
<body class="ok">
<h1>Hello from {{.Hostname}}!</h1>
<p>This page has been viewed <span id="hits">{{.Hits}}</span> times.</p>
<p>Counted in redis at <code>{{.Addr}}</code>.</p>
</body>
{{- end}}
</html>
`))

type page struct {
	Hostname string
	Addr     string
	Hits     int64
	Title    string
	Err      string
	Hint     string
}

func (a *app) hits(w http.ResponseWriter, r *http.Request) {
	// Not r.Context(): a client that half-closes after its request (printf ... | nc, HTTP/1.0)
	// cancels that at once, and the visit should count anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 3*a.cfg.Timeout)
	defer cancel()
	p := page{Hostname: a.cfg.Hostname, Addr: a.cfg.RedisAddr}
	n, err := a.store.incr(ctx)
	status := http.StatusOK
	if err != nil {
		status = http.StatusInternalServerError
		p.Err = err.Error()
		var rerr redis.Error
		if errors.As(err, &rerr) {
			p.Title = "Redis answered with an error"
		} else {
			p.Title = "Could not reach redis"
			p.Hint = linkHint
		}
		setNote(r, "error: "+p.Err)
	} else {
		p.Hits = n
		setNote(r, fmt.Sprintf("hits=%d", n))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, p); err != nil {
		a.logger.Printf("rendering the page: %v", err)
	}
}

func (a *app) env(w http.ResponseWriter, _ *http.Request) {
	var vars []string
	for _, kv := range a.cfg.Environ() {
		if strings.HasPrefix(kv, "REDIS_") {
			vars = append(vars, kv)
		}
	}
	sort.Strings(vars)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, kv := range vars {
		_, _ = io.WriteString(w, kv+"\n")
	}
}

// store is the redis client. go-redis dials per request while redis is unreachable, but only up
// to PoolSize failed dials: after those it answers with the last dial error, without dialing,
// until a background probe (once a second) gets through. Dropping the client after any failure
// that is not redis' own reply makes the next request really try again.
type store struct {
	opt *redis.Options

	mu     sync.Mutex
	client *redis.Client
}

func newStore(addr string, timeout time.Duration) *store {
	opt := &redis.Options{
		Addr:            addr,
		DialTimeout:     timeout,
		ReadTimeout:     timeout,
		WriteTimeout:    timeout,
		PoolTimeout:     timeout,
		DialerRetries:   1,  // one dial per request: fail fast, the next request tries again
		MaxRetries:      -1, // likewise (the pool already drops connections a restarted redis closed)
		PoolSize:        10, // plenty for a demo
		DisableIdentity: true,
		// A Redis Cloud feature which, left on auto, has NewClient resolve the host first
		// (up to 2 s when DNS does not answer: an unlinked container) and adds a command to
		// every new connection.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	return &store{opt: opt, client: redis.NewClient(opt)}
}

func (s *store) current() *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

func (s *store) incr(ctx context.Context) (int64, error) {
	c := s.current()
	n, err := c.Incr(ctx, hitsKey).Result()
	var rerr redis.Error
	if err != nil && !errors.As(err, &rerr) {
		s.replace(c)
	}
	return n, err
}

// replace swaps in a fresh client for old, unless another request already has. Requests still
// using old get their answer (or their timeout) before it is closed.
func (s *store) replace(old *redis.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != old {
		return
	}
	s.client = redis.NewClient(s.opt)
	time.AfterFunc(10*time.Second, func() { _ = old.Close() })
}

func (s *store) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.client.Close()
}

// Request logging: one line per request, with a note from the handler (the count or the error).

type noteKey struct{}

func setNote(r *http.Request, note string) {
	if p, ok := r.Context().Value(noteKey{}).(*string); ok {
		*p = note
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var note string
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, &note))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		line := fmt.Sprintf("%s %s %s %d %dB %s", r.RemoteAddr, r.Method, r.URL.RequestURI(),
			rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
		if note != "" {
			line += " " + note
		}
		a.logger.Print(line)
	})
}
