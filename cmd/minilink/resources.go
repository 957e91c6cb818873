package main

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The values of -m/--memory and --cpus, parsed as Docker's CLI parses them (its opts.MemBytes and
// opts.NanoCPUs), so that a bad value fails at flag parsing with Docker's words:
//
//	invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'
//
// Whether a well-formed value is allowed (at least 6 MB, at most the host's CPUs) is create's
// check, as it is the daemon's in Docker.

// memBytes is -m: a size in bytes.
type memBytes int64

// sizePattern is go-units' RAMInBytes syntax: a number, then an optional unit of powers of 1024
// (k, m, g, t, p; "b" alone is bytes), optionally followed by "i" and "b": 512, 1.5g, 16MiB.
// Compiled on first use: every minilink process, libcontainer's init among them, would pay for
// it at start-up.
var sizePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`)
})

var unitBytes = map[string]float64{
	"":  1,
	"k": 1 << 10,
	"m": 1 << 20,
	"g": 1 << 30,
	"t": 1 << 40,
	"p": 1 << 50,
}

// parseSize reads a size as Docker's -m does.
func parseSize(s string) (int64, error) {
	m := sizePattern().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid size: '%s'", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size: '%s'", s)
	}
	n *= unitBytes[strings.ToLower(m[2])]
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: '%s'", s)
	}
	return int64(n), nil
}

func (m *memBytes) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*m = memBytes(n)
	return nil
}

func (m *memBytes) String() string { return strconv.FormatInt(int64(*m), 10) }

// Type is the word help shows after the flag: "-m, --memory bytes".
func (m *memBytes) Type() string { return "bytes" }

// nanoCPUs is --cpus: billionths of a CPU.
type nanoCPUs int64

// parseCPUs reads a decimal number of CPUs exactly (no float rounding), as Docker's ParseCPUs.
func parseCPUs(s string) (int64, error) {
	cpus, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", s)
	}
	nano := cpus.Mul(cpus, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("value is too precise")
	}
	if !nano.Num().IsInt64() {
		return 0, fmt.Errorf("value is too large")
	}
	return nano.Num().Int64(), nil
}

func (c *nanoCPUs) Set(s string) error {
	n, err := parseCPUs(s)
	if err != nil {
		return err
	}
	*c = nanoCPUs(n)
	return nil
}

func (c *nanoCPUs) String() string {
	if *c == 0 {
		return "0" // pflag shows no "(default …)" for it
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}

func (c *nanoCPUs) Type() string { return "decimal" }
