// Command uilog measures the web UI on a long log: it tracks an application
// of many steps with the local tracker (by default 100,000 steps whose state
// holds about 2 KB of text, a log of about 200 MB), then serves it with
// package ui in this process and measures, each on its own, the application
// page, the project's application list, and the live update that one more
// step sends to an open page. It prints one "name value unit" line per
// figure.
//
//	go build -o /tmp/uilog ./bench/uilog && /tmp/uilog
//	/tmp/uilog -dir /tmp/uilog-data -keep    # generate once, measure again later
//
// Memory per request is the bytes allocated while it was served
// (runtime.MemStats.TotalAlloc) and the growth of the heap in use over the
// heap before it, sampled while it runs; the time is the wall time of the
// request on a quiet machine.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/procstat"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/ui"
)

func main() {
	steps := flag.Int("steps", 100_000, "steps of the tracked application")
	text := flag.Int("text", 1900, "bytes of text in the state")
	dir := flag.String("dir", "", "storage directory (default: a temporary one)")
	keep := flag.Bool("keep", false, "keep the storage directory, and reuse a log already there")
	flag.Parse()
	if err := run(*dir, *steps, *text, *keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "uilog:", err)
		os.Exit(1)
	}
}

const project, appID = "uilog", "long-run"

func run(dir string, steps, text int, keep bool, out io.Writer) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "uilog")
		if err != nil {
			return err
		}
		dir = d
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	logPath := filepath.Join(dir, project, appID, tracking.LogFile)
	if _, err := os.Stat(logPath); err != nil || !keep {
		if err := generate(dir, steps, text); err != nil {
			return err
		}
	}
	fi, err := os.Stat(logPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "log_size %.1f MiB\n", float64(fi.Size())/(1<<20))

	s := ui.NewServer(dir)
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()

	for _, page := range []struct{ name, path string }{
		{"app_page", "/projects/" + project + "/apps/" + appID},
		{"app_page_oldest", "/projects/" + project + "/apps/" + appID + "?step=0"},
		{"app_list", "/projects/" + project},
	} {
		var n int64
		d, alloc, heap, err := measure(func() error {
			resp, err := http.Get(srv.URL + page.path)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			n, err = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 {
				return fmt.Errorf("%s: %s", page.path, resp.Status)
			}
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s_time %.3f s\n%s_alloc %.1f MiB\n%s_heap_growth %.1f MiB\n%s_bytes %.1f KiB\n",
			page.name, d.Seconds(), page.name, alloc, page.name, heap, page.name, float64(n)/1024)
	}

	// The live update of one more step: open the page's event stream at
	// the end of the log, append a step, read the event it sends.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/projects/%s/apps/%s/events?page=1&offset=%d", srv.URL, project, appID, fi.Size()), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 1<<20)
	if _, err := r.ReadString('\n'); err != nil { // "retry: …"
		return err
	}
	var event int
	d, alloc, heap, err := measure(func() error {
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		seq := steps
		line := fmt.Sprintf(`{"type":"begin_entry","start_time":"2026-01-01T00:00:00.000000","action":"count","inputs":{},"sequence_id":%d}`+"\n", seq)
		if _, err := f.WriteString(line); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if strings.HasPrefix(l, "data: ") {
				event = len(l)
				return nil
			}
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "live_update_time %.3f s\nlive_update_alloc %.1f MiB\nlive_update_heap_growth %.1f MiB\nlive_update_event %.1f KiB\n",
		d.Seconds(), alloc, heap, float64(event)/1024)
	fmt.Fprintf(out, "peak_rss %.1f MiB\n", procstat.MiB("VmHWM"))
	return nil
}

// measure runs fn and returns its wall time, the MiB it allocated and the
// largest growth of the heap in use seen while it ran.
func measure(fn func() error) (time.Duration, float64, float64, error) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	err := fn()
	d := time.Since(start)
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	const mib = 1 << 20
	growth := float64(max(peak.Load(), after.HeapInuse)-min(before.HeapInuse, max(peak.Load(), after.HeapInuse))) / mib
	return d, float64(after.TotalAlloc-before.TotalAlloc) / mib, growth, err
}

// generate tracks an application of n steps, each setting "count" and a
// text of size bytes that changes at every step.
func generate(dir string, n, size int) error {
	tr, err := tracking.NewLocal(project, tracking.WithStorageDir(dir),
		tracking.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	count := burr.Key[int]("count")
	textKey := burr.Key[string]("text")
	base := strings.Repeat("lorem ipsum ", size/12+1)[:size]
	counter := burr.NewAction("count", func(_ context.Context, s burr.State) (burr.State, error) {
		c := count.Or(s, 0) + 1
		return textKey.Set(count.Set(s, c), fmt.Sprintf("%08d %s", c, base)), nil
	}, burr.Reads("count"), burr.Writes("count", "text"))
	g, err := burr.NewGraph([]*burr.Action{counter, burr.ResultAction("done", "count")},
		burr.From("count").To("count", burr.Expr(fmt.Sprintf("count < %d", n-1))),
		burr.From("count").To("done"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	app, err := burr.New(ctx, burr.WithGraph(g), burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("count"), burr.WithAppID(appID), burr.WithHooks(tr))
	if err != nil {
		return err
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		return err
	}
	if err := tr.Err(); err != nil {
		return err
	}
	return tr.Close()
}
