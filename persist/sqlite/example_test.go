package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
)

// newChat builds a tiny chatbot (human → respond → human …) that saves every
// step to p and, when it is created, picks up where the conversation with
// appID left off.
func newChat(ctx context.Context, p *sqlite.Persister, appID string, from ...burr.InitOption) (*burr.Application, error) {
	human := burr.NewAction("human", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		return s.Append("history", "user: "+in["message"].(string))
	}, burr.Writes("history"), burr.RequiredInputs("message"))
	respond := burr.NewAction("respond", func(ctx context.Context, s burr.State) (burr.State, error) {
		history := burr.Key[[]string]("history").Or(s, nil)
		last := strings.TrimPrefix(history[len(history)-1], "user: ")
		return s.Append("history", fmt.Sprintf("bot: you said %q", last))
	}, burr.Reads("history"), burr.Writes("history"))
	init := append([]burr.InitOption{burr.ResumeAtNextAction(), burr.DefaultEntrypoint("human")}, from...)
	return burr.New(ctx,
		burr.WithActions(human, respond),
		burr.WithTransitions(burr.From("human").To("respond"), burr.From("respond").To("human")),
		burr.WithAppID(appID), burr.WithPartitionKey("alice"),
		burr.WithPersister(p),
		burr.WithInitializeFrom(p, init...))
}

// say runs one exchange: the user's message and the bot's answer.
func say(ctx context.Context, app *burr.Application, message string) {
	if _, err := app.Run(ctx, burr.HaltAfter("respond"), burr.WithInputs(burr.Inputs{"message": message})); err != nil {
		log.Fatal(err)
	}
}

func printHistory(app *burr.Application) {
	for _, line := range burr.Key[[]string]("history").Or(app.State(), nil) {
		fmt.Println(" ", line)
	}
}

// A conversation survives a restart of the process: the application is
// rebuilt from the database and continues after its last step.
func Example_resumeAfterRestart() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "burr-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "chat.db")

	// The first process talks, then exits.
	p, err := sqlite.Open(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	app, err := newChat(ctx, p, "conversation-1")
	if err != nil {
		log.Fatal(err)
	}
	say(ctx, app, "hello")
	p.Close()

	// The next process opens the same file and carries on.
	p, err = sqlite.Open(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	app, err = newChat(ctx, p, "conversation-1")
	if err != nil {
		log.Fatal(err)
	}
	next, _ := app.NextAction()
	seq, _ := app.SequenceID()
	fmt.Printf("resumed at sequence id %d, next action %s\n", seq, next.Name())
	say(ctx, app, "are you still there?")
	printHistory(app)

	ids, _ := p.ListAppIDs(ctx, "alice")
	fmt.Println("alice's conversations:", ids)
	// Output:
	// resumed at sequence id 1, next action human
	//   user: hello
	//   bot: you said "hello"
	//   user: are you still there?
	//   bot: you said "are you still there?"
	// alice's conversations: [conversation-1]
}

// Forking starts a new application from an earlier step of another one: here
// the user goes back to the first answer and asks something else instead.
func Example_fork() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "burr-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := sqlite.Open(ctx, filepath.Join(dir, "chat.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	app, err := newChat(ctx, p, "original")
	if err != nil {
		log.Fatal(err)
	}
	say(ctx, app, "tell me a joke") // sequence ids 0 and 1
	say(ctx, app, "another one")    // 2 and 3
	say(ctx, app, "and one more")   // 4 and 5

	// Fork from sequence id 1: after the bot's first answer.
	fork, err := newChat(ctx, p, "rewritten", burr.ForkFrom(burr.AppRef{AppID: "original", PartitionKey: "alice"}.At(1)))
	if err != nil {
		log.Fatal(err)
	}
	parent := fork.Parent()
	fmt.Printf("forked from %s at sequence id %d\n", parent.AppID, parent.SequenceID)
	say(ctx, fork, "explain it instead")
	fmt.Println("rewritten:")
	printHistory(fork)

	original, err := p.Load(ctx, burr.AppRef{AppID: "original", PartitionKey: "alice"}.At(burr.Latest))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("original still ends at sequence id", original.SequenceID)
	// Output:
	// forked from original at sequence id 1
	// rewritten:
	//   user: tell me a joke
	//   bot: you said "tell me a joke"
	//   user: explain it instead
	//   bot: you said "explain it instead"
	// original still ends at sequence id 5
}
