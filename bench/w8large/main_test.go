package main

import (
	"strings"
	"testing"
)

func TestRunSmall(t *testing.T) {
	var out strings.Builder
	if err := run(config{children: 500, concurrency: 8}, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"peak_rss", "rss_before", "rss_per_child", "wall", "per_child"} {
		if !strings.Contains(out.String(), "\n"+name+" ") {
			t.Errorf("no %s line in:\n%s", name, out.String())
		}
	}
}
