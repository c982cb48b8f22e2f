package ui_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/burrgo/burr/ui"
)

// Serve the runs tracked under a directory. Here the directory holds one
// tiny run written by hand in Burr's format; usually it is ~/.burr,
// filled by the tracker.
func Example() {
	dir, err := os.MkdirTemp("", "burr-ui-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	app := filepath.Join(dir, "demo", "count-to-1")
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "graph.json"), []byte(`{"type": "application", "entrypoint": "counter", `+
		`"actions": [{"type": "action", "name": "counter", "reads": [], "writes": ["count"], "code": "", "inputs": [], "optional_inputs": []}], `+
		`"transitions": []}`), 0o644)
	os.WriteFile(filepath.Join(app, "log.jsonl"), []byte(
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{},"sequence_id":0}`+"\n"+
			`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"counter","result":{},"exception":null,"state":{"count":1},"sequence_id":0}`+"\n"), 0o644)

	s := ui.NewServer(dir)
	defer s.Close() // ends live-update streams
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/projects/demo/apps/count-to-1")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(strings.Contains(string(page), `<span class="badge completed">completed</span>`))
	// Output:
	// 200 OK
	// true
}
