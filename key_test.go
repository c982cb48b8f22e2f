package burr_test

import (
	"testing"

	"github.com/burrgo/burr"
)

func TestKeyOverflow(t *testing.T) {
	s := burr.State{}.Set("a", 300).Set("b", uint64(1<<63)).Set("c", 1e19).Set("neg", -1).Set("big", 1<<60+1)
	for name, err := range map[string]error{
		"int8":    get[int8](s, "a"),
		"uint8":   get[uint8](s, "a"),
		"uint64":  get[int](s, "b"),
		"float":   get[int](s, "c"),
		"neg":     get[uint](s, "neg"),
		"float32": get[float32](s, "big"),
	} {
		if err == nil {
			t.Errorf("%s: overflow not reported", name)
		}
	}
	if v, err := burr.Key[int16]("a").Get(s); err != nil || v != 300 {
		t.Fatal(v, err)
	}
}

func get[T any](s burr.State, k string) error {
	_, err := burr.Key[T](k).Get(s)
	return err
}
