package hugeheap

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

func TestMappingAt(t *testing.T) {
	maps := []byte("00400000-00401000 r--p 00000000 fd:00 123 /usr/bin/minilink\n" +
		"2f3549400000-2f3549800000 rw-p 00000000 00:00 0 \n" +
		"7ffe80f38000-7ffe80f59000 rw-p 00000000 00:00 0                          [stack]")
	for _, tc := range []struct {
		p          uintptr
		start, end uintptr
		ok         bool
	}{
		{0x2f3549400000, 0x2f3549400000, 0x2f3549800000, true},
		{0x2f35497fffff, 0x2f3549400000, 0x2f3549800000, true},
		{0x2f3549800000, 0, 0, false},
		{0x7ffe80f40000, 0x7ffe80f38000, 0x7ffe80f59000, true}, // the last line has no newline
		{0x1000, 0, 0, false},
	} {
		start, end, ok := mappingAt(maps, tc.p)
		if start != tc.start || end != tc.end || ok != tc.ok {
			t.Errorf("mappingAt(%#x) = %#x, %#x, %v; want %#x, %#x, %v", tc.p, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
	if _, _, ok := mappingAt([]byte("garbage\nzz-10 x\n"), 0x10); ok {
		t.Error("mappingAt found a mapping in lines that are not mappings")
	}
}

// TestHeapAdvised checks what the package is for, in this test process (its init ran here): the
// mapping that holds the Go heap is eligible for transparent huge pages.
func TestHeapAdvised(t *testing.T) {
	needHugePages(t)
	if probe == nil {
		t.Fatal("init did not run its advice")
	}
	heap := uintptr(unsafe.Pointer(probe))
	eligible, err := thpEligible(heap)
	if err != nil {
		t.Fatal(err)
	}
	if !eligible {
		t.Errorf("the heap mapping holding %#x is not eligible for huge pages (THPeligible: 0 in /proc/self/smaps)", heap)
	}
}

// needHugePages skips a test where this process does not ask for huge pages.
func needHugePages(t *testing.T) {
	t.Helper()
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		t.Skip("this kernel gives no transparent huge pages")
	}
	if !allowed {
		t.Skip("this process's memory cgroup has a limit under 256 MiB: no huge pages asked for")
	}
}

// thpEligible reads the THPeligible field of the mapping that holds p in /proc/self/smaps.
func thpEligible(p uintptr) (bool, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return false, err
	}
	defer f.Close()
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if start, rest, ok := hexPrefix([]byte(line), '-'); ok {
			if end, _, ok := hexPrefix(rest, ' '); ok { // a mapping's first line
				in = start <= p && p < end
				continue
			}
		}
		if in && strings.HasPrefix(line, "THPeligible:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "THPeligible:")) == "1", nil
		}
	}
	return false, fmt.Errorf("no mapping holds %#x in /proc/self/smaps", p)
}

// TestMallocTop checks that C's malloc heap (the break, "[heap]" in /proc/self/maps) is eligible
// for huge pages after MallocTop, and holds the free room it was asked for.
func TestMallocTop(t *testing.T) {
	needHugePages(t)
	MallocTop(4 << 20)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var start, end uintptr
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.HasSuffix(line, "[heap]") {
			s, rest, _ := hexPrefix([]byte(line), '-')
			e, _, _ := hexPrefix(rest, ' ')
			start, end = s, e
		}
	}
	if start == 0 {
		t.Fatal("no [heap] mapping after MallocTop")
	}
	if end-start < 4<<20 {
		t.Errorf("the break mapping is %d bytes, want at least the 4 MiB asked for", end-start)
	}
	eligible, err := thpEligible(start)
	if err != nil {
		t.Fatal(err)
	}
	if !eligible {
		t.Errorf("the break mapping %#x-%#x is not eligible for huge pages", start, end)
	}
}
