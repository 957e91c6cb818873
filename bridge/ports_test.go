package bridge

import "testing"

// TestParsePublishErrors: every malformed -p value is refused with one line that names what is
// wrong, Docker's text where Docker has one.
func TestParsePublishErrors(t *testing.T) {
	tests := []struct{ value, msg string }{
		{"", "No port specified: <empty>"},
		{"80:", "No port specified: 80:<empty>"},
		{"abc", "invalid containerPort: abc"},
		{"0", "invalid containerPort: 0"},
		{"65536", "invalid containerPort: 65536"},
		{"+80", "invalid containerPort: +80"},
		{"80:0", "invalid containerPort: 0"},
		{"0:80", "invalid hostPort: 0"},
		{"+80:80", "invalid hostPort: +80"},
		{"70000:80", "invalid hostPort: 70000"},
		{"3-1", "invalid containerPort: 3-1"},
		{"1-3:1-2", "invalid ranges specified for container and host Ports: 1-2 and 1-3"},
		{"8000-8001:9000", "invalid ranges specified for container and host Ports: 9000 and 8000-8001"},
		{"1.2.3.999:80:80", "Invalid ip address: 1.2.3.999"},
		{"localhost:80:80", "Invalid ip address: localhost"},
		{"1:2:3:4", "invalid publish spec: 1:2:3:4"},
		{"::1:80:80", "invalid publish spec: ::1:80:80"},
		{"80/sctp", "invalid proto: sctp (minilink publishes tcp and udp ports only)"},
		{"80/icmp", "invalid proto: icmp"},
		{"80/tcp/udp", "invalid proto: tcp/udp"},
		{"80\n", "invalid containerPort: 80\n"},
	}
	for _, tc := range tests {
		pubs, err := ParsePublish(tc.value)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("ParsePublish(%q) = %+v, %v; want the error %q", tc.value, pubs, err, tc.msg)
		}
	}
}
