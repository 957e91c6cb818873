package runtime

import (
	"bufio"
	"bytes"
	"net"
	"strings"
)

// defaultHostsLines open every container's /etc/hosts, as Docker writes them.
const defaultHostsLines = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

// RenderHosts builds a bridge container's /etc/hosts: the default lines, the link lines in --link
// order, then the container's own line. ip is empty for --net none, which gets the defaults only.
func RenderHosts(linkLines []string, ip, hostname string) []byte {
	var b strings.Builder
	b.WriteString(defaultHostsLines)
	for _, l := range linkLines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if ip != "" {
		b.WriteString(ownHostsLine(ip, hostname))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ownHostsLine is "<IP>\t<hostname>", plus the first label when the hostname is a dotted name, so
// that both "web.example" and "web" resolve.
func ownHostsLine(ip, hostname string) string {
	line := ip + "\t" + hostname
	if i := strings.IndexByte(hostname, '.'); i > 0 {
		line += " " + hostname[:i]
	}
	return line
}

// RenderHostname is the content of /etc/hostname.
func RenderHostname(hostname string) []byte { return []byte(hostname + "\n") }

// RenderResolvConf filters the host's resolv.conf for a container: nameservers on loopback or IPv6
// cannot be reached from the container's namespace, so they are dropped; when none remain, Docker's
// fallback public servers are added. Every other line is kept.
func RenderResolvConf(host []byte) []byte {
	var out bytes.Buffer
	servers := 0
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "nameserver" {
			ip := net.ParseIP(fields[1])
			if ip == nil || ip.IsLoopback() || ip.To4() == nil {
				continue
			}
			servers++
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if servers == 0 {
		out.WriteString("nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
	}
	return out.Bytes()
}

// onlyStubResolver reports whether the host's only nameserver is systemd-resolved's stub, in
// which case the real upstream list lives in /run/systemd/resolve/resolv.conf.
func onlyStubResolver(host []byte) bool {
	var servers []string
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			servers = append(servers, f[1])
		}
	}
	return len(servers) == 1 && servers[0] == "127.0.0.53"
}
