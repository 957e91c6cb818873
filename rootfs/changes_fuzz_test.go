package rootfs

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/minilink/minilink/linker"
)

// fuzzBase is an image config with every field --change can set, and some it cannot.
func fuzzBase() v1.Config {
	return v1.Config{
		Hostname:     "h",
		User:         "redis",
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "FOO=base", "EMPTY="},
		Cmd:          []string{"redis-server"},
		Entrypoint:   []string{"/entry"},
		WorkingDir:   "/data",
		ExposedPorts: map[string]struct{}{"6379/tcp": {}},
		Labels:       map[string]string{"a": "b"},
		Volumes:      map[string]struct{}{"/data": {}},
		StopSignal:   "SIGTERM",
		Shell:        []string{"/bin/bash", "-c"},
		OnBuild:      []string{"RUN true"},
	}
}

// instructions returns the instruction word of every line ParseChanges reads (upper-cased), and
// the lines themselves as numbered in its errors.
func instructions(changes []string) (words map[string]bool, lines []string) {
	words = map[string]bool{}
	for _, c := range changes {
		for _, l := range strings.Split(c, "\n") {
			lines = append(lines, l)
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			if i := strings.IndexFunc(l, unicode.IsSpace); i >= 0 {
				l = l[:i]
			}
			words[strings.ToUpper(l)] = true
		}
	}
	return words, lines
}

// checkExposedKeys fails on a key the linker cannot read back (SortedPorts refuses the whole
// map, so a link to the container would fail).
func checkExposedKeys(t *testing.T, what string, ports map[string]struct{}) {
	t.Helper()
	for k := range ports {
		p, err := linker.ParsePort(k)
		if err != nil || p.String() != k {
			t.Fatalf("%s: exposed port key %q: %v (reads back as %q)", what, k, err, p.String())
		}
	}
}

var lineError = regexp.MustCompile(`^dockerfile parse error line (\d+): `)

// FuzzParseChanges feeds two --change values as typed. Whatever they hold: the input config is
// never written to; passing them joined by a newline is the same as passing them apart (Docker
// joins them, and errors count lines across values); an error names the first line that fails.
// On success only the fields the instructions present may change, and each in its own way:
// ExposedPorts, Labels and Volumes only grow, and every exposed key is one the linker reads back;
// ENV keeps every variable in its place and adds NAME=VALUE entries with new non-empty names;
// WORKDIR leaves an absolute, clean path.
func FuzzParseChanges(f *testing.F) {
	for _, c := range [][2]string{
		{"ENV K=V", "EXPOSE 8000-8002/udp"},
		{`ENV A=1 B="two words" C='x y' D=a\ b`, "env PATH=$PATH:/x Q=${PATH} R=${NOPE:-dflt} S=${FOO:+alt}"},
		{"ENV K hello  world", "LABEL a=c \"c d\"=e"},
		{`CMD ["redis-server","--protected-mode","no"]`, "ENTRYPOINT exec top -b"},
		{"entrypoint [\"/e\"]", "CMD [oops"},
		{"WORKDIR b/../c", "WORKDIR $FOO/x"},
		{"WORKDIR /abs//x/.", "workdir ${NOPE:-/y}/"},
		{"USER 1000:1000", "STOPSIGNAL SIGKILL"},
		{`VOLUME ["/x", "/y"]`, "VOLUME /z"},
		{"# comment\n\n  ", "ENV A=1\nUSER u"},
		{"EXPOSE 0", "EXPOSE 65535/SCTP 1"},
		{"RUN echo", ""},
		{"FOO bar", "ENV A=1"},
		{"ENV A=1", "EXPOSE 80\nENV =v"},
		{`ENV A="open`, "LABEL 'x"},
		{"ENV ${X", "WORKDIR"},
		{"USER a b", "STOPSIGNAL"},
		{"EXPOSE +80 080/tcp", "VOLUME [\" \"]"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		changes := []string{a, b}
		base := fuzzBase()
		got, err := ParseChanges(base, changes)
		if !reflect.DeepEqual(base, fuzzBase()) {
			t.Fatalf("ParseChanges(%q) wrote into its input: %+v", changes, base)
		}
		joined, jerr := ParseChanges(fuzzBase(), []string{a + "\n" + b})
		if fmt.Sprint(err) != fmt.Sprint(jerr) || err == nil && !reflect.DeepEqual(got, joined) {
			t.Fatalf("ParseChanges(%q) = %v; the same joined by a newline = %v", changes, err, jerr)
		}
		words, lines := instructions(changes)
		if err != nil {
			m := lineError.FindStringSubmatch(err.Error())
			if m == nil {
				// Only a Dockerfile instruction that is no change is named without a line.
				instr, ok := strings.CutSuffix(err.Error(), " is not a valid change command")
				if !ok || !knownInstructions[instr] || !words[instr] {
					t.Fatalf("ParseChanges(%q): error %q names no line", changes, err)
				}
				return
			}
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > len(lines) {
				t.Fatalf("ParseChanges(%q): error %q names line %d of %d", changes, err, n, len(lines))
			}
			if _, err := ParseChanges(fuzzBase(), []string{strings.Join(lines[:n-1], "\n")}); err != nil {
				t.Fatalf("ParseChanges(%q) fails at line %d, but the lines before it fail too: %v", changes, n, err)
			}
			if _, err2 := ParseChanges(fuzzBase(), []string{strings.Join(lines[:n], "\n")}); fmt.Sprint(err2) != fmt.Sprint(err) {
				t.Fatalf("ParseChanges(%q) = %v, but its first %d lines alone give %v", changes, err, n, err2)
			}
			return
		}

		for w := range words {
			switch w {
			case "ENV", "EXPOSE", "CMD", "ENTRYPOINT", "WORKDIR", "USER", "LABEL", "VOLUME", "STOPSIGNAL":
			default:
				t.Fatalf("ParseChanges(%q) accepted the instruction %q", changes, w)
			}
		}
		// A field no instruction names stays as it was: compare after resetting the named ones.
		rest, want := got, fuzzBase()
		for _, c := range []*v1.Config{&rest, &want} {
			if words["ENV"] {
				c.Env = nil
			}
			if words["EXPOSE"] {
				c.ExposedPorts = nil
			}
			if words["CMD"] || words["ENTRYPOINT"] {
				c.Cmd = nil
			}
			if words["ENTRYPOINT"] {
				c.Entrypoint = nil
			}
			if words["WORKDIR"] {
				c.WorkingDir = ""
			}
			if words["USER"] {
				c.User = ""
			}
			if words["LABEL"] {
				c.Labels = nil
			}
			if words["VOLUME"] {
				c.Volumes = nil
			}
			if words["STOPSIGNAL"] {
				c.StopSignal = ""
			}
		}
		if !reflect.DeepEqual(rest, want) {
			t.Fatalf("ParseChanges(%q) changed a field no instruction names:\n got  %+v\n base %+v", changes, got, fuzzBase())
		}

		what := fmt.Sprintf("ParseChanges(%q)", changes)
		base = fuzzBase()
		for k := range base.ExposedPorts {
			if _, ok := got.ExposedPorts[k]; !ok {
				t.Fatalf("%s lost the exposed port %q", what, k)
			}
		}
		for k, v := range base.Labels {
			if _, ok := got.Labels[k]; !ok {
				t.Fatalf("%s lost the label %q=%q", what, k, v)
			}
		}
		for k := range base.Volumes {
			if _, ok := got.Volumes[k]; !ok {
				t.Fatalf("%s lost the volume %q", what, k)
			}
		}
		names := map[string]bool{}
		for i, e := range got.Env {
			name, _, ok := strings.Cut(e, "=")
			if !ok || name == "" || names[name] || strings.Contains(e, "\n") {
				t.Fatalf("%s: env %q: entry %q is no NAME=VALUE with a new name", what, got.Env, e)
			}
			names[name] = true
			if i < len(base.Env) && !strings.HasPrefix(e, strings.SplitAfter(base.Env[i], "=")[0]) {
				t.Fatalf("%s: env %q: %q moved (was %q)", what, got.Env, e, base.Env[i])
			}
		}
		if !path.IsAbs(got.WorkingDir) || path.Clean(got.WorkingDir) != got.WorkingDir {
			t.Fatalf("%s: working directory %q is not absolute and clean", what, got.WorkingDir)
		}
		again, err := ParseChanges(fuzzBase(), changes)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("%s is not deterministic: %+v, %v", what, again, err)
		}
		checkExposedKeys(t, what, got.ExposedPorts)
	})
}

// dq quotes s as one double-quoted Dockerfile word: "\", `"` and "$" are escaped, everything else
// stands for itself.
func dq(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace(s) + `"`
}

// FuzzParseChangesApplied builds one instruction from fuzzed parts, quoted so that the shell lexer
// must give the parts back as they are, and checks that ParseChanges either applies exactly that
// instruction or, where it must, succeeds: the field it sets gets the value, every other field
// keeps the base's. sel picks the instruction; key and value are its words; port is EXPOSE's.
func FuzzParseChangesApplied(f *testing.F) {
	f.Add(uint8(0), "REDIS_VERSION", "7.0.15 with spaces", 0)
	f.Add(uint8(0), "FOO", `a "quoted" $HOME \ value`, 0)
	f.Add(uint8(1), "GOSU", "1.17", 0)
	f.Add(uint8(2), "org.label", "x=y", 0)
	f.Add(uint8(2), "c d", "e", 0)
	f.Add(uint8(3), "", "1000:1000", 0)
	f.Add(uint8(4), "", "SIGKILL", 0)
	f.Add(uint8(5), "", "b/../c", 0)
	f.Add(uint8(5), "", "/abs//x/", 0)
	f.Add(uint8(6), "redis-server", "--port 7000", 0)
	f.Add(uint8(7), "/init", "", 0)
	f.Add(uint8(8), "a", "b", 0)
	f.Add(uint8(9), "/v1", "/v2", 0)
	f.Add(uint8(10), "", "", 8080)
	f.Add(uint8(10), "ab", "", 53)
	f.Add(uint8(10), "abc", "", 65536)
	f.Add(uint8(10), "abcd", "", 1)
	f.Add(uint8(10), "abcde", "", 65535)
	f.Add(uint8(11), "", "  echo hi  there ", 0)
	f.Fuzz(func(t *testing.T, sel uint8, key, value string, port int) {
		if !utf8.ValidString(key) || !utf8.ValidString(value) || strings.ContainsAny(key+value, "\n") {
			t.Skip("a change line holds no newline; the lexer reads runes")
		}
		// A name with "=" cannot be written as NAME=VALUE at all.
		want := fuzzBase()
		mustApply := true
		var change string
		switch sel % 12 {
		case 0: // ENV "K"="V"
			if strings.Contains(key, "=") {
				t.Skip("a name with =")
			}
			change = "ENV " + dq(key) + "=" + dq(value)
			want.Env = setEnv(want.Env, key, value)
			mustApply = key != ""
		case 1: // ENV K V (the old form); the name is taken as typed
			if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`).MatchString(key) {
				t.Skip("the old form's name is a plain word")
			}
			change = "ENV " + key + " " + dq(value)
			want.Env = setEnv(want.Env, key, value)
		case 2: // LABEL "K"="V"
			if strings.Contains(key, "=") {
				t.Skip("a name with =")
			}
			change = "LABEL " + dq(key) + "=" + dq(value)
			want.Labels[key] = value
			mustApply = key != ""
		case 3:
			change = "USER " + dq(value)
			want.User = value
		case 4:
			change = "STOPSIGNAL " + dq(value)
			want.StopSignal = value
		case 5:
			change = "WORKDIR " + dq(value)
			want.WorkingDir = path.Clean(path.Join("/data", value))
			if path.IsAbs(value) {
				want.WorkingDir = path.Clean(value)
			}
			mustApply = value != ""
		case 6, 7, 8:
			args, _ := json.Marshal([]string{key, value})
			rev, _ := json.Marshal([]string{value, key})
			switch sel % 12 {
			case 6:
				change = "CMD " + string(args)
				want.Cmd = []string{key, value}
			case 7: // a new ENTRYPOINT drops the inherited CMD
				change = "ENTRYPOINT " + string(args)
				want.Entrypoint, want.Cmd = []string{key, value}, nil
			case 8: // but not a CMD set by the same changes
				change = "CMD " + string(args) + "\nentrypoint " + string(rev)
				want.Cmd, want.Entrypoint = []string{key, value}, []string{value, key}
			}
		case 9:
			vols, _ := json.Marshal([]string{key, value})
			change = "VOLUME " + string(vols)
			want.Volumes[key], want.Volumes[value] = struct{}{}, struct{}{}
			mustApply = strings.TrimSpace(key) != "" && strings.TrimSpace(value) != ""
		case 10:
			protos := []string{"", "/tcp", "/udp", "/sctp", "/TCP", "/Udp", "/icmp"}
			proto := protos[len(key)%len(protos)]
			change = "EXPOSE " + strconv.Itoa(port) + proto
			typed := strings.ToLower(strings.TrimPrefix(proto, "/"))
			if typed == "" {
				typed = "tcp"
			}
			want.ExposedPorts[strconv.Itoa(port)+"/"+typed] = struct{}{}
			mustApply = port >= 1 && port <= 65535 && typed != "icmp"
		case 11: // the shell form, run by the image's SHELL
			rest := strings.TrimSpace(value)
			if rest == "" || strings.HasPrefix(rest, "[") {
				t.Skip("not the shell form")
			}
			change = "CMD " + value
			want.Cmd = []string{"/bin/bash", "-c", rest}
		}
		got, err := ParseChanges(fuzzBase(), []string{change})
		if err != nil {
			if mustApply {
				t.Fatalf("ParseChanges(%q): %v", change, err)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseChanges(%q) =\n %+v\nwant\n %+v", change, got, want)
		}
		if !mustApply {
			t.Fatalf("ParseChanges(%q) = %+v; want an error", change, got)
		}
	})
}

// Found by FuzzParseChanges and FuzzParseExpose (runtime): `EXPOSE 0` (and a range from 0) was
// accepted and stored the key "0/tcp", which the linker refuses (linker.ParsePort: port must be
// between 1 and 65535). linker.SortedPorts then failed for the whole map, so every --link to a
// container of such an image failed at start, and -P published none of the image's ports. It is
// refused now, as --expose 0 and -p 0 are; so is a sign ("+80"), which Docker's ParseUint refuses.
func TestChangesExposeRefusesPortZero(t *testing.T) {
	for _, change := range []string{"EXPOSE 0", "EXPOSE 0/udp", "EXPOSE 0-2", "EXPOSE 80 0", "EXPOSE +80", "EXPOSE 1-+3"} {
		cfg, err := ParseChanges(v1.Config{}, []string{change})
		if err == nil {
			_, err = linker.SortedPorts(cfg.ExposedPorts)
			t.Errorf("ParseChanges(%q) = %q; want an error (the linker says %v)", change, slices.Sorted(maps.Keys(cfg.ExposedPorts)), err)
		} else if !strings.HasPrefix(err.Error(), "dockerfile parse error line 1: invalid containerPort: ") &&
			!strings.HasPrefix(err.Error(), "dockerfile parse error line 1: invalid port range: ") {
			t.Errorf("ParseChanges(%q): %v; want invalid containerPort or invalid port range", change, err)
		}
	}
}

// Found by FuzzParseChangesApplied: a quoted name with whitespace was refused in the NAME=VALUE
// form when it came first: parseNameValues picked the form from the text up to the first space,
// quotes ignored, so `"c d"=e` was read as the old form `NAME VALUE` with the name `"c` and failed
// on the unmatched quote. Docker (buildkit's parseNameVal) splits quote-aware words first and
// sets the label "c d"; so does minilink now.
func TestChangesQuotedNameFirst(t *testing.T) {
	cfg, err := ParseChanges(v1.Config{}, []string{`LABEL "c d"=e`, `ENV "my var"=x`, `LABEL 'f g'="h i" j=k`, `ENV "old form" v w`})
	if err != nil || cfg.Labels["c d"] != "e" || cfg.Labels["f g"] != "h i" || cfg.Labels["j"] != "k" ||
		!slices.Equal(cfg.Env, []string{"my var=x", "old form=v w"}) {
		t.Errorf("ParseChanges = %+v, %v; want the labels \"c d\"=e, \"f g\"=\"h i\", j=k and the variables \"my var\"=x, \"old form\"=\"v w\"", cfg, err)
	}
	for _, change := range []string{`ENV "" x`, `LABEL '' x`, `ENV "" `} {
		if cfg, err := ParseChanges(v1.Config{}, []string{change}); err == nil {
			t.Errorf("ParseChanges(%q) = %+v; want an error", change, cfg)
		}
	}
}
