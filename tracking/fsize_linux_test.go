package tracking_test

import (
	"syscall"
	"testing"
)

// The file size limit (RLIMIT_FSIZE) makes writes fail part-way, as a full
// disk does: a write crossing the limit writes what fits and then fails.
// Go ignores the SIGXFSZ signal that comes with it. The limit applies to
// the whole process: set it only around the writes under test.

var savedLimit syscall.Rlimit

func requireFileSizeLimit(t *testing.T) {}

func limitFileSize(t *testing.T, n int64) {
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &savedLimit); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restoreFileSize(t) })
	lim := savedLimit
	lim.Cur = uint64(n)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
}

func restoreFileSize(t *testing.T) {
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &savedLimit); err != nil {
		t.Fatal(err)
	}
}
