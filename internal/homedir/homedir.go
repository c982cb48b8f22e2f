// Package homedir expands a leading "~" in paths given on command lines and
// in options, with one rule for every command and package of the module.
package homedir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Expand returns path with a leading "~" replaced by the user's home
// directory: "~" alone, or "~" followed by a separator ("~/runs"; on Windows
// also `~\runs`). Anything else, "~user/runs" included, is returned as it is.
func Expand(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") && !strings.HasPrefix(path, "~"+string(filepath.Separator)) {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot expand %q: no home directory: %w", path, err)
	}
	return filepath.Join(home, path[1:]), nil
}

// Dir resolves a directory given on a command line: def (which may start
// with "~") when dir is empty, then "~" expanded, then made absolute.
func Dir(dir, def string) (string, error) {
	if dir == "" {
		dir = def
	}
	dir, err := Expand(dir)
	if err != nil {
		return "", err
	}
	return filepath.Abs(dir)
}
