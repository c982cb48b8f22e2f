package main

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestRunSmall(t *testing.T) {
	var out strings.Builder
	if err := run(config{apps: 50, items: 5, pause: time.Millisecond}, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"peak_rss", "rss_per_live_stream", "emit_to_receive_p50", "emit_to_receive_p99", "wall"} {
		if !strings.Contains(out.String(), "\n"+name+" ") {
			t.Errorf("no %s line in:\n%s", name, out.String())
		}
	}
}

func TestHistogram(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 100, 1000, 12345, 1 << 40, 1<<63 + 12345} {
		b := bucket(v)
		if lo := lower(b); lo > v || float64(v-lo) > 0.032*float64(v) {
			t.Errorf("value %d: bucket %d starts at %d", v, b, lo)
		}
		if b >= len(histogram{}.counts) {
			t.Errorf("value %d: bucket %d out of range", v, b)
		}
	}
	var h histogram
	for range 100_000 {
		h.add(time.Duration(rand.IntN(1_000_000)))
	}
	if p50 := h.quantile(0.5); p50 < 470_000 || p50 > 530_000 {
		t.Errorf("p50 of uniform [0, 1ms) = %v", p50)
	}
}
