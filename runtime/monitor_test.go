//go:build linux

package runtime

import (
	"errors"
	"fmt"
	"testing"
)

func TestEncodeMonitorError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error", errors.New("mount proc: permission denied"), "125 other mount proc: permission denied"},
		{"no such container", userError(ErrNoSuchContainer, "No such container: web"), "125 nosuch No such container: web"},
		{"running", userError(ErrRunning, "Container web is running"), "125 running Container web is running"},
		{"not running", userError(ErrNotRunning, "Container x is not running"), "125 notrunning Container x is not running"},
		{"invalid", userError(ErrInvalidArgument, "bad"), "125 invalid bad"},
		{
			"link target, wrapped",
			fmt.Errorf("start: %w", userError(ErrLinkTargetNotRunning, "Cannot link to a non running container: /stopped AS /lateparent/db")),
			"125 link start: Cannot link to a non running container: /stopped AS /lateparent/db",
		},
		{
			"start error carries its exit code",
			&StartError{Code: 127, Err: errors.New(`exec: "nope": executable file not found in $PATH`)},
			`127 other exec: "nope": executable file not found in $PATH`,
		},
		{
			"start error around a sentinel",
			&StartError{Code: 126, Err: userError(ErrInvalidArgument, "permission denied")},
			"126 invalid permission denied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeMonitorError(tt.err); got != tt.want {
				t.Errorf("encodeMonitorError = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMonitorErrorRoundTrip(t *testing.T) {
	sentinelList := []error{ErrNoSuchContainer, ErrRunning, ErrNotRunning, ErrInvalidArgument, ErrLinkTargetNotRunning}
	tests := []struct {
		name     string
		err      error
		code     int // 0: not a StartError
		sentinel error
	}{
		{"plain", errors.New("mount proc: permission denied"), 0, nil},
		{"no such container", userError(ErrNoSuchContainer, "No such container: web"), 0, ErrNoSuchContainer},
		{"link target", userError(ErrLinkTargetNotRunning, "Cannot link to a non running container: /datastore AS /web/redis"), 0, ErrLinkTargetNotRunning},
		{"running", userError(ErrRunning, "is running"), 0, ErrRunning},
		{"not running", userError(ErrNotRunning, "Container abc is not running"), 0, ErrNotRunning},
		{"start error 127", &StartError{Code: 127, Err: errors.New(`exec: "nope": executable file not found in $PATH`)}, 127, nil},
		{"start error 126 with sentinel", &StartError{Code: 126, Err: userError(ErrInvalidArgument, "not executable")}, 126, ErrInvalidArgument},
		{"message with many spaces", errors.New("a  b   c "), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeMonitorError(encodeMonitorError(tt.err), "/root/containers/x/monitor.log")
			if got == nil {
				t.Fatal("decoded to nil")
			}
			if got.Error() != tt.err.Error() {
				t.Errorf("message = %q, want %q", got.Error(), tt.err.Error())
			}
			var se *StartError
			switch {
			case tt.code == 0 && errors.As(got, &se):
				t.Errorf("decoded a StartError with code %d, want exit code 125 (no StartError)", se.Code)
			case tt.code != 0 && !errors.As(got, &se):
				t.Errorf("decoded %T, want a StartError with code %d", got, tt.code)
			case tt.code != 0 && se.Code != tt.code:
				t.Errorf("StartError code = %d, want %d", se.Code, tt.code)
			}
			for _, s := range sentinelList {
				if is := errors.Is(got, s); is != (s == tt.sentinel) {
					t.Errorf("errors.Is(decoded, %q) = %v, want %v", s, is, !is)
				}
			}
		})
	}
}

func TestDecodeMonitorErrorMalformed(t *testing.T) {
	const logPath = "/var/lib/minilink/containers/abc/monitor.log"
	want := "the container's monitor exited before the container started (see " + logPath + ")"
	for _, msg := range []string{"", "125", "125 other", "garbage"} {
		err := decodeMonitorError(msg, logPath)
		if err == nil || err.Error() != want {
			t.Errorf("decodeMonitorError(%q) = %v, want %q", msg, err, want)
		}
	}
}
