// Command w6rss is workload W6 of docs/benchmarks.md: a fresh process sets up, runs
// the W2 stream (200,000 items) once, and reports its peak resident memory.
// It prints one "name value unit" line per figure.
//
//	go build -o /tmp/w6rss ./bench/w6rss && /tmp/w6rss
//
// Run the built binary rather than `go run`: a child of the go tool inherits
// its high-water mark in ru_maxrss (VmHWM is not affected).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/burrgo/burr/internal/procstat"

	"github.com/burrgo/burr"
)

func main() {
	items := flag.Int("items", 200_000, "items to stream")
	flag.Parse()
	if err := run(*items); err != nil {
		fmt.Fprintln(os.Stderr, "w6rss:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	ctx := context.Background()
	stream := burr.NewStreamingAction("stream", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		for k := range n {
			if !yield(map[string]any{"i": k}) {
				break
			}
		}
		return burr.Result{"count": n}, s.Set("count", n), nil
	}, burr.Writes("count"))
	app, err := burr.New(ctx, burr.WithActions(stream), burr.WithEntrypoint("stream"), burr.WithState(burr.State{}.Set("count", 0)))
	if err != nil {
		return err
	}
	before := procstat.MiB("VmRSS")
	s, err := app.StreamResult(ctx, burr.HaltAfter("stream"))
	if err != nil {
		return err
	}
	got := 0
	for range s.All() {
		got++
	}
	r, st, err := s.Get()
	if err != nil || got != n || r["count"] != n || st.Value("count") != n {
		return fmt.Errorf("W2 check failed: %d items, result %v, err %v", got, r, err)
	}
	after := procstat.MiB("VmRSS")
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("w6_peak_rss %.1f MiB\n", procstat.MiB("VmHWM"))
	fmt.Printf("w6_ru_maxrss %.1f MiB\n", float64(ru.Maxrss)/1024)
	fmt.Printf("w6_rss_before %.1f MiB\n", before)
	fmt.Printf("w6_rss_after %.1f MiB\n", after)
	return nil
}
