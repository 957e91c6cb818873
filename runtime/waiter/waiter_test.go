package waiter

import (
	"encoding/json"
	"testing"
	"time"
)

// goEntry is the line Go's encoding/json writes for one log entry: what the foreground run
// writes (runtime's jsonLog) and `logs` reads.
func goEntry(t *testing.T, line []byte, stream string, at time.Time) string {
	t.Helper()
	data, err := json.Marshal(struct {
		Log    string    `json:"log"`
		Stream string    `json:"stream"`
		Time   time.Time `json:"time"`
	}{string(line), stream, at})
	if err != nil {
		t.Fatal(err)
	}
	return string(data) + "\n"
}

func TestLogEntryAsGoWritesIt(t *testing.T) {
	at := time.Date(2026, 11, 29, 21, 30, 28, 123450000, time.UTC)
	for _, line := range []string{
		"",
		"hello\n",
		"no newline",
		"quote \" backslash \\ tab \t cr \r\n",
		"\x00\x01\x08\x0c\x1b\x1f\x7f",
		"<html> & </html>",
		"héllo wörld ✓ 🐳\n",
		"\u2028 and \u2029",
		"\xff\xfe invalid",
		"\xc0\xaf overlong",
		"\xed\xa0\x80 surrogate",
		"\xf4\x90\x80\x80 beyond U+10FFFF",
		"\xe2\x82 cut short",
		"\xf0\x9f\x90",
		"\xef\xbf\xbd the replacement character itself",
	} {
		got := string(logEntry([]byte(line), "stdout", at))
		if want := goEntry(t, []byte(line), "stdout", at); got != want {
			t.Errorf("%q:\n got %s\nwant %s", line, got, want)
		}
	}
}

func TestLogEntryTime(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		got := string(logEntry([]byte("x\n"), "stderr", at))
		if want := goEntry(t, []byte("x\n"), "stderr", at); got != want {
			t.Errorf("%s:\n got %s\nwant %s", at, got, want)
		}
	}
}

func FuzzLogEntry(f *testing.F) {
	f.Add([]byte("hello\n"))
	f.Add([]byte("\xff<\u2028>\x00"))
	f.Fuzz(func(t *testing.T, line []byte) {
		at := time.Date(2026, 11, 29, 21, 30, 28, 5, time.UTC)
		got := string(logEntry(line, "stdout", at))
		if want := goEntry(t, line, "stdout", at); got != want {
			t.Errorf("%q:\n got %s\nwant %s", line, got, want)
		}
	})
}
