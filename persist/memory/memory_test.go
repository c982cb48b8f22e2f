package memory_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
	"github.com/burrgo/burr/persist/persisttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	persisttest.Run(t, func(t *testing.T) burr.Persister { return memory.New() })
}

func TestZeroValue(t *testing.T) {
	persisttest.Run(t, func(t *testing.T) burr.Persister { return new(memory.Persister) })
}
