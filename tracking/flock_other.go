//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tracking

import "os"

// On these systems children.jsonl appends are serialised within the process
// only.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}

// removed cannot tell; open files usually cannot be deleted here anyway.
func removed(*os.File) bool { return false }
