// Command w7 is workload W7 of docs/benchmarks.md: many concurrent streams. It
// builds 10,000 applications from one graph whose only action streams 100
// items {"token": "<k>"} with a 10 ms pause before each (an LLM's pace), and
// consumes every stream on its own goroutine, all at once. It prints one
// "name value unit" line per figure:
//
//	peak_rss               VmHWM of the process, MiB
//	rss_per_live_stream    (VmHWM - RSS before building the applications) / apps, KiB
//	emit_to_receive_p50/99 from the action's yield to the consumer's loop body, ms
//	pace_lateness_p50/99   how much later than its 10 ms pause each item was emitted
//	                       (timer and scheduler delay under load), ms
//	wall                   from the first StreamResult to the last Get, s (ideal: items × pause)
//
// On a 2-core machine the workload is CPU-bound: a million timer wake-ups a
// second is about what two cores can schedule, so the wall time and the pace
// lateness show the Go runtime's timers under load, while emit_to_receive
// shows the framework's own hand-off (the action runs on the consumer's
// goroutine, so an item reaches the loop body in a function call).
//
// Build it and run the binary (not `go run`, whose memory is not the
// workload's):
//
//	go build -o /tmp/w7 ./bench/w7 && /tmp/w7
//	/tmp/w7 -apps 100   # a quick check
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burrgo/burr/internal/procstat"

	"github.com/burrgo/burr"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.apps, "apps", 10_000, "applications, each consumed by its own goroutine")
	flag.IntVar(&cfg.items, "items", 100, "items each stream emits")
	flag.DurationVar(&cfg.pause, "pause", 10*time.Millisecond, "pause before each item")
	flag.Parse()
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "w7:", err)
		os.Exit(1)
	}
}

type config struct {
	apps, items int
	pause       time.Duration
}

// probe carries one stream's emit time from the action to its consumer; both
// run on the consumer's goroutine, so it needs no synchronisation.
type probe struct{ emitted time.Time }

func run(cfg config, out io.Writer) error {
	ctx := context.Background()
	var lateness, delay histogram
	tokens := make([]string, cfg.items)
	for k := range tokens {
		tokens[k] = strconv.Itoa(k)
	}
	stream := burr.NewStreamingAction("stream", func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		p := in["probe"].(*probe)
		timer := time.NewTimer(cfg.pause)
		defer timer.Stop()
		k := 0
		for ; k < cfg.items; k++ {
			if k > 0 {
				timer.Reset(cfg.pause)
			}
			start := time.Now()
			select {
			case <-ctx.Done():
				return nil, s, context.Cause(ctx)
			case <-timer.C:
			}
			p.emitted = time.Now()
			lateness.add(p.emitted.Sub(start) - cfg.pause)
			if !yield(map[string]any{"token": tokens[k]}) {
				break
			}
		}
		return burr.Result{"count": k}, s.Set("count", k), nil
	}, burr.Writes("count"), burr.RequiredInputs("probe"))
	g, err := burr.NewGraph([]*burr.Action{stream})
	if err != nil {
		return err
	}

	runtime.GC()
	before := procstat.KB("VmRSS")
	apps := make([]*burr.Application, cfg.apps)
	for i := range apps {
		if apps[i], err = burr.New(ctx, burr.WithGraph(g), burr.WithEntrypoint("stream"),
			burr.WithAppID("w7-"+strconv.Itoa(i)), burr.WithState(burr.State{}.Set("count", 0))); err != nil {
			return err
		}
	}

	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		failed.Add(1)
		errOnce.Do(func() { firstErr = err })
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, app := range apps {
		wg.Go(func() {
			p := &probe{}
			s, err := app.StreamResult(ctx, burr.HaltAfter("stream"), burr.WithInputs(burr.Inputs{"probe": p}))
			if err != nil {
				fail(err)
				return
			}
			n := 0
			for item := range s.All() {
				delay.add(time.Since(p.emitted))
				if item.(map[string]any)["token"] != tokens[n] {
					fail(fmt.Errorf("item %d is %v", n, item))
				}
				n++
			}
			r, st, err := s.Get()
			switch {
			case err != nil:
				fail(err)
			case n != cfg.items || r["count"] != cfg.items || st.Value("count") != cfg.items:
				fail(fmt.Errorf("app %s: %d items, result %v", app.Ref().AppID, n, r))
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if failed.Load() > 0 {
		return fmt.Errorf("%d streams failed; first: %w", failed.Load(), firstErr)
	}
	peak := procstat.KB("VmHWM")
	if peak <= 0 || before <= 0 {
		return errors.New("cannot read VmHWM/VmRSS from /proc/self/status")
	}
	fmt.Fprintf(out, "apps %d count\n", cfg.apps)
	fmt.Fprintf(out, "items_per_app %d count\n", cfg.items)
	fmt.Fprintf(out, "peak_rss %.1f MiB\n", float64(peak)/1024)
	fmt.Fprintf(out, "rss_before_apps %.1f MiB\n", float64(before)/1024)
	fmt.Fprintf(out, "rss_per_live_stream %.2f KiB\n", float64(peak-before)/float64(cfg.apps))
	fmt.Fprintf(out, "emit_to_receive_p50 %.4f ms\n", ms(delay.quantile(0.50)))
	fmt.Fprintf(out, "emit_to_receive_p99 %.4f ms\n", ms(delay.quantile(0.99)))
	fmt.Fprintf(out, "pace_lateness_p50 %.3f ms\n", ms(lateness.quantile(0.50)))
	fmt.Fprintf(out, "pace_lateness_p99 %.3f ms\n", ms(lateness.quantile(0.99)))
	fmt.Fprintf(out, "wall %.3f s\n", wall.Seconds())
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// histogram counts durations in log-linear buckets (32 per power of two, so
// a quantile is at most 3.2% below the true value), safe for concurrent use.
type histogram struct {
	counts [64 + 59*32]atomic.Uint64
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucket(uint64(d))].Add(1)
}

// bucket returns the bucket of v: v itself below 64, else its exponent and
// its 5 bits below the leading one.
func bucket(v uint64) int {
	if v < 64 {
		return int(v)
	}
	e := bits.Len64(v) - 6
	return 64 + (e-1)*32 + int(v>>e) - 32
}

// lower returns the smallest value in bucket b.
func lower(b int) uint64 {
	if b < 64 {
		return uint64(b)
	}
	e := (b-64)/32 + 1
	return uint64((b-64)%32+32) << e
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= rank {
			return time.Duration(lower(i))
		}
	}
	return 0
}
