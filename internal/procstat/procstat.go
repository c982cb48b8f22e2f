// Package procstat reads the memory figures of the running process from
// /proc/self/status, for the memory workloads.
package procstat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// KB returns a "kB" field of /proc/self/status (VmRSS, VmHWM, …), or -1 when
// it cannot be read.
func KB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// MiB returns a "kB" field of /proc/self/status in MiB, or -1.
func MiB(field string) float64 {
	kb := KB(field)
	if kb < 0 {
		return -1
	}
	return float64(kb) / 1024
}
