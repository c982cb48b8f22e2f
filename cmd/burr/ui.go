package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/internal/hostcheck"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/tracking/pgtrack"
	"github.com/burrgo/burr/ui"
)

const uiUsage = `Usage: burr ui [--addr HOST:PORT] [--dir DIR | --postgres DSN [--table T]] [--token TOKEN | --behind-proxy] [--allow-remote] [--prices FILE]

Serve the tracking web UI: projects, applications, steps, spans and the
graph of every run tracked under DIR, with live updates of running
applications.

Flags:
  --addr HOST:PORT   address to listen on (default 127.0.0.1:7241); an
                     address other than loopback needs --token or
                     --behind-proxy
  --dir DIR          tracking directory (default ~/.burr)
  --postgres DSN     show the runs tracked into PostgreSQL (tracking/pgtrack)
                     instead: every project of the table, kept up to date
                     (copied into a temporary directory, polled every 0.5 s)
  --table T          the tracking table (default burr_tracking)
  --token TOKEN      access token (at least 16 characters; default
                     $BURR_UI_TOKEN): every request needs it, as
                     "Authorization: Bearer TOKEN" or through the cookie a
                     first visit to /?token=TOKEN sets
  --behind-proxy     the UI sits behind a proxy that authenticates its
                     users: listen on any address, answer any host name
  --allow-remote     answer requests for any host name (otherwise only
                     requests for localhost or a loopback address are
                     answered, unless --token or --behind-proxy is given)
  --prices FILE      show what the tokens of each step and application cost:
                     a JSON object from model name (matched exactly) to
                     {"input": USD per 1M prompt tokens, "output": USD per
                     1M completion tokens}; models without a price show
                     their tokens only
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
	token := fs.String("token", "", "")
	behindProxy := fs.Bool("behind-proxy", false, "")
	dsn := fs.String("postgres", "", "")
	table := fs.String("table", pgtrack.DefaultTable, "")
	pricesFile := fs.String("prices", "", "")
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
	if *dsn != "" && *dir != "" {
		return usageError(stderr, "ui", "--dir and --postgres exclude each other: choose where the runs are")
	}
	var prices map[string]ui.Price
	if *pricesFile != "" {
		var err error
		if prices, err = ui.ReadPrices(*pricesFile); err != nil {
			fmt.Fprintf(stderr, "burr ui: --prices: %v\n", err)
			return 2
		}
	}
	storage, err := homedir.Dir(*dir, tracking.DefaultStorageDir)
	if err != nil {
		fmt.Fprintf(stderr, "burr ui: --dir: %v\n", err)
		return 2
	}
	if _, err := os.Stat(storage); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "burr ui: warning: the tracking directory %s does not exist (yet): runs appear when a tracker writes there; \"burr demo\" writes some\n", storage)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError(stderr, "ui", "--addr %q: %v", *addr, err)
	}
	if *token == "" {
		*token = os.Getenv("BURR_UI_TOKEN")
	}
	if *token != "" && len(*token) < ui.MinTokenLength {
		return usageError(stderr, "ui", "the access token (--token or BURR_UI_TOKEN) has %d characters; it needs at least %d", len(*token), ui.MinTokenLength)
	}
	if *token != "" && *behindProxy {
		return usageError(stderr, "ui", "--token and --behind-proxy exclude each other: choose who authenticates the users")
	}
	if !hostcheck.Loopback(host) && *token == "" && !*behindProxy {
		fmt.Fprintf(stderr, "burr ui: refusing to listen on non-loopback address %q without authentication: set an access token (--token or BURR_UI_TOKEN), or pass --behind-proxy if a proxy in front authenticates the users\n", *addr)
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
	source := storage
	if *dsn != "" {
		mirror, stop, err := startMirror(ctx, *dsn, *table, stderr)
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "burr ui: %v\n", err)
			return 1
		}
		defer stop()
		storage, source = mirror, "PostgreSQL table "+*table
	}
	var opts []ui.Option
	if *allowRemote || *behindProxy || *token != "" {
		opts = append(opts, ui.WithAllowRemote())
	}
	if *token != "" {
		opts = append(opts, ui.WithToken(*token))
	}
	if prices != nil {
		opts = append(opts, ui.WithPrices(prices))
	}
	handler := ui.NewServer(storage, opts...)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: live pages hold a Server-Sent Events stream open.
	}
	fmt.Fprintf(stdout, "Burr UI for %s on http://%s/\n", source, ln.Addr())
	if *token != "" {
		fmt.Fprintf(stdout, "Access token required: open http://%s/?token=TOKEN once, or send Authorization: Bearer TOKEN\n", ln.Addr())
	}

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
