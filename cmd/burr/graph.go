package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
)

const graphUsage = `Usage: burr graph [--format dot|mermaid]

Print the graph of the demo chatbot ("burr demo"): its actions, what they read
and write, and its transitions. Render DOT with Graphviz
(burr graph | dot -Tsvg > demo.svg) and Mermaid in any Markdown viewer that
supports it.

Flags:
  --format dot|mermaid   output format (default dot)
  -h, --help             show this help
`

func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("burr graph", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "dot", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, graphUsage)
			return 0
		}
		return usageError(stderr, "graph", "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "graph", "unexpected argument %q", fs.Arg(0))
	}
	g, err := demoGraph(&llm.Offline{})
	if err != nil {
		fmt.Fprintf(stderr, "burr graph: %v\n", err)
		return 1
	}
	opts := burr.ExportOptions{Conditions: true, State: true, Inputs: true}
	switch *format {
	case "dot":
		fmt.Fprint(stdout, g.DOT(opts))
	case "mermaid":
		fmt.Fprint(stdout, g.Mermaid(opts))
	default:
		return usageError(stderr, "graph", "unknown --format %q: use dot or mermaid", *format)
	}
	return 0
}
