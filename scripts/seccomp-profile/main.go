// Command seccomp-profile prints the seccomp filter minilink gives every container (Docker's default
// profile for Docker's default capabilities) as the OCI runtime spec's linux.seccomp, so that
// scripts/bench.sh can give runc the same filter: go run ./scripts/seccomp-profile > profile.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/minilink/minilink/runtime"
)

func main() {
	p, err := runtime.OCISeccompProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "seccomp-profile:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(p); err != nil {
		fmt.Fprintln(os.Stderr, "seccomp-profile:", err)
		os.Exit(1)
	}
}
