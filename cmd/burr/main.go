// Command burr is Burr for Go's command line: a streaming chatbot demo, the
// tracking web UI, and the demo's graph.
//
//	burr demo              chat in the terminal (offline model unless OPENAI_API_KEY is set)
//	burr demo --resume ID  continue a conversation
//	burr ui                browse tracked runs in a web browser
//	burr graph             print the demo's graph (DOT or Mermaid)
//	burr export            write runs tracked in PostgreSQL as Burr's files
//	burr test-case create  turn a tracked step into a test case (package burrtest)
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
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

const usage = `Usage: burr <command> [flags]

Burr for Go: state machines for LLM apps, with streaming actions.

Commands:
  demo      chat with a streaming chatbot in the terminal, persisted and tracked
  ui        serve the tracking web UI
  graph     print the demo chatbot's graph as Graphviz DOT or Mermaid
  export    write runs tracked in PostgreSQL as Burr's tracking files
  test-case turn a tracked step into a test case of its action (burrtest)
  version   print the version
  help      show this help, or "burr help <command>" for a command's

Run "burr <command> -h" for a command's flags.
`

// version is the release version, set with -ldflags "-X main.version=v1.2.3";
// by default the module version from the build information.
var version = ""

// launcher is how the user started burr, for the commands it prints:
// "burr" in tests, set by main from how the process was launched.
var launcher = "burr"

func main() {
	exe, _ := os.Executable()
	launcher = launchCommand(exe, os.Args[0])
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
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "test-case":
		return runTestCase(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "-h"}, stdin, stdout, stderr, interrupts)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "burr: unknown command %q\nrun '%s' for the commands\n", cmd, commandLine(launcher, "help"))
		return 2
	}
}

// usageError reports a bad command line in one line and where the usage
// is, and returns the exit code for bad usage.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "burr %s: %s\nrun '%s' for usage\n", cmd, fmt.Sprintf(format, args...), commandLine(launcher, cmd, "-h"))
	return 2
}

// launchCommand returns the command that starts burr again the way it was
// started: "go run ./cmd/burr" when exe (os.Executable) was built by go
// run, else arg0 (os.Args[0]) as the user typed it: "burr" found in the
// PATH, or a path.
func launchCommand(exe, arg0 string) string {
	if builtByGoRun(exe) {
		return "go run ./cmd/burr"
	}
	if arg0 == "" {
		return "burr"
	}
	return shellQuote(arg0)
}

// goBuildCacheEntry is the name of the directory go run caches an
// executable in: the hex hash of the build, then "-d".
var goBuildCacheEntry = regexp.MustCompile(`^[0-9a-f]{64}-d$`)

// builtByGoRun reports whether exe is an executable that go run built: in a
// temporary work directory (.../go-build123/b001/exe/burr) or in the build
// cache (GOCACHE/ab/<hash>-d/burr), where go run keeps the executables it
// builds.
func builtByGoRun(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	return goBuildCacheEntry.MatchString(filepath.Base(dir))
}

// commandLine joins a command and its arguments for a shell, quoting the
// arguments that need it.
func commandLine(cmd string, args ...string) string {
	var b strings.Builder
	b.WriteString(cmd)
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it holds anything but letters,
// digits and -_./:=@+,%.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./:=@+,%", r)))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
		return usageError(stderr, "version", "unexpected argument %q", args[0])
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
