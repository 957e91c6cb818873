package rootfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// knownInstructions are the Dockerfile instructions that exist but make no sense as a change to
// an image config; Docker names them in a different error than unknown words.
var knownInstructions = map[string]bool{
	"ADD": true, "ARG": true, "COPY": true, "FROM": true, "HEALTHCHECK": true,
	"MAINTAINER": true, "ONBUILD": true, "RUN": true, "SHELL": true,
}

// ParseChanges validates `--change` values and returns them applied to cfg.
//
// The values are read like the lines of a Dockerfile (Docker joins them with newlines, so an
// error names the line), in order: ENV (K=V pairs or the old "K V" form), EXPOSE (port[/proto]
// and ranges), CMD and ENTRYPOINT (JSON array or shell form), WORKDIR, USER, LABEL, VOLUME and
// STOPSIGNAL. $VAR and ${VAR} in ENV, EXPOSE, WORKDIR, USER, LABEL, VOLUME and STOPSIGNAL expand
// from the config's environment as it stands at that line.
func ParseChanges(cfg v1.Config, changes []string) (v1.Config, error) {
	cfg = cloneConfig(cfg)
	cmdSet := false
	line := 0
	for _, change := range changes {
		for _, text := range strings.Split(change, "\n") {
			line++
			text = strings.TrimSpace(text)
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			word, rest := text, ""
			if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
				word, rest = text[:i], text[i:]
			}
			rest = strings.TrimSpace(rest)
			instr := strings.ToUpper(word)
			var err error
			switch instr {
			case "ENV":
				err = applyEnv(&cfg, rest)
			case "EXPOSE":
				err = applyExpose(&cfg, rest)
			case "CMD":
				cfg.Cmd, err = parseCommand(instr, rest, cfg.Shell)
				cmdSet = true
			case "ENTRYPOINT":
				cfg.Entrypoint, err = parseCommand(instr, rest, cfg.Shell)
				// Docker drops an inherited CMD when ENTRYPOINT changes: it was meant as
				// arguments for the old entrypoint.
				if !cmdSet {
					cfg.Cmd = nil
				}
			case "WORKDIR":
				err = applyWorkdir(&cfg, rest)
			case "USER":
				var w []string
				if w, err = splitWords(rest, cfg.Env, false); err == nil && len(w) != 1 {
					err = errors.New("USER requires exactly one argument")
				}
				if err == nil {
					cfg.User = w[0]
				}
			case "LABEL":
				err = applyLabel(&cfg, rest)
			case "VOLUME":
				err = applyVolume(&cfg, rest)
			case "STOPSIGNAL":
				var w []string
				if w, err = splitWords(rest, cfg.Env, false); err == nil && len(w) != 1 {
					err = errors.New("STOPSIGNAL requires exactly one argument")
				}
				if err == nil {
					cfg.StopSignal = w[0]
				}
			default:
				if knownInstructions[instr] {
					return cfg, fmt.Errorf("%s is not a valid change command", instr)
				}
				return cfg, fmt.Errorf("dockerfile parse error line %d: unknown instruction: %s", line, instr)
			}
			if err != nil {
				return cfg, fmt.Errorf("dockerfile parse error line %d: %w", line, err)
			}
		}
	}
	return cfg, nil
}

// cloneConfig copies the slices and maps of cfg so that applying changes never writes into the
// caller's config.
func cloneConfig(cfg v1.Config) v1.Config {
	cfg.Env = slices.Clone(cfg.Env)
	cfg.Cmd = slices.Clone(cfg.Cmd)
	cfg.Entrypoint = slices.Clone(cfg.Entrypoint)
	cfg.Shell = slices.Clone(cfg.Shell)
	cfg.OnBuild = slices.Clone(cfg.OnBuild)
	cfg.ExposedPorts = maps.Clone(cfg.ExposedPorts)
	cfg.Labels = maps.Clone(cfg.Labels)
	cfg.Volumes = maps.Clone(cfg.Volumes)
	return cfg
}

// setEnv replaces KEY in place, keeping the variable's position, or appends it.
func setEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func applyEnv(cfg *v1.Config, rest string) error {
	pairs, err := parseNameValues("ENV", rest, cfg.Env)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		// The whole line was expanded against the environment before it, so in
		// "ENV A=1 B=$A" B gets the old A, as in Docker.
		cfg.Env = setEnv(cfg.Env, p[0], p[1])
	}
	return nil
}

func applyLabel(cfg *v1.Config, rest string) error {
	pairs, err := parseNameValues("LABEL", rest, cfg.Env)
	if err != nil {
		return err
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for _, p := range pairs {
		cfg.Labels[p[0]] = p[1]
	}
	return nil
}

// parseNameValues reads "K=V K2=V2" or the old one-pair form "K V...", where the value is the
// rest of the line.
func parseNameValues(instr, rest string, env []string) ([][2]string, error) {
	if rest == "" {
		return nil, fmt.Errorf("%s requires at least one argument", instr)
	}
	// As in Docker (buildkit's parseNameVal), the form is the old one when the first word, read
	// with its quotes and escapes, holds no "=": `"c d"=e` is a pair, `"c d" e` the old form.
	first := firstWord(rest)
	if !strings.Contains(first, "=") {
		keys, err := splitWords(first, env, false)
		if err != nil {
			return nil, err
		}
		if len(keys) != 1 || keys[0] == "" {
			return nil, fmt.Errorf("%s names cannot be empty", instr)
		}
		if strings.Contains(keys[0], "=") {
			return nil, fmt.Errorf("syntax error - can't find = in %q. Must be of the form: name=value", first)
		}
		value := strings.TrimSpace(rest[len(first):])
		if value == "" {
			return nil, fmt.Errorf("%s must have two arguments", instr)
		}
		words, err := splitWords(value, env, true)
		if err != nil {
			return nil, err
		}
		return [][2]string{{keys[0], words[0]}}, nil
	}
	words, err := splitWords(rest, env, false)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		if k == "" {
			return nil, fmt.Errorf("%s names cannot be empty", instr)
		}
		pairs = append(pairs, [2]string{k, v})
	}
	return pairs, nil
}

// firstWord returns the first word of s as typed, quotes and backslashes kept: it ends at the
// first whitespace outside quotes (or at the end of s, even inside an unterminated quote). A
// backslash escapes the next character except inside single quotes.
func firstWord(s string) string {
	var quote rune
	escaped := false
	for i, c := range s {
		switch {
		case escaped:
			escaped = false
		case c == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case unicode.IsSpace(c):
			return s[:i]
		}
	}
	return s
}

func applyExpose(cfg *v1.Config, rest string) error {
	words, err := splitWords(rest, cfg.Env, false)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return errors.New("EXPOSE requires at least one argument")
	}
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = map[string]struct{}{}
	}
	for _, w := range words {
		ports, err := parsePorts(w)
		if err != nil {
			return err
		}
		for _, p := range ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	return nil
}

// parsePorts expands "80", "53/udp" or "8000-8002/tcp" into "port/proto" keys.
func parsePorts(spec string) ([]string, error) {
	portSpec, proto, hasProto := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	if !hasProto {
		proto = "tcp"
	}
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(portSpec, "-")
	start, err := parsePort(lo)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", spec)
	}
	end := start
	if isRange {
		if end, err = parsePort(hi); err != nil || end < start {
			return nil, fmt.Errorf("invalid port range: %s", spec)
		}
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+proto)
	}
	return out, nil
}

// parsePort reads one port number, 1 to 65535, in decimal digits only (no sign, as Docker's
// strconv.ParseUint). Port 0 is refused: the linker cannot read a "0/tcp" key back, so one would
// break every --link and -P to the image.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// parseCommand reads the JSON array form of CMD/ENTRYPOINT, falling back to the shell form (run by
// the image's SHELL, /bin/sh -c by default) when the text is not a JSON array of strings, as Docker
// does.
func parseCommand(instr, rest string, shell []string) ([]string, error) {
	if strings.HasPrefix(rest, "[") {
		var args []string
		if err := json.Unmarshal([]byte(rest), &args); err == nil {
			return args, nil
		}
	}
	if rest == "" {
		return nil, fmt.Errorf("%s requires at least one argument", instr)
	}
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	return append(slices.Clone(shell), rest), nil
}

func applyWorkdir(cfg *v1.Config, rest string) error {
	words, err := splitWords(rest, cfg.Env, true)
	if err != nil {
		return err
	}
	if len(words) != 1 || words[0] == "" {
		return errors.New("WORKDIR requires exactly one argument")
	}
	dir := words[0]
	if !path.IsAbs(dir) {
		dir = path.Join("/", cfg.WorkingDir, dir)
	}
	cfg.WorkingDir = path.Clean(dir)
	return nil
}

func applyVolume(cfg *v1.Config, rest string) error {
	var vols []string
	if strings.HasPrefix(rest, "[") {
		if err := json.Unmarshal([]byte(rest), &vols); err != nil {
			vols = nil
		}
	}
	if vols == nil {
		var err error
		if vols, err = splitWords(rest, cfg.Env, false); err != nil {
			return err
		}
	}
	if len(vols) == 0 {
		return errors.New("VOLUME requires at least one argument")
	}
	if cfg.Volumes == nil {
		cfg.Volumes = map[string]struct{}{}
	}
	for _, v := range vols {
		if strings.TrimSpace(v) == "" {
			return errors.New("VOLUME specified can not be an empty string")
		}
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}

// splitWords splits s into words the way the Dockerfile shell lexer does: whitespace separates
// words (unless whole is set, then s is one word), double and single quotes group, a backslash
// escapes the next character outside single quotes, and $VAR / ${VAR} / ${VAR:-default} /
// ${VAR:+alt} expand from env outside single quotes.
func splitWords(s string, env []string, whole bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case unicode.IsSpace(c) && !whole:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			}
		case c == '\'':
			inWord = true
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j == len(rs) {
				return nil, errors.New("unexpected end of statement while looking for matching single-quote")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
		case c == '"':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				switch {
				case rs[j] == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\' || rs[j+1] == '$'):
					j++
					cur.WriteRune(rs[j])
				case rs[j] == '$':
					n, err := expandVar(rs[j:], env, &cur)
					if err != nil {
						return nil, err
					}
					j += n - 1
				default:
					cur.WriteRune(rs[j])
				}
			}
			if j == len(rs) {
				return nil, errors.New("unexpected end of statement while looking for matching double-quote")
			}
			i = j
		case c == '$':
			inWord = true
			n, err := expandVar(rs[i:], env, &cur)
			if err != nil {
				return nil, err
			}
			i += n - 1
		default:
			inWord = true
			cur.WriteRune(c)
		}
	}
	if inWord || (whole && len(rs) > 0) {
		words = append(words, cur.String())
	}
	return words, nil
}

// expandVar expands the variable reference at the start of rs (which begins with '$') into out
// and returns how many runes it used.
func expandVar(rs []rune, env []string, out *strings.Builder) (int, error) {
	isName := func(r rune, first bool) bool {
		return r == '_' || unicode.IsLetter(r) || (!first && unicode.IsDigit(r))
	}
	if len(rs) > 1 && rs[1] == '{' {
		end := slices.Index(rs, '}')
		if end < 0 {
			return 0, errors.New("missing '}' in variable reference")
		}
		body := string(rs[2:end])
		name, word, op := body, "", ""
		if i := strings.Index(body, ":"); i >= 0 && i+1 < len(body) && (body[i+1] == '-' || body[i+1] == '+') {
			name, op, word = body[:i], body[i:i+2], body[i+2:]
		}
		val, set := lookupEnv(env, name)
		switch op {
		case ":-":
			if !set || val == "" {
				val = word
			}
		case ":+":
			if set && val != "" {
				val = word
			} else {
				val = ""
			}
		}
		out.WriteString(val)
		return end + 1, nil
	}
	n := 1
	for n < len(rs) && isName(rs[n], n == 1) {
		n++
	}
	if n == 1 {
		out.WriteRune('$') // a lone dollar is literal
		return 1, nil
	}
	val, _ := lookupEnv(env, string(rs[1:n]))
	out.WriteString(val)
	return n, nil
}
