package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validName is Docker's rule for container names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// MaxNameLen is the longest container name, minilink's own limit (Docker has none): a running
// container's network namespace is named by the file /run/netns/minilink-NAME, and a file name
// has at most 255 bytes, so a longer name could be created but never started.
const MaxNameLen = 255 - len("minilink-")

// ValidateName checks a name given with --name or rename (without its optional leading "/"): Docker's
// rule and text, with the name quoted when it holds a character that is not printable (a newline
// or a tab would otherwise break or blur the one-line error), then MaxNameLen.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		shown := name
		if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !strconv.IsPrint(r) }) {
			shown = strconv.Quote(name)
		}
		return userError(ErrInvalidArgument, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", shown)
	}
	if len(name) > MaxNameLen {
		return userError(ErrInvalidArgument, "Invalid container name (%.20s…), %d characters: at most %d are allowed", name, len(name), MaxNameLen)
	}
	return nil
}

// maxHostnameLen is the longest hostname sethostname(2) takes (HOST_NAME_MAX).
const maxHostnameLen = 64

// ValidateHostname checks -h, minilink's own rule (Docker checks nothing and fails at start): at
// most 64 bytes, which sethostname takes, so that the container can start; no whitespace, control
// character or "#", since the hostname is a name in the container's /etc/hosts line and in its
// parents' link lines, where they would split the line, end it or start a comment.
func ValidateHostname(hostname string) error {
	if strings.ContainsFunc(hostname, func(r rune) bool { return r == '#' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return userError(ErrInvalidArgument, "invalid hostname %q: it would break /etc/hosts", hostname)
	}
	if len(hostname) > maxHostnameLen {
		return userError(ErrInvalidArgument, "invalid hostname %.20q… (%d bytes): at most %d are allowed", hostname, len(hostname), maxHostnameLen)
	}
	return nil
}

// NewID returns a fresh 64-hex-digit container ID. Like Docker, it never returns an all-digit ID,
// which would be ambiguous with a number on the command line.
func NewID() string {
	for {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		id := hex.EncodeToString(b[:])
		for _, c := range id[:12] {
			if c > '9' {
				return id
			}
		}
	}
}

// ShortID is the 12-digit form shown by ps and used as the default hostname.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Lists for generated names, in the spirit of Docker's adjective_surname names: notable people
// of computing and networking.
var (
	nameAdjectives = []string{
		"admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "brave", "busy",
		"charming", "clever", "cool", "dazzling", "determined", "eager", "ecstatic", "elegant", "epic",
		"festive", "focused", "friendly", "funny", "gallant", "gifted", "goofy", "gracious", "happy",
		"hopeful", "hungry", "inspiring", "jolly", "keen", "kind", "laughing", "loving", "lucid",
		"magical", "modest", "musing", "nice", "nifty", "optimistic", "peaceful", "pedantic", "quirky",
		"quizzical", "relaxed", "reverent", "romantic", "serene", "sharp", "silly", "sleepy", "stoic",
		"strange", "sweet", "tender", "thirsty", "trusting", "upbeat", "vibrant", "vigilant", "wizardly",
		"wonderful", "xenodochial", "youthful", "zealous", "zen",
	}
	nameSurnames = []string{
		"allen", "babbage", "backus", "baran", "bell", "berners_lee", "borg", "cerf", "clarke", "conway",
		"corbato", "davies", "dijkstra", "engelbart", "estrin", "hamilton", "hopper", "joy", "kahn",
		"kay", "kernighan", "kleinrock", "knuth", "lamport", "lampson", "liskov", "lovelace", "mccarthy",
		"metcalfe", "mockapetris", "moore", "neumann", "noyce", "perlman", "pike", "postel", "ritchie",
		"shannon", "sutherland", "tanenbaum", "thompson", "torvalds", "turing", "wilkes", "wirth", "wozniak",
	}
)

// RandomName returns a name such as "focused_perlman". taken reports names already in use; after
// a few collisions a digit is appended, as Docker does.
func RandomName(taken func(string) bool) string {
	for try := 0; ; try++ {
		name := pick(nameAdjectives) + "_" + pick(nameSurnames)
		if try >= 10 {
			name += fmt.Sprint(pickN(10))
		}
		if !taken(name) {
			return name
		}
	}
}

func pick(list []string) string { return list[pickN(len(list))] }

func pickN(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}
