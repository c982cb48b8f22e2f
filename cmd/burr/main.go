// Command burr is Burr for Go's command line: a streaming chatbot demo, the
// tracking web UI, and the demo's graph.
//
//	burr demo              chat in the terminal (offline model unless OPENAI_API_KEY is set)
//	burr demo --resume ID  continue a conversation
//	burr ui                browse tracked runs in a web browser
//	burr graph             print the demo's graph (DOT or Mermaid)
//	burr version           print the version
//
// Every command takes -h for its help.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `Usage: burr <command> [flags]

Burr for Go: state machines for LLM apps, with streaming actions.

Commands:
  demo      chat with a streaming chatbot in the terminal, persisted and tracked
  ui        serve the tracking web UI
  graph     print the demo chatbot's graph as Graphviz DOT or Mermaid
  version   print the version
  help      show this help, or "burr help <command>" for a command's

Run "burr <command> -h" for a command's flags.
`

// version is the release version, set with -ldflags "-X main.version=v1.2.3";
// by default the module version from the build information.
var version = ""

func main() {
	interrupts := make(chan os.Signal, 4)
	signal.Notify(interrupts, os.Interrupt)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, interrupts))
}

// run dispatches a command line and returns the exit code: 0 on success, 1
// when the command failed, 2 for bad usage. interrupts carries Ctrl-C.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, interrupts <-chan os.Signal) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, stdin, stdout, stderr, interrupts)
	case "ui":
		// The UI serves until Ctrl-C.
		uctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-interrupts:
				cancel()
			case <-uctx.Done():
			}
		}()
		return runUI(uctx, rest, stdout, stderr)
	case "graph":
		return runGraph(rest, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "-h"}, stdin, stdout, stderr, interrupts)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "burr: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

const versionUsage = `Usage: burr version

Print the version of burr and of the Go toolchain that built it.
`

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
			fmt.Fprint(stdout, versionUsage)
			return 0
		}
		fmt.Fprintf(stderr, "burr version: unexpected argument %q\n\n%s", args[0], versionUsage)
		return 2
	}
	v, goVersion := version, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "" {
			v = bi.Main.Version
		}
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(stdout, "burr %s %s\n", v, goVersion)
	return 0
}
