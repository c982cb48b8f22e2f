package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/burrgo/burr/burrtest"
	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/tracking"
)

const testCaseUsage = `Usage: burr test-case create --project P --app A --sequence N [--dir DIR] [--out FILE] [--name NAME]

Turn a step of a tracked run into a test case of its action, as Burr's
"burr-test-case create" does: the state the step started from, its inputs,
and the state and result it ended with (or its error), read from
DIR/P/A/log.jsonl, written by the Go tracker or by Python Burr. Burr's
private state keys (__…) are left out.

With --out the case is added to FILE, a JSON array of cases (a case of the
same name is replaced); otherwise it is printed. Then test the action in Go:

    c, _ := burrtest.ReadFile("testdata/cases.json")
    tc, _ := burrtest.Find(c, "NAME")
    burrtest.Check(ctx, t, myAction, tc)

Flags:
  --project P     the project (directory under DIR)
  --app A         the application id
  --sequence N    the step's sequence id
  --dir DIR       tracking directory (default ~/.burr)
  --out FILE      add the case to this fixture file
  --name NAME     the case's name (default ACTION_N)
  -h, --help      show this help
`

// runTestCase implements "burr test-case".
func runTestCase(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, testCaseUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "create" {
		return usageError(stderr, "test-case", "unknown subcommand %q (only \"create\")", args[0])
	}
	fs := flag.NewFlagSet("burr test-case create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", "", "")
	app := fs.String("app", "", "")
	seq := fs.Int("sequence", -1, "")
	dir := fs.String("dir", "", "")
	out := fs.String("out", "", "")
	name := fs.String("name", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, testCaseUsage)
			return 0
		}
		return usageError(stderr, "test-case", "%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "test-case", "unexpected argument %q", fs.Arg(0))
	case *project == "" || *app == "":
		return usageError(stderr, "test-case", "--project and --app are required")
	case *seq < 0:
		return usageError(stderr, "test-case", "--sequence is required (a step's sequence id, from 0)")
	case !validName(*project) || !validName(*app):
		return usageError(stderr, "test-case", "--project %q or --app %q is not a directory name", *project, *app)
	}
	storage, err := homedir.Dir(*dir, tracking.DefaultStorageDir)
	if err != nil {
		fmt.Fprintf(stderr, "burr test-case: --dir: %v\n", err)
		return 2
	}
	c, err := burrtest.FromLog(filepath.Join(storage, *project, *app, tracking.LogFile), *seq)
	if err != nil {
		fmt.Fprintf(stderr, "burr test-case: %v\n", err)
		return 1
	}
	c.Source.Project, c.Source.AppID = *project, *app
	if *name != "" {
		c.Name = *name
	}
	if *out == "" {
		data, _ := json.MarshalIndent(c, "", "  ")
		fmt.Fprintf(stdout, "%s\n", data)
		return 0
	}
	if err := burrtest.AddToFile(*out, c); err != nil {
		fmt.Fprintf(stderr, "burr test-case: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Added the case %q (action %q, step %d of %s/%s) to %s.\nTest it with burrtest.Find and burrtest.Check (see \"burr test-case -h\").\n",
		c.Name, c.Action, *seq, *project, *app, *out)
	return 0
}

// validName reports whether s can be one directory name.
func validName(s string) bool {
	return s != "." && s != ".." && filepath.Base(s) == s && s != "" && !filepath.IsAbs(s)
}
