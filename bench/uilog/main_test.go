package main

import (
	"strings"
	"testing"
)

func TestRunSmall(t *testing.T) {
	var out strings.Builder
	if err := run(t.TempDir(), 300, 100, false, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"log_size", "app_page_time", "app_page_alloc", "app_list_time", "live_update_event", "peak_rss"} {
		if !strings.Contains(out.String(), name+" ") {
			t.Errorf("no %s in:\n%s", name, out.String())
		}
	}
}
