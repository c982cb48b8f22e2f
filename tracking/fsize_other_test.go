//go:build !linux

package tracking_test

import "testing"

func inFileSizeProcess(t *testing.T) bool {
	t.Skip("needs Linux's RLIMIT_FSIZE")
	return false
}

func limitFileSize(t *testing.T, n int64) {}

func restoreFileSize(t *testing.T) {}
