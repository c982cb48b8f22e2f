package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoDir is Python Burr's own demo runs, read in place (never written).
const demoDir = "../../../../shared/testdata/burr-demo-data"

func demoData(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(demoDir)
	if err == nil {
		if _, err = os.Stat(dir); err == nil {
			return dir
		}
	}
	if alt := "/work/shared/testdata/burr-demo-data"; dirExists(alt) {
		return alt
	}
	t.Skipf("Burr demo data not found at %s: %v", demoDir, err)
	return ""
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// counterGraph is a graph.json as Burr writes it (json.dump separators).
const counterGraph = `{"type": "application", "entrypoint": "counter", "actions": [` +
	`{"type": "action", "name": "counter", "reads": ["count"], "writes": ["count"], "code": "def counter(): ...", "inputs": ["step"], "optional_inputs": []}, ` +
	`{"type": "action", "name": "result", "reads": ["count"], "writes": [], "code": "", "inputs": [], "optional_inputs": []}], ` +
	`"transitions": [{"type": "transition", "from_": "counter", "to": "counter", "condition": "count < 2"}, ` +
	`{"type": "transition", "from_": "counter", "to": "result", "condition": "default"}]}`

// writeRun writes one tracked application the way the tracker does:
// graph.json and metadata.json (unless empty) and the log lines.
func writeRun(t *testing.T, dir, project, app, graph, metadata string, lines ...string) string {
	t.Helper()
	appDir := filepath.Join(dir, project, app)
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if graph != "" {
		mustWrite(t, filepath.Join(appDir, "graph.json"), graph)
	}
	if metadata != "" {
		mustWrite(t, filepath.Join(appDir, "metadata.json"), metadata)
	}
	log := ""
	if len(lines) > 0 {
		log = strings.Join(lines, "\n") + "\n"
	}
	mustWrite(t, filepath.Join(appDir, "log.jsonl"), log)
	return appDir
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

const metaPK = `{"type": "application_metadata", "partition_key": "user_7", "parent_pointer": null, "spawning_parent_pointer": null}`

// Lines of a two-step counter run, a failing third step, in Burr's format.
var (
	begin0 = `{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{"step":2},"sequence_id":0}`
	end0   = `{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"counter","result":{"count":2},"exception":null,"state":{"count":2,"__SEQUENCE_ID":0,"__PRIOR_STEP":"counter"},"sequence_id":0}`
	begin1 = `{"type":"begin_entry","start_time":"2025-01-01T12:00:01","action":"counter","inputs":{},"sequence_id":1}`
	end1   = `{"type":"end_entry","end_time":"2025-01-01T12:00:01.5","action":"counter","result":{"count":3},"exception":null,"state":{"count":3,"note":"x","__SEQUENCE_ID":1,"__PRIOR_STEP":"counter"},"sequence_id":1}`
	begin2 = `{"type":"begin_entry","start_time":"2025-01-01T12:00:02.000000","action":"boom","inputs":{},"sequence_id":2}`
	end2   = `{"type":"end_entry","end_time":"2025-01-01T12:00:02.100000","action":"boom","result":null,"exception":"Traceback (most recent call last):\nValueError: bad\n","state":{"count":3,"__SEQUENCE_ID":2,"__PRIOR_STEP":"counter"},"sequence_id":2}`
)

// streamedRun is a streamed step: 40 items, first after 5ms, 200ms in all.
var streamedRun = []string{
	`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000000","action":"chat","inputs":{"prompt":"hi"},"sequence_id":0}`,
	`{"type":"begin_stream","action_sequence_id":0,"span_id":null,"stream_init_time":"2025-01-01T20:00:00.000000Z"}`,
	`{"type":"first_item_stream","action_sequence_id":0,"span_id":null,"first_item_time":"2025-01-01T20:00:00.005000Z"}`,
	`{"type":"begin_span","start_time":"2025-01-01T12:00:00.010000","action_sequence_id":0,"span_id":"0:0","span_name":"llm_call","parent_span_id":null,"span_dependencies":[]}`,
	`{"type":"attribute","key":"model","action_sequence_id":0,"span_id":"0:0","value":"offline-1","tags":{},"time_logged":"2025-01-01T20:00:00.011000Z"}`,
	`{"type":"end_span","end_time":"2025-01-01T12:00:00.190000","action_sequence_id":0,"span_id":"0:0"}`,
	`{"type":"end_entry","end_time":"2025-01-01T12:00:00.200000","action":"chat","result":{"response":"hello"},"exception":null,"state":{"response":"hello","__SEQUENCE_ID":0,"__PRIOR_STEP":"chat"},"sequence_id":0}`,
	`{"type":"end_stream","action_sequence_id":0,"span_id":null,"end_time":"2025-01-01T20:00:00.200000Z","items_streamed":40}`,
}
