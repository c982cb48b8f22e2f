package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/internal/hostcheck"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/ui"
)

const uiUsage = `Usage: burr ui [--addr HOST:PORT] [--dir DIR] [--allow-remote]

Serve the tracking web UI: projects, applications, steps, spans and the
graph of every run tracked under DIR, with live updates of running
applications.

Flags:
  --addr HOST:PORT   address to listen on (default 127.0.0.1:7241)
  --dir DIR          tracking directory (default ~/.burr)
  --allow-remote     allow listening on a non-loopback address, and answer
                     requests for any host name (otherwise only requests for
                     localhost or a loopback address are answered); the UI
                     has no authentication and shows everything in DIR
  -h, --help         show this help
`

// runUI implements "burr ui". It serves until ctx is cancelled, then
// shuts down gracefully. It returns the process exit code: 0 on success
// and for --help, 2 for bad usage, 1 when serving fails.
func runUI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("burr ui", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:7241", "")
	dir := fs.String("dir", "", "")
	allowRemote := fs.Bool("allow-remote", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, uiUsage)
			return 0
		}
		return usageError(stderr, "ui", "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "ui", "unexpected argument %q", fs.Arg(0))
	}
	storage, err := homedir.Dir(*dir, tracking.DefaultStorageDir)
	if err != nil {
		fmt.Fprintf(stderr, "burr ui: --dir: %v\n", err)
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError(stderr, "ui", "--addr %q: %v", *addr, err)
	}
	if !hostcheck.Loopback(host) && !*allowRemote {
		fmt.Fprintf(stderr, "burr ui: refusing to listen on non-loopback address %q: the UI has no authentication; pass --allow-remote to do it anyway\n", *addr)
		return 2
	}

	ln, err := net.Listen("tcp", *addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		fmt.Fprintf(stderr, "burr ui: cannot listen on %s: the address is in use (is another burr ui running?); choose another with --addr (--addr %s takes a free port)\n",
			*addr, net.JoinHostPort(host, "0"))
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "burr ui: %v\n", err)
		return 1
	}
	var opts []ui.Option
	if *allowRemote {
		opts = append(opts, ui.WithAllowRemote())
	}
	handler := ui.NewServer(storage, opts...)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: live pages hold a Server-Sent Events stream open.
	}
	fmt.Fprintf(stdout, "Burr UI for %s on http://%s/\n", storage, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		handler.Close()
		fmt.Fprintf(stderr, "burr ui: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	handler.Close() // ends the live streams, which Shutdown would wait for
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "burr ui: %v\n", err)
		return 1
	}
	return 0
}
