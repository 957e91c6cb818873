package runtime

import "strings"

// ValidateEnv checks -e values as Docker's CLI does (opts.ValidateEnv, a flag validator): the name,
// the text before the first "=", must not be empty. runc refuses such an entry when the process
// starts, so a container created with `-e =x` (or `-e =`, or `-e ""`) could never start.
func ValidateEnv(entries []string) error {
	for _, e := range entries {
		if name, _, _ := strings.Cut(e, "="); name == "" {
			return userError(ErrInvalidArgument, "invalid argument %q for \"-e, --env\" flag: invalid environment variable: %s", e, e)
		}
	}
	return nil
}

// defaultPath is the PATH every container process starts with, before the image's or the user's.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ProcessEnv computes the environment of a container process the way Docker does:
// start with PATH, HOSTNAME and (with a tty) TERM, then the link variables; apply the container's
// env and then the exec's own -e entries (an existing key is replaced where it stands, a new key is
// appended, a bare KEY removes it); finally add HOME when nothing set it.
func ProcessEnv(hostname string, tty bool, linkEnv, configEnv, execEnv []string, home string) []string {
	env := []string{defaultPath, "HOSTNAME=" + hostname}
	if tty {
		env = append(env, "TERM=xterm")
	}
	env = mergeEnv(env, linkEnv)
	env = mergeEnv(env, configEnv)
	env = mergeEnv(env, execEnv)
	if _, ok := lookupEnv(env, "HOME"); !ok {
		env = append(env, "HOME="+home)
	}
	return env
}

// mergeEnv applies entries to env: a key already present keeps its position and takes the new
// value, a new key is appended, and an entry without "=" removes its key.
func mergeEnv(env, entries []string) []string {
	for _, e := range entries {
		key, _, hasValue := strings.Cut(e, "=")
		i := indexEnv(env, key)
		switch {
		case !hasValue && i >= 0:
			env = append(env[:i:i], env[i+1:]...)
		case !hasValue:
		case i >= 0:
			env[i] = e
		default:
			env = append(env, e)
		}
	}
	return env
}

func indexEnv(env []string, key string) int {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return i
		}
	}
	return -1
}

func lookupEnv(env []string, key string) (string, bool) {
	if i := indexEnv(env, key); i >= 0 {
		_, v, _ := strings.Cut(env[i], "=")
		return v, true
	}
	return "", false
}

// ConfigEnv is a container's .Config.Env: every -e entry in order, then each image entry whose
// key no -e entry sets. A bare "-e KEY" takes KEY's value from lookup (the CLI's environment); when
// that has none it stays "KEY", which hides the image's KEY and removes it from the process
// environment, as with Docker.
func ConfigEnv(flagEnv, imageEnv []string, lookup func(string) (string, bool)) []string {
	var env []string
	for _, e := range flagEnv {
		if !strings.Contains(e, "=") {
			if v, ok := lookup(e); ok {
				e += "=" + v
			}
		}
		env = append(env, e)
	}
	var flagKeys []string
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		flagKeys = append(flagKeys, k)
	}
	for _, e := range imageEnv {
		key, _, _ := strings.Cut(e, "=")
		if indexEnv(flagKeys, key) < 0 {
			env = append(env, e)
		}
	}
	return env
}
