package bridge_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/linker"
)

// checkPublications asserts what every successful ParsePublish promises: at least one entry; one
// host IP (a plain dotted IPv4 address, 0.0.0.0 by default) and one protocol (tcp or udp) for
// all; container ports consecutive within 1..65535; host ports all 0 (chosen at start) or
// consecutive within 1..65535 at a fixed offset, so that the host range is exactly as long as the
// container range; every container port an ExposedPorts key the linker reads back. Each entry,
// written back as -p IP:HOST:CONTAINER/PROTO, parses to itself, and so does the whole list
// written back as ranges.
func checkPublications(t *testing.T, value string, pubs []bridge.Publish) {
	t.Helper()
	if len(pubs) == 0 {
		t.Fatalf("ParsePublish(%q) = no entries, no error", value)
	}
	first := pubs[0]
	if ip := net.ParseIP(first.HostIP); ip == nil || ip.To4() == nil || ip.String() != first.HostIP {
		t.Fatalf("ParsePublish(%q): host IP %q is not a plain IPv4 address", value, first.HostIP)
	}
	if first.Proto != "tcp" && first.Proto != "udp" {
		t.Fatalf("ParsePublish(%q): protocol %q", value, first.Proto)
	}
	for i, p := range pubs {
		if p.HostIP != first.HostIP || p.Proto != first.Proto {
			t.Fatalf("ParsePublish(%q): entry %d %+v differs from %+v in IP or protocol", value, i, p, first)
		}
		if p.ContainerPort != first.ContainerPort+i || p.ContainerPort < 1 || p.ContainerPort > 65535 {
			t.Fatalf("ParsePublish(%q): entry %d has container port %d", value, i, p.ContainerPort)
		}
		if first.HostPort == 0 && p.HostPort != 0 ||
			first.HostPort != 0 && (p.HostPort != first.HostPort+i || p.HostPort < 1 || p.HostPort > 65535) {
			t.Fatalf("ParsePublish(%q): entry %d has host port %d (first %d)", value, i, p.HostPort, first.HostPort)
		}
		if lp, err := linker.ParsePort(p.Key()); err != nil || lp.String() != p.Key() || lp.Num != p.ContainerPort {
			t.Fatalf("ParsePublish(%q): key %q reads back as %+v, %v", value, p.Key(), lp, err)
		}
		// Writing each entry back costs a parse per port: the ends are enough for long ranges.
		if i < 3 || i >= len(pubs)-3 {
			spec := fmt.Sprintf("%s:%s:%d/%s", p.HostIP, hostPort(p.HostPort), p.ContainerPort, p.Proto)
			back, err := bridge.ParsePublish(spec)
			if err != nil || len(back) != 1 || back[0] != p {
				t.Fatalf("ParsePublish(%q): entry %+v written back as %q parses as %+v, %v", value, p, spec, back, err)
			}
		}
	}
	last := pubs[len(pubs)-1]
	hosts := ""
	if first.HostPort != 0 {
		hosts = fmt.Sprintf("%d-%d", first.HostPort, last.HostPort)
	}
	spec := fmt.Sprintf("%s:%s:%d-%d/%s", first.HostIP, hosts, first.ContainerPort, last.ContainerPort, first.Proto)
	back, err := bridge.ParsePublish(spec)
	if err != nil || len(back) != len(pubs) || back[0] != first || back[len(back)-1] != last {
		t.Fatalf("ParsePublish(%q) written back as %q parses differently: %v", value, spec, err)
	}
}

func hostPort(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// FuzzParsePublish feeds -p values as typed.
func FuzzParsePublish(f *testing.F) {
	for _, v := range []string{
		"5000", "8080:5000", "127.0.0.1:8080:5000", "127.0.0.1::5000", "53:53/udp", "8000-8002:9000-9002/tcp",
		"7000-7002", "0.0.0.0:1-3:4-6", "80/TCP", "80/sctp", "0", "65535:65535", "65536", "+80", "80-", "-80",
		"3-1", "1:2:3:4", "::1:80:80", "[::1]:80:80", "1.2.3.4:80-81:90", "a:80:80", "1.2.3:80:80",
		"001.2.3.4:80:80", "80:80/", "/udp", "1-65535", "80:80/tcp/udp",
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		pubs, err := bridge.ParsePublish(value)
		if err != nil {
			if pubs != nil {
				t.Fatalf("ParsePublish(%q) = %+v with error %v", value, pubs, err)
			}
			return
		}
		checkPublications(t, value, pubs)
		// A -p value names its container ports: the count is the container range's length.
		spec, _, _ := strings.Cut(value, "/")
		parts := strings.Split(spec, ":")
		lo, hi, isRange := strings.Cut(parts[len(parts)-1], "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if isRange {
			b, _ = strconv.Atoi(hi)
		}
		if pubs[0].ContainerPort != a || len(pubs) != b-a+1 {
			t.Fatalf("ParsePublish(%q) = %d entries from container port %d; want %d-%d", value, len(pubs), pubs[0].ContainerPort, a, b)
		}
		// ... and the host ports are the typed host range, neither more nor less.
		if len(parts) >= 2 && parts[len(parts)-2] != "" {
			lo, hi, isRange := strings.Cut(parts[len(parts)-2], "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if isRange {
				b, _ = strconv.Atoi(hi)
			}
			if first, last := pubs[0].HostPort, pubs[len(pubs)-1].HostPort; first != a || last != b {
				t.Fatalf("ParsePublish(%q) publishes on host ports %d-%d; want %d-%d", value, first, last, a, b)
			}
		}
	})
}

// FuzzParsePublishRanges builds -p values from their parts, so that the ranges are well formed and
// the fuzzer explores the sizes and bounds: a value whose ports are all in 1..65535 with a host
// range exactly as long as the container range must parse, into exactly those ports; any other
// must fail.
func FuzzParsePublishRanges(f *testing.F) {
	f.Add(uint8(0), 8080, 0, 5000, 0, false, true)
	f.Add(uint8(1), 8000, 8002, 9000, 9002, true, false)
	f.Add(uint8(2), 0, 0, 53, 53, true, true)
	f.Add(uint8(1), 8000, 8001, 9000, 9002, false, false) // host range shorter
	f.Add(uint8(1), 8000, 8003, 9000, 9002, false, false) // host range longer
	f.Add(uint8(0), 65535, 65536, 65534, 65535, false, false)
	f.Add(uint8(0), 1, 0, 0, 0, false, false)
	f.Add(uint8(3), 2, 1, 5, 4, false, false)
	f.Fuzz(func(t *testing.T, ipSel uint8, hFirst, hLast, cFirst, cLast int, udp, upper bool) {
		ips := []string{"", "0.0.0.0", "127.0.0.1", "10.1.2.3"}
		ip := ips[int(ipSel)%len(ips)]
		proto := "tcp"
		if udp {
			proto = "udp"
		}
		typed := proto
		if upper {
			typed = strings.ToUpper(proto)
		}
		rng := func(a, b int) string {
			if b == 0 {
				return strconv.Itoa(a)
			}
			return strconv.Itoa(a) + "-" + strconv.Itoa(b)
		}
		host := ""
		if hFirst != 0 || hLast != 0 {
			host = rng(hFirst, hLast)
		}
		value := rng(cFirst, cLast) + "/" + typed
		if ip != "" || host != "" {
			value = ip + ":" + host + ":" + value
		}
		if cLast == 0 {
			cLast = cFirst
		}
		if hLast == 0 {
			hLast = hFirst
		}
		inRange := func(n int) bool { return n >= 1 && n <= 65535 }
		wantOK := inRange(cFirst) && inRange(cLast) && cFirst <= cLast
		if host != "" {
			wantOK = wantOK && inRange(hFirst) && inRange(hLast) && hFirst <= hLast && hLast-hFirst == cLast-cFirst
		}
		pubs, err := bridge.ParsePublish(value)
		if err != nil {
			if wantOK {
				t.Fatalf("ParsePublish(%q) = %v; want %d entries", value, err, cLast-cFirst+1)
			}
			return
		}
		if !wantOK {
			t.Fatalf("ParsePublish(%q) = %d entries; want an error", value, len(pubs))
		}
		checkPublications(t, value, pubs)
		wantIP := ip
		if wantIP == "" {
			wantIP = "0.0.0.0"
		}
		wantHost := 0
		if host != "" {
			wantHost = hFirst
		}
		first := bridge.Publish{HostIP: wantIP, HostPort: wantHost, ContainerPort: cFirst, Proto: proto}
		if len(pubs) != cLast-cFirst+1 || pubs[0] != first {
			t.Fatalf("ParsePublish(%q) = %d entries from %+v; want %d from %+v", value, len(pubs), pubs[0], cLast-cFirst+1, first)
		}
	})
}
