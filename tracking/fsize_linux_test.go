package tracking_test

import (
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
)

// The file size limit (RLIMIT_FSIZE) makes writes fail part-way, as a full
// disk does: a write crossing the limit writes what fits and then fails.
// Go ignores the SIGXFSZ signal that comes with it. The limit applies to
// the whole process: set it only around the writes under test, and only in
// a process of the test's own. Under go test, the testing package keeps a log
// of the files the tests open (for its cache) and may write it at any time:
// a write crossing the limit there fails the whole package.

var savedLimit syscall.Rlimit

// fsizeChildEnv marks the process that runs a file-size test by itself.
const fsizeChildEnv = "BURR_TRACKING_FSIZE_CHILD"

// inFileSizeProcess reports whether the calling test runs here. The first
// time, it runs the test again in a child process of the test binary, with
// no log of the testing package's, reports its outcome, and returns false:
// the caller returns at once.
func inFileSizeProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(fsizeChildEnv) == "1" {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in its own process: %v\n%s", t.Name(), err, out)
	}
	t.Logf("ran in its own process:\n%s", out)
	return false
}

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
