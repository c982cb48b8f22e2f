package procstat

import "testing"

func TestFields(t *testing.T) {
	if KB("VmRSS") <= 0 || MiB("VmHWM") <= 0 {
		t.Fatalf("VmRSS %d kB, VmHWM %.1f MiB", KB("VmRSS"), MiB("VmHWM"))
	}
	if KB("NoSuchField") != -1 || MiB("NoSuchField") != -1 {
		t.Fatal("unknown field")
	}
}
