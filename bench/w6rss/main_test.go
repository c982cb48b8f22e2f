package main

import (
	"testing"

	"github.com/burrgo/burr/internal/procstat"
)

func TestRunSmall(t *testing.T) {
	if err := run(1000); err != nil {
		t.Fatal(err)
	}
	if procstat.MiB("VmHWM") <= 0 {
		t.Fatal("VmHWM not readable")
	}
}
