// Command w8large is W8-large: one step of a MapStates action fanning out to
// 100,000 one-step child applications at a concurrency of 64, in a fresh
// process. Each child increments its number; the reduce sums them, and the
// command checks the sum. It prints one "name value unit" line per figure:
//
//	peak_rss          VmHWM of the process, MiB
//	rss_before        VmRSS before the fan-out (the states of the tasks built), MiB
//	rss_per_child     (VmHWM - rss_before) / children, bytes
//	wall              the step, s
//	per_child         wall / children, µs
//
// Build it and run the binary (not `go run`, whose memory is not the
// workload's):
//
//	go build -o /tmp/w8large ./bench/w8large && /tmp/w8large
//	/tmp/w8large -children 1000   # a quick check
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/procstat"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.children, "children", 100_000, "one-step child applications")
	flag.IntVar(&cfg.concurrency, "concurrency", 64, "children running at once")
	flag.Parse()
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "w8large:", err)
		os.Exit(1)
	}
}

type config struct {
	children, concurrency int
}

var num = burr.Key[int]("n")

func run(cfg config, out io.Writer) error {
	ctx := context.Background()
	inc := burr.NewAction("increment", func(_ context.Context, s burr.State) (burr.State, error) {
		return num.Set(s, num.Or(s, 0)+1), nil
	}, burr.Reads("n"), burr.Writes("n"))
	fan := burr.MapStates("fan", burr.SubgraphOf(inc),
		func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
			states := make([]burr.State, cfg.children)
			for i := range states {
				states[i] = num.Set(burr.State{}, i)
			}
			return states, nil
		},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			sum := 0
			for _, c := range children {
				sum += num.Or(c, 0)
			}
			return s.Set("sum", sum), nil
		}, burr.Writes("sum"), burr.MaxConcurrency(cfg.concurrency))
	app, err := burr.New(ctx, burr.WithActions(fan), burr.WithEntrypoint("fan"))
	if err != nil {
		return err
	}
	runtime.GC()
	before := procstat.KB("VmRSS")
	start := time.Now()
	res, err := app.Step(ctx)
	wall := time.Since(start)
	if err != nil {
		return err
	}
	if got, want := res.State.Value("sum"), cfg.children*(cfg.children+1)/2; got != want {
		return fmt.Errorf("sum %v, want %d", got, want)
	}
	peak := procstat.KB("VmHWM")
	if peak <= 0 || before <= 0 {
		return errors.New("cannot read VmHWM/VmRSS from /proc/self/status")
	}
	fmt.Fprintf(out, "children %d count\n", cfg.children)
	fmt.Fprintf(out, "concurrency %d count\n", cfg.concurrency)
	fmt.Fprintf(out, "peak_rss %.1f MiB\n", float64(peak)/1024)
	fmt.Fprintf(out, "rss_before %.1f MiB\n", float64(before)/1024)
	fmt.Fprintf(out, "rss_per_child %.0f bytes\n", float64(peak-before)*1024/float64(cfg.children))
	fmt.Fprintf(out, "wall %.3f s\n", wall.Seconds())
	fmt.Fprintf(out, "per_child %.2f µs\n", float64(wall.Microseconds())/float64(cfg.children))
	return nil
}
