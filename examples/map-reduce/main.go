// Command map-reduce counts the words of many documents in parallel, one
// child application per document, and folds the counts, in document order,
// into one report.
//
//	go run ./examples/map-reduce                    # three sample documents
//	go run ./examples/map-reduce a.txt b.txt c.txt  # your files
//
// The application has two actions. "load" reads the documents into the
// state; "count" is a burr.MapStates action: it runs a two-step subgraph
// ("words", then "summarise") on every document in a child application of
// its own, at most four at a time (burr.MaxConcurrency), and its reduce adds
// the children's counts up in the order of the documents, whatever order the
// children finished in.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/burrgo/burr"
)

// A document: its name and text.
type document struct{ Name, Text string }

var samples = []document{
	{"state-machines.txt", "A state machine moves from state to state. Each state decides what comes next, and the machine remembers the state it is in."},
	{"streaming.txt", "Streaming shows the first words of an answer at once. The reader reads while the model writes."},
	{"parallelism.txt", "Parallel children run at once. A bounded number of children keeps the machine and the model provider calm."},
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: map-reduce [file …]")
		flag.PrintDefaults()
	}
	flag.Parse()
	docs := samples
	if flag.NArg() > 0 {
		docs = nil
		for _, path := range flag.Args() {
			b, err := os.ReadFile(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "map-reduce:", err)
				os.Exit(1)
			}
			docs = append(docs, document{path, string(b)})
		}
	}
	if err := run(context.Background(), os.Stdout, docs); err != nil {
		fmt.Fprintln(os.Stderr, "map-reduce:", err)
		os.Exit(1)
	}
}

var (
	docsKey   = burr.Key[[]document]("documents")
	textKey   = burr.Key[string]("text")
	nameKey   = burr.Key[string]("name")
	countKey  = burr.Key[map[string]int]("counts")
	wordsKey  = burr.Key[int]("words")
	topKey    = burr.Key[string]("top")
	reportKey = burr.Key[[]string]("report")
	totalKey  = burr.Key[map[string]int]("total")
)

// words splits text into lower-case words.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
}

// perDocument is the subgraph a child runs on one document: count its words,
// then sum it up in one line.
func perDocument() (*burr.Subgraph, error) {
	count := burr.NewAction("words", func(_ context.Context, s burr.State) (burr.State, error) {
		counts := map[string]int{}
		ws := words(textKey.Or(s, ""))
		for _, w := range ws {
			counts[w]++
		}
		return wordsKey.Set(countKey.Set(s, counts), len(ws)), nil
	}, burr.Reads("text"), burr.Writes("counts", "words"))
	summarise := burr.NewAction("summarise", func(_ context.Context, s burr.State) (burr.State, error) {
		top := topWords(countKey.Or(s, nil), 3)
		return topKey.Set(s, fmt.Sprintf("%s: %d words, most often %s", nameKey.Or(s, "?"), wordsKey.Or(s, 0), strings.Join(top, ", "))), nil
	}, burr.Reads("name", "counts", "words"), burr.Writes("top"))
	g, err := burr.NewGraph([]*burr.Action{count, summarise}, burr.From("words").To("summarise"))
	if err != nil {
		return nil, err
	}
	return burr.NewSubgraph(g, "words", "summarise"), nil
}

// topWords returns the n most frequent words of counts, the most frequent
// first, ties in alphabetical order.
func topWords(counts map[string]int, n int) []string {
	ws := make([]string, 0, len(counts))
	for w := range counts {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		if counts[ws[i]] != counts[ws[j]] {
			return counts[ws[i]] > counts[ws[j]]
		}
		return ws[i] < ws[j]
	})
	return ws[:min(n, len(ws))]
}

// newApp builds the application: "load" then "count".
func newApp(ctx context.Context, docs []document) (*burr.Application, error) {
	sub, err := perDocument()
	if err != nil {
		return nil, err
	}
	load := burr.NewAction("load", func(_ context.Context, s burr.State) (burr.State, error) {
		return docsKey.Set(s, docs), nil
	}, burr.Writes("documents"))
	count := burr.MapStates("count", sub,
		// One child per document, starting from its name and text.
		func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
			ds := docsKey.Or(s, nil)
			states := make([]burr.State, len(ds))
			for i, d := range ds {
				states[i] = textKey.Set(nameKey.Set(burr.State{}, d.Name), d.Text)
			}
			return states, nil
		},
		// The children's final states arrive in document order.
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			report := make([]string, len(children))
			total := map[string]int{}
			for i, c := range children {
				report[i] = topKey.Or(c, "")
				for w, n := range countKey.Or(c, nil) {
					total[w] += n
				}
			}
			return totalKey.Set(reportKey.Set(s, report), total), nil
		},
		burr.Reads("documents"), burr.Writes("report", "total"), burr.MaxConcurrency(4))
	return burr.New(ctx, burr.WithActions(load, count), burr.WithTransitions(burr.From("load").To("count")),
		burr.WithEntrypoint("load"))
}

// run counts the words of docs and writes the report to out.
func run(ctx context.Context, out io.Writer, docs []document) error {
	app, err := newApp(ctx, docs)
	if err != nil {
		return err
	}
	res, err := app.Run(ctx, burr.HaltAfter("count"))
	if err != nil {
		return err
	}
	for _, line := range reportKey.Or(res.State, nil) {
		fmt.Fprintln(out, line)
	}
	total := totalKey.Or(res.State, nil)
	sum := 0
	for _, n := range total {
		sum += n
	}
	fmt.Fprintf(out, "all %d documents: %d words, most often %s\n", len(docs), sum, strings.Join(topWords(total, 5), ", "))
	return nil
}
