package burr

import (
	"testing"
	"unsafe"
)

// Every committed step allocates one State; at 64 bytes it fits the 64-byte
// size class (65 bytes would take 80).
func TestStateSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("64-bit platforms only")
	}
	if n := unsafe.Sizeof(State{}); n != 64 {
		t.Fatalf("State is %d bytes, want 64", n)
	}
}
