package explain

import (
	"bytes"
	"testing"
)

func TestCommandAndNote(t *testing.T) {
	var b bytes.Buffer
	Enable(&b)
	defer Enable(nil)
	Command("iptables", "-t", "nat", "-A", "MINILINK", "-p", "tcp", "--dport", "32768", "-j", "DNAT", "--to-destination", "172.17.0.3:5000")
	Command("sh", "-c", "echo it's")
	Command("printf", "")
	Note("hosts of web:\n172.17.0.2\tredis")
	want := "+ iptables -t nat -A MINILINK -p tcp --dport 32768 -j DNAT --to-destination 172.17.0.3:5000\n" +
		"+ sh -c 'echo it'\\''s'\n" +
		"+ printf ''\n" +
		"# hosts of web:\n# 172.17.0.2\tredis\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	Enable(nil)
	Command("ip", "link")
	if b.String() != want {
		t.Fatal("printed while disabled")
	}
}
