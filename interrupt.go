package burr

import "fmt"

// Interrupt is the error of a step whose action stopped to ask for input
// ([Ask]): the question or the tool call to approve is in Payload. The step
// was not committed; the application waits at that action until a call gives
// the answer with [WithAnswer].
type Interrupt struct {
	Action     string
	SequenceID int // the sequence id the interrupted step spent
	Payload    any
}

func (e *Interrupt) Error() string {
	return fmt.Sprintf("burr: action %q (sequence id %d) is interrupted, waiting for an answer", e.Action, e.SequenceID)
}
