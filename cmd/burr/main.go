// Command burr is the Burr command line.
//
// This is a minimal dispatcher; the owner of cmd/burr may replace it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "ui" {
		fmt.Fprintln(os.Stderr, "usage: burr ui [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runUI(ctx, os.Args[2:], os.Stdout, os.Stderr))
}
