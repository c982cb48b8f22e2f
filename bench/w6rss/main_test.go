package main

import "testing"

func TestRunSmall(t *testing.T) {
	if err := run(1000); err != nil {
		t.Fatal(err)
	}
	if status("VmHWM") <= 0 {
		t.Fatal("VmHWM not readable")
	}
}
