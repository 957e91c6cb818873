package runtime

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestProcStartTime(t *testing.T) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip(err)
	}
	s := string(data)
	want := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[19]
	got, err := procStartTime(os.Getpid())
	if err != nil || strconv.FormatUint(got, 10) != want {
		t.Fatalf("procStartTime(self) = %d, %v; /proc/self/stat says %s", got, err, want)
	}
	if _, err := procStartTime(1 << 30); err == nil {
		t.Fatal("procStartTime of a pid that cannot exist: no error")
	}
}

func TestNthField(t *testing.T) {
	// What follows the command name in /proc/PID/stat, with the name "a) (b" cut off before.
	line := []byte(" S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 1234567 19 20\n")
	if f, ok := nthField(line, 19); !ok || string(f) != "1234567" {
		t.Fatalf("field 19: %q %v", f, ok)
	}
	if f, ok := nthField(line, 0); !ok || string(f) != "S" {
		t.Fatalf("field 0: %q %v", f, ok)
	}
	if f, ok := nthField(line, 21); !ok || string(f) != "20" {
		t.Fatalf("last field: %q %v", f, ok)
	}
	if _, ok := nthField(line, 22); ok {
		t.Fatal("field past the end found")
	}
}
