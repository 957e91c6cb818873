package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logEntry is one line of Docker's json-file log format.
type logEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

func (r *Runtime) logPath(id string) string {
	return filepath.Join(r.containerDir(id), id+"-json.log")
}

// jsonLog appends a container's output to its log, one entry per line of output.
type jsonLog struct {
	mu sync.Mutex
	f  *os.File
}

func openJSONLog(path string) (*jsonLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &jsonLog{f: f}, nil
}

func (l *jsonLog) Close() error { return l.f.Close() }

// stream returns a writer for "stdout" or "stderr".
func (l *jsonLog) stream(name string) io.Writer { return &logStream{log: l, name: name} }

type logStream struct {
	log  *jsonLog
	name string
}

func (s *logStream) Write(p []byte) (int, error) {
	now := time.Now().UTC()
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		data, err := json.Marshal(logEntry{Log: string(line), Stream: s.name, Time: now})
		if err != nil {
			return 0, err
		}
		if _, err := s.log.f.Write(append(data, '\n')); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// LogsOptions are the flags of `logs`.
type LogsOptions struct {
	Follow     bool
	Timestamps bool
}

// Logs copies a container's log to stdout and stderr; with Follow it keeps copying until the
// container stops.
func (r *Runtime) Logs(arg string, o LogsOptions, stdout, stderr io.Writer) error {
	c, err := r.Get(arg)
	if err != nil {
		return err
	}
	f, err := os.Open(r.logPath(c.ID))
	if isNotExist(err) {
		if !o.Follow {
			return nil
		}
	} else if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	rd := bufio.NewReader(f)
	var partial []byte
	for {
		line, err := rd.ReadBytes('\n')
		partial = append(partial, line...)
		if err == io.EOF {
			if !o.Follow {
				return nil
			}
			if cur, lerr := r.load(c.ID); lerr != nil || !cur.State.Running() {
				// Drain what the owner wrote before it stopped, then end.
				rest, _ := io.ReadAll(rd)
				writeLogLines(append(partial, rest...), o, stdout, stderr)
				return nil
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
		writeLogLines(partial, o, stdout, stderr)
		partial = partial[:0]
	}
}

func writeLogLines(data []byte, o LogsOptions, stdout, stderr io.Writer) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i]
			data = data[i+1:]
		} else {
			data = nil
		}
		var e logEntry
		if json.Unmarshal(line, &e) != nil {
			continue
		}
		w := stdout
		if e.Stream == "stderr" {
			w = stderr
		}
		if o.Timestamps {
			fmt.Fprint(w, e.Time.Format(time.RFC3339Nano)+" ")
		}
		io.WriteString(w, e.Log)
	}
}
