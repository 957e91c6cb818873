package rootfs

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func ports(keys ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}

func TestParseChanges(t *testing.T) {
	tests := []struct {
		name    string
		base    v1.Config
		changes []string
		want    v1.Config
	}{
		{"env equals", v1.Config{}, []string{"ENV K=V"}, v1.Config{Env: []string{"K=V"}}},
		{"env old form", v1.Config{}, []string{"ENV K hello  world"}, v1.Config{Env: []string{"K=hello  world"}}},
		{"env pairs and quotes", v1.Config{}, []string{`ENV A=1 B="two words" C='x y' D=a\ b`},
			v1.Config{Env: []string{"A=1", "B=two words", "C=x y", "D=a b"}}},
		{"env replaces in place", v1.Config{Env: []string{"PATH=/bin", "X=1"}}, []string{"env PATH=/usr/bin"},
			v1.Config{Env: []string{"PATH=/usr/bin", "X=1"}}},
		{"env expands", v1.Config{Env: []string{"PATH=/bin"}}, []string{"ENV PATH=$PATH:/x Q=${PATH}", "ENV R=${NOPE:-dflt}"},
			v1.Config{Env: []string{"PATH=/bin:/x", "Q=/bin", "R=dflt"}}},
		{"env single quotes do not expand", v1.Config{Env: []string{"A=1"}}, []string{`ENV B='$A'`},
			v1.Config{Env: []string{"A=1", "B=$A"}}},
		{"expose", v1.Config{}, []string{"EXPOSE 6379"}, v1.Config{ExposedPorts: ports("6379/tcp")}},
		{"expose protos and several", v1.Config{}, []string{"EXPOSE 6379/tcp 53/udp 9/SCTP"},
			v1.Config{ExposedPorts: ports("6379/tcp", "53/udp", "9/sctp")}},
		{"expose range", v1.Config{}, []string{"EXPOSE 8000-8002/udp"},
			v1.Config{ExposedPorts: ports("8000/udp", "8001/udp", "8002/udp")}},
		{"expose adds", v1.Config{ExposedPorts: ports("80/tcp")}, []string{"EXPOSE 443"},
			v1.Config{ExposedPorts: ports("80/tcp", "443/tcp")}},
		{"cmd json", v1.Config{}, []string{`CMD ["redis-server","--protected-mode","no"]`},
			v1.Config{Cmd: []string{"redis-server", "--protected-mode", "no"}}},
		{"cmd shell", v1.Config{}, []string{"CMD echo hi  there"}, v1.Config{Cmd: []string{"/bin/sh", "-c", "echo hi  there"}}},
		{"cmd bad json is shell form", v1.Config{}, []string{"CMD [oops"}, v1.Config{Cmd: []string{"/bin/sh", "-c", "[oops"}}},
		{"entrypoint json", v1.Config{}, []string{`ENTRYPOINT ["/init"]`}, v1.Config{Entrypoint: []string{"/init"}}},
		{"entrypoint shell", v1.Config{}, []string{"entrypoint exec top -b"}, v1.Config{Entrypoint: []string{"/bin/sh", "-c", "exec top -b"}}},
		{"entrypoint resets inherited cmd", v1.Config{Cmd: []string{"x"}}, []string{`ENTRYPOINT ["/e"]`},
			v1.Config{Entrypoint: []string{"/e"}}},
		{"entrypoint keeps cmd set here", v1.Config{}, []string{`CMD ["c"]`, `ENTRYPOINT ["/e"]`},
			v1.Config{Entrypoint: []string{"/e"}, Cmd: []string{"c"}}},
		{"workdir", v1.Config{}, []string{"WORKDIR /data"}, v1.Config{WorkingDir: "/data"}},
		{"workdir relative", v1.Config{WorkingDir: "/a"}, []string{"WORKDIR b/../c"}, v1.Config{WorkingDir: "/a/c"}},
		{"user", v1.Config{}, []string{"USER redis"}, v1.Config{User: "redis"}},
		{"user uid:gid", v1.Config{}, []string{"USER 1000:1000"}, v1.Config{User: "1000:1000"}},
		{"label", v1.Config{}, []string{`LABEL a=b "c d"=e`}, v1.Config{Labels: map[string]string{"a": "b", "c d": "e"}}},
		{"volume", v1.Config{}, []string{`VOLUME ["/data"]`, "VOLUME /x /y"},
			v1.Config{Volumes: ports("/data", "/x", "/y")}},
		{"stopsignal", v1.Config{}, []string{"STOPSIGNAL SIGTERM"}, v1.Config{StopSignal: "SIGTERM"}},
		{"blank and comment", v1.Config{}, []string{"", "  ", "# note"}, v1.Config{}},
		{"lines in one change", v1.Config{}, []string{"ENV A=1\nUSER u"}, v1.Config{Env: []string{"A=1"}, User: "u"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChanges(tc.base, tc.changes)
			if err != nil {
				t.Fatalf("ParseChanges(%q): %v", tc.changes, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseChanges(%q)\n got  %+v\n want %+v", tc.changes, got, tc.want)
			}
		})
	}
}

func TestParseChangesDoesNotTouchInput(t *testing.T) {
	base := v1.Config{Env: []string{"A=1"}, ExposedPorts: ports("1/tcp")}
	if _, err := ParseChanges(base, []string{"ENV A=2", "EXPOSE 2"}); err != nil {
		t.Fatal(err)
	}
	if base.Env[0] != "A=1" || len(base.ExposedPorts) != 1 {
		t.Errorf("input config changed: %+v", base)
	}
}

func TestParseChangesErrors(t *testing.T) {
	tests := []struct {
		changes []string
		want    string
	}{
		{[]string{"FOO bar"}, "dockerfile parse error line 1: unknown instruction: FOO"},
		{[]string{"ENV A=1", "foo bar"}, "dockerfile parse error line 2: unknown instruction: FOO"},
		{[]string{"RUN echo"}, "RUN is not a valid change command"},
		{[]string{"copy a b"}, "COPY is not a valid change command"},
		{[]string{"ENV"}, "ENV requires at least one argument"},
		{[]string{"ENV K"}, "ENV must have two arguments"},
		{[]string{"ENV =v"}, "ENV names cannot be empty"},
		{[]string{"ENV A=1 B"}, "can't find ="},
		{[]string{`ENV A="open`}, "matching double-quote"},
		{[]string{"EXPOSE"}, "EXPOSE requires at least one argument"},
		{[]string{"EXPOSE abc"}, "invalid containerPort: abc"},
		{[]string{"EXPOSE 70000"}, "invalid containerPort: 70000"},
		{[]string{"EXPOSE 80/xyz"}, "invalid proto: xyz"},
		{[]string{"EXPOSE 9-8"}, "invalid port range: 9-8"},
		{[]string{"CMD"}, "CMD requires at least one argument"},
		{[]string{"WORKDIR"}, "WORKDIR requires exactly one argument"},
		{[]string{"USER a b"}, "USER requires exactly one argument"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.changes, "|"), func(t *testing.T) {
			_, err := ParseChanges(v1.Config{}, tc.changes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseChanges(%q) error = %v, want containing %q", tc.changes, err, tc.want)
			}
		})
	}
}
