//go:build !linux

package tracking_test

import "testing"

func requireFileSizeLimit(t *testing.T) { t.Skip("needs Linux's RLIMIT_FSIZE") }

func limitFileSize(t *testing.T, n int64) {}

func restoreFileSize(t *testing.T) {}
