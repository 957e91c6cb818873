package runtime

import (
	"errors"
	"slices"
	"testing"
)

func TestParseExpose(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"6379", []string{"6379/tcp"}},
		{"6379/tcp", []string{"6379/tcp"}},
		{"53/udp", []string{"53/udp"}},
		{"9/sctp", []string{"9/sctp"}},
		{"6379/TCP", []string{"6379/tcp"}},
		{"8000-8002/udp", []string{"8000/udp", "8001/udp", "8002/udp"}},
		{"7000-7001", []string{"7000/tcp", "7001/tcp"}},
		{"8000-8000", []string{"8000/tcp"}},
		{"1", []string{"1/tcp"}},
		{"65535/udp", []string{"65535/udp"}},
		{"65534-65535", []string{"65534/tcp", "65535/tcp"}},
	}
	for _, tt := range tests {
		got, err := ParseExpose(tt.value)
		if err != nil {
			t.Errorf("ParseExpose(%q): %v", tt.value, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ParseExpose(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestParseExposeErrors(t *testing.T) {
	tests := []struct{ value, msg string }{
		{"", "invalid range format for --expose: "},
		{"abc", "invalid range format for --expose: abc"},
		{"0", "invalid range format for --expose: 0"},
		{"65536", "invalid range format for --expose: 65536"},
		{"-1", "invalid range format for --expose: -1"},
		{"8002-8000", "invalid range format for --expose: 8002-8000"},
		{"8000-", "invalid range format for --expose: 8000-"},
		{"-8000", "invalid range format for --expose: -8000"},
		{"1-2-3", "invalid range format for --expose: 1-2-3"},
		{"8000-70000/udp", "invalid range format for --expose: 8000-70000/udp"},
		{"80/icmp", "invalid proto: icmp"},
		{"80/tcp/udp", "invalid proto: tcp/udp"},
		// A sign is refused, as -p and Docker's ParseUint refuse it.
		{"+80", "invalid range format for --expose: +80"},
		{"80-+90", "invalid range format for --expose: 80-+90"},
		{" 80", "invalid range format for --expose:  80"},
	}
	for _, tt := range tests {
		got, err := ParseExpose(tt.value)
		if err == nil {
			t.Errorf("ParseExpose(%q) = %q, want error %q", tt.value, got, tt.msg)
			continue
		}
		if err.Error() != tt.msg {
			t.Errorf("ParseExpose(%q) error = %q, want %q", tt.value, err.Error(), tt.msg)
		}
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseExpose(%q) error %q does not match ErrInvalidArgument", tt.value, err)
		}
	}
}
