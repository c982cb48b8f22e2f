package tracking_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTracker returns a tracker writing under a fresh temporary directory.
func newTracker(t testing.TB, opts ...tracking.Option) *tracking.LocalTracker {
	t.Helper()
	opts = append([]tracking.Option{tracking.WithStorageDir(t.TempDir()), tracking.WithLogger(quiet)}, opts...)
	tr, err := tracking.NewLocal("test-project", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// line is one decoded line of a .jsonl file.
type line map[string]any

func (l line) str(k string) string { s, _ := l[k].(string); return s }
func (l line) num(k string) int    { f, _ := l[k].(float64); return int(f) }

// readRaw returns the lines of a .jsonl file, checking that each is one
// complete JSON object ending in a newline.
func readRaw(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		b := append([]byte(nil), sc.Bytes()...)
		if !json.Valid(b) {
			t.Fatalf("%s: invalid line %q", path, b)
		}
		out = append(out, b)
	}
	return out
}

func readLines(t testing.TB, path string) []line {
	t.Helper()
	var out []line
	for _, b := range readRaw(t, path) {
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func logLines(t testing.TB, tr *tracking.LocalTracker, appID string) []line {
	t.Helper()
	return readLines(t, filepath.Join(tr.Dir(), appID, tracking.LogFile))
}

func countTypes(lines []line) map[string]int {
	m := map[string]int{}
	for _, l := range lines {
		m[l.str("type")]++
	}
	return m
}

var (
	localTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$`)
	utcTime   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$`)
	timeField = regexp.MustCompile(`"(start_time|end_time|event_time|time_logged|stream_init_time|first_item_time)":"([^"]*)"`)
	typeField = regexp.MustCompile(`^\{"type":"([a-z_]+)"`)
)

// normalize checks every timestamp of a line against the style its line kind
// must use (naive local for entries, spans and children events; UTC with Z
// for attributes and stream lines) and replaces it with <local> or <utc>.
func normalize(t testing.TB, b []byte) string {
	t.Helper()
	m := typeField.FindSubmatch(b)
	if m == nil {
		t.Fatalf("line does not start with its type: %s", b)
	}
	utcKind := map[string]bool{"attribute": true, "begin_stream": true, "first_item_stream": true, "end_stream": true}[string(m[1])]
	return timeField.ReplaceAllStringFunc(string(b), func(s string) string {
		sm := timeField.FindStringSubmatch(s)
		if utcKind {
			if !utcTime.MatchString(sm[2]) {
				t.Errorf("%s: %s=%q is not a UTC timestamp", m[1], sm[1], sm[2])
			}
			return `"` + sm[1] + `":"<utc>"`
		}
		if !localTime.MatchString(sm[2]) {
			t.Errorf("%s: %s=%q is not a naive local timestamp", m[1], sm[1], sm[2])
		}
		return `"` + sm[1] + `":"<local>"`
	})
}

func normalizeFile(t testing.TB, path string) []string {
	t.Helper()
	var out []string
	for _, b := range readRaw(t, path) {
		out = append(out, normalize(t, b))
	}
	return out
}

// counterApp builds the counter of Python Burr's tracking test: counter counts to
// countTo (logging a span and an attribute per step), then result.
func counterApp(t testing.TB, tr *tracking.LocalTracker, countTo int, opts ...burr.Option) *burr.Application {
	t.Helper()
	app, err := burr.New(context.Background(), append([]burr.Option{burr.WithGraph(counterGraph(t, countTo)),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithEntrypoint("counter"), burr.WithHooks(tr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func counterGraph(t testing.TB, countTo int) *burr.Graph {
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		step := 1
		if v, ok := in["step"].(int); ok {
			step = v
		}
		ctx, span := burr.StartSpan(ctx, "increment")
		defer span.End()
		n := burr.Key[int]("count").Or(s, 0) + step
		burr.LogAttributes(ctx, "new_count", n)
		return burr.Result{"count": n}, s.Set("count", n), nil
	}, burr.Reads("count"), burr.Writes("count"), burr.OptionalInputs("step"), burr.Code("counter code"))
	result := burr.NewAction("result", func(ctx context.Context, s burr.State) (burr.Result, burr.State, error) {
		return burr.Result{"count": s.Value("count")}, s, nil
	}, burr.Reads("count"), burr.Code("result code"))
	g, err := burr.NewGraph([]*burr.Action{counter, result},
		burr.From("counter").To("counter", burr.Predicate("count < "+itoa(countTo), []string{"count"}, func(s burr.State) bool {
			return burr.Key[int]("count").Or(s, 0) < countTo
		})),
		burr.From("counter").To("result"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
