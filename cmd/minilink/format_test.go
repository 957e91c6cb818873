package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/runtime"
)

func TestHumanDuration(t *testing.T) {
	const day = 24 * time.Hour
	const week = 7 * day
	const month = 30 * day
	const year = 365 * day
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "Less than a second"},
		{0, "Less than a second"},
		{999 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{1999 * time.Millisecond, "1 second"},
		{2 * time.Second, "2 seconds"},
		{3 * time.Second, "3 seconds"},
		{47 * time.Second, "47 seconds"},
		{59 * time.Second, "59 seconds"},
		{time.Minute, "About a minute"},
		{time.Minute + 59*time.Second, "About a minute"},
		{2 * time.Minute, "2 minutes"},
		{59*time.Minute + 59*time.Second, "59 minutes"},
		{time.Hour, "About an hour"},
		{time.Hour + 29*time.Minute, "About an hour"},
		{time.Hour + 30*time.Minute, "2 hours"},
		{3 * time.Hour, "3 hours"},
		{47 * time.Hour, "47 hours"},
		{47*time.Hour + 29*time.Minute, "47 hours"},
		{47*time.Hour + 30*time.Minute, "2 days"},
		{2 * day, "2 days"},
		{13 * day, "13 days"},
		{2 * week, "2 weeks"},
		{3 * week, "3 weeks"},
		{59 * day, "8 weeks"},
		{2 * month, "2 months"},
		{5 * month, "5 months"},
		{2*year - day, "24 months"},
		{2 * year, "2 years"},
		{3*year + 100*day, "3 years"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestEllipsis(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"", 20, ""},
		{"/bin/sh", 20, "/bin/sh"},
		{"12345678901234567890", 20, "12345678901234567890"},
		{"123456789012345678901", 20, "1234567890123456789…"},
		{"redis-server --protected-mode no", 20, "redis-server --prot…"},
		{strings.Repeat("é", 21), 20, strings.Repeat("é", 19) + "…"},
		{"échoéchoéchoéchoécho", 20, "échoéchoéchoéchoécho"},
		{"abc", 2, "a…"},
	}
	for _, tt := range tests {
		if got := ellipsis(tt.s, tt.max); got != tt.want {
			t.Errorf("ellipsis(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{999, "999B"},
		{1000, "1kB"},
		{1234, "1.23kB"},
		{10240, "10.2kB"},
		{1234567, "1.23MB"},
		{4860000, "4.86MB"},
		{4864123, "4.86MB"},
		{72800000, "72.8MB"},
		{133000000, "133MB"},
		{1000000000, "1GB"},
		{5500000000000, "5.5TB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

type fmtRow struct{ ID, Names, Image string }

func TestParseFormat(t *testing.T) {
	row := fmtRow{ID: "38f2e2bedd94", Names: "web", Image: "busybox"}
	tests := []struct {
		name, format string
		table        bool
		want         string
	}{
		{"raw", "{{.ID}}", false, "38f2e2bedd94"},
		{"raw with typed \\t", `{{.ID}}\t{{.Names}}`, false, "38f2e2bedd94\tweb"},
		{"raw with typed \\n", `{{.ID}}\n{{.Names}}`, false, "38f2e2bedd94\nweb"},
		{"raw with a real tab", "{{.ID}}\t{{.Names}}", false, "38f2e2bedd94\tweb"},
		{"table prefix", `table {{.ID}}\t{{.Names}}`, true, "38f2e2bedd94\tweb"},
		{"table prefix, several spaces", `table   {{.ID}}\t{{.Image}}`, true, "38f2e2bedd94\tbusybox"},
		{"table with a real tab", "table {{.ID}}\t{{.Names}}", true, "38f2e2bedd94\tweb"},
		{"table in the middle is text", `{{.ID}} table`, false, "38f2e2bedd94 table"},
		{"join", `{{join (split .Names "e") "-"}}`, false, "w-b"},
		{"upper and lower", `{{upper .Names}} {{lower "BUSYBOX"}}`, false, "WEB busybox"},
		{"truncate", `{{truncate .ID 4}}|{{truncate "ab" 4}}`, false, "38f2|ab"},
		{"pad", `[{{pad .Names 1 2}}]`, false, "[ web  ]"},
		{"json of a string", `{{json .Names}}`, false, `"web"`},
		{"json of a list", `{{json (split "a,b" ",")}}`, false, `["a","b"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, table, err := parseFormat(tt.format)
			if err != nil {
				t.Fatalf("parseFormat(%q): %v", tt.format, err)
			}
			if table != tt.table {
				t.Errorf("parseFormat(%q) table = %v, want %v", tt.format, table, tt.table)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, row); err != nil {
				t.Fatalf("execute %q: %v", tt.format, err)
			}
			if b.String() != tt.want {
				t.Errorf("format %q printed %q, want %q", tt.format, b.String(), tt.want)
			}
		})
	}
}

func TestParseFormatError(t *testing.T) {
	for _, format := range []string{"{{.ID", "table {{.ID}", "{{nosuchfunc .ID}}"} {
		_, _, err := parseFormat(format)
		if err == nil {
			t.Errorf("parseFormat(%q) = nil error", format)
			continue
		}
		if !strings.HasPrefix(err.Error(), "template parsing error: ") {
			t.Errorf("parseFormat(%q) error = %q, want prefix %q", format, err, "template parsing error: ")
		}
	}
}

// Docker's CLI trims spaces around a format (formatter.Context.preFormat) and its template
// functions are docker/cli's templates.basicFunctions: json does not escape HTML, title is
// strings.Title, pad leaves an empty string empty.
func TestParseFormatAsDockerCLI(t *testing.T) {
	row := fmtRow{ID: "38f2e2bedd94", Names: "web", Image: "busybox"}
	tests := []struct{ format, want string }{
		{"{{.ID}} ", "38f2e2bedd94"},
		{"table {{.ID}}  ", "38f2e2bedd94"},
		{`{{json "a<b&c>d"}}`, `"a<b&c>d"`},
		{`{{title "hello world"}}`, "Hello World"},
		{`[{{pad "" 1 2}}]`, "[]"},
	}
	for _, tt := range tests {
		tmpl, _, err := parseFormat(tt.format)
		if err != nil {
			t.Errorf("parseFormat(%q): %v", tt.format, err)
			continue
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, row); err != nil {
			t.Errorf("execute %q: %v", tt.format, err)
			continue
		}
		if b.String() != tt.want {
			t.Errorf("format %q printed %q, want %q", tt.format, b.String(), tt.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state runtime.State
		want  string
	}{
		{"created", runtime.State{Status: runtime.StatusCreated}, "Created"},
		{"up 3 seconds", runtime.State{Status: runtime.StatusRunning, StartedAt: now.Add(-3 * time.Second)}, "Up 3 seconds"},
		{"up just now", runtime.State{Status: runtime.StatusRunning, StartedAt: now.Add(-200 * time.Millisecond)}, "Up Less than a second"},
		{"up about an hour", runtime.State{Status: runtime.StatusRunning, StartedAt: now.Add(-time.Hour)}, "Up About an hour"},
		{
			"exited 0, 2 minutes ago",
			runtime.State{Status: runtime.StatusExited, ExitCode: 0, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-2 * time.Minute)},
			"Exited (0) 2 minutes ago",
		},
		{
			"exited 137, a minute ago",
			runtime.State{Status: runtime.StatusExited, ExitCode: 137, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-70 * time.Second)},
			"Exited (137) About a minute ago",
		},
		{
			"exited 1, 3 days ago",
			runtime.State{Status: runtime.StatusExited, ExitCode: 1, StartedAt: now.Add(-100 * time.Hour), FinishedAt: now.Add(-72 * time.Hour)},
			"Exited (1) 3 days ago",
		},
	}
	for _, tt := range tests {
		if got := statusText(tt.state, now); got != tt.want {
			t.Errorf("%s: statusText = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPsRowCommand(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		args    []string
		noTrunc bool
		want    string
	}{
		{"no args", "/bin/sh", nil, false, `"/bin/sh"`},
		{"short", "top", []string{"-b"}, false, `"top -b"`},
		{"exactly 20 runes kept", "sleep", []string{"12345678901234"}, false, `"sleep 12345678901234"`},
		{"21 runes cut", "sleep", []string{"123456789012345"}, false, `"sleep 1234567890123…"`},
		{"redis cut", "redis-server", []string{"--protected-mode", "no"}, false, `"redis-server --prot…"`},
		{"redis --no-trunc", "redis-server", []string{"--protected-mode", "no"}, true, `"redis-server --protected-mode no"`},
		{"quotes escaped", "echo", []string{`"hi"`}, false, `"echo \"hi\""`},
		{"cut counts runes", "echo", []string{"ééééééééééééééééé"}, false, `"echo éééééééééééééé…"`},
	}
	for _, tt := range tests {
		r := psRow{c: &runtime.Container{Path: tt.path, Args: tt.args}, noTrunc: tt.noTrunc}
		if got := r.Command(); got != tt.want {
			t.Errorf("%s: Command() = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// Docker's daemon builds the list's Command by putting each argument that contains a space in
// single quotes (daemon/list.go), so `run busybox sh -c "sleep 100"` shows "sh -c 'sleep 100'".
func TestPsRowCommandQuotesArgsWithSpacesAsDocker(t *testing.T) {
	tests := []struct {
		path    string
		args    []string
		noTrunc bool
		want    string
	}{
		{"sh", []string{"-c", "sleep 100"}, true, `"sh -c 'sleep 100'"`},
		{"sh", []string{"-c", "while true; do sleep 1; done"}, false, `"sh -c 'while true; …"`},
	}
	for _, tt := range tests {
		r := psRow{c: &runtime.Container{Path: tt.path, Args: tt.args}, noTrunc: tt.noTrunc}
		if got := r.Command(); got != tt.want {
			t.Errorf("Command() for %s %q = %s, want %s", tt.path, tt.args, got, tt.want)
		}
	}
}

func TestPsRowFields(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	id := "38f2e2bedd94" + strings.Repeat("a", 52)
	c := &runtime.Container{ID: id, Name: "web", Image: "busybox", Created: now.Add(-3 * time.Second)}
	c.HostConfig.NetworkMode = "bridge"
	r := psRow{c: c, now: now}
	checks := []struct{ field, got, want string }{
		{"ID", r.ID(), "38f2e2bedd94"},
		{"ID --no-trunc", psRow{c: c, now: now, noTrunc: true}.ID(), id},
		{"RunningFor", r.RunningFor(), "3 seconds ago"},
		{"Names", r.Names(), "web"},
		{"Image", r.Image(), "busybox"},
		{"Networks", r.Networks(), "bridge"},
		{"Status", r.Status(), "Created"},
		{"Networks of container:X", networkName("container:other"), ""},
		{"Networks of none", networkName("none"), "none"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
		}
	}
}

// TestPsLinesAsTheTemplatePrintsThem holds ps's direct printing of the default table and of -q to
// what the templates they stand for print.
func TestPsLinesAsTheTemplatePrintsThem(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	running := &runtime.Container{ID: "38f2e2bedd94" + strings.Repeat("a", 52), Name: "web", Image: "busybox",
		Path: "sh", Args: []string{"-c", "while true; do sleep 1; done"}, Created: now.Add(-3 * time.Hour)}
	running.State = runtime.State{Status: runtime.StatusRunning, StartedAt: now.Add(-2 * time.Minute)}
	running.Config.ExposedPorts = map[string]struct{}{"80/tcp": {}, "6379/tcp": {}}
	running.Network.Ports = []bridge.Binding{{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}
	exited := &runtime.Container{ID: "1234567890ab" + strings.Repeat("b", 52), Name: "a-much-longer-name", Image: "redis",
		Path: "redis-server", Created: now.Add(-48 * time.Hour)}
	exited.State = runtime.State{Status: runtime.StatusExited, ExitCode: 137, FinishedAt: now.Add(-time.Minute)}
	created := &runtime.Container{ID: "ffffffffffff" + strings.Repeat("c", 52), Name: "c", Image: "alpine", Path: "/bin/sh", Created: now}
	for _, noTrunc := range []bool{false, true} {
		var rows []psRow
		for _, c := range []*runtime.Container{running, exited, created} {
			rows = append(rows, psRow{c: c, now: now, noTrunc: noTrunc, linkNames: []string{"other/alias"}})
		}
		for _, tt := range []struct {
			format string
			table  bool
		}{{psDefaultFormat, true}, {"{{.ID}}", false}} {
			var want, got bytes.Buffer
			if err := printRowsTo(&want, tt.format, rows, psHeader); err != nil {
				t.Fatal(err)
			}
			if err := printPsLines(&got, rows, tt.table); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("no-trunc %v, %q: printed\n%s\nthe template prints\n%s", noTrunc, tt.format, got.String(), want.String())
			}
			if !strings.Contains(got.String(), "other/alias") && noTrunc && tt.table {
				t.Errorf("no-trunc: the link names are missing:\n%s", got.String())
			}
		}
	}
}
