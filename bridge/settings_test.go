package bridge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadSettingsCorrupted: a damaged network.json is named, with what to do, in one line.
func TestLoadSettingsCorrupted(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, settingsFile)
	for _, content := range []string{"", `{"subnet":`, "garbage"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSettings(root)
		prefix := "corrupted network settings " + path + ": "
		suffix := " (remove the file to get the defaults back, then 'minilink network set' to change them)"
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.HasSuffix(err.Error(), suffix) {
			t.Errorf("LoadSettings with network.json %q: %v; want %q…%q", content, err, prefix, suffix)
		}
	}
}
