package tracking_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// Load reads lines by the format's reading rules, as the UI does: escapes
// and repeated names count as JSON says, an end_entry without a usable
// sequence id is skipped, and one whose action, exception or state cannot be
// read is an error naming the field; a bad timestamp does not matter.
func TestLoadReadingRules(t *testing.T) {
	tr := newTracker(t)
	dir := filepath.Join(tr.Dir(), "rules")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, tracking.LogFile)
	write := func(lines ...string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	end := func(seq int, head, action, exception, endTime string) string {
		return fmt.Sprintf(`{%s,"end_time":%s,"action":%s,"result":{},"exception":%s,"state":{"n":%d,"__SEQUENCE_ID":%d},"sequence_id":%d}`,
			head, endTime, action, exception, seq, seq, seq)
	}
	const plain, at = `"type":"end_entry"`, `"2025-01-01T12:00:00"`
	ctx := context.Background()
	load := func(seq int) (burr.Record, error) { return tr.Load(ctx, burr.AppRef{AppID: "rules"}.At(seq)) }

	write(end(0, plain, `"a"`, "null", at), end(1, `"\u0074ype":"end\u005fentry"`, `"b"`, "null", "5"))
	if rec, err := load(burr.Latest); err != nil || rec.SequenceID != 1 || rec.Position != "b" || rec.State.Value("n") != 1 {
		t.Errorf("escaped type: %+v, %v", rec, err)
	}
	write(end(0, plain, `"a"`, "null", at), end(1, `"type":"begin_entry","type":"end_entry"`, `"b"`, `"boom\n"`, at))
	if rec, err := load(burr.Latest); err != nil || rec.SequenceID != 1 || rec.Status != burr.StatusFailed {
		t.Errorf("repeated type: %+v, %v", rec, err)
	}
	write(end(0, plain, `"a"`, "null", at), strings.Replace(end(1, plain, `"b"`, "null", at), `"sequence_id":1}`, `"sequence_id":"1"}`, 1),
		`{"Type":"end_entry","end_time":"2025-01-01T12:00:00","action":"c","result":{},"exception":null,"state":{},"sequence_id":2}`)
	if rec, err := load(burr.Latest); err != nil || rec.SequenceID != 0 || rec.Position != "a" {
		t.Errorf("entries that are not entries: %+v, %v", rec, err)
	}
	write(end(0, plain, `"a"`, "null", at), end(1, plain, "5", "null", at))
	if _, err := load(burr.Latest); err == nil || !strings.Contains(err.Error(), "invalid action 5") {
		t.Errorf("numeric action: %v", err)
	}
	if rec, err := load(0); err != nil || rec.Position != "a" {
		t.Errorf("Load(0) past a bad entry: %+v, %v", rec, err)
	}
	write(end(0, plain, `"a"`, "[]", at))
	if _, err := load(burr.Latest); err == nil || !strings.Contains(err.Error(), "invalid exception []") {
		t.Errorf("list as exception: %v", err)
	}
}
