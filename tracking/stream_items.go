package tracking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/trackfile"
)

// StreamItemsFile is the file of an application directory that holds the
// items of its streamed steps, written with [WithStreamItems]. Burr's own
// files are unchanged by it: Burr's UI reads the directory as before.
const StreamItemsFile = trackfile.StreamItemsFile

// WithStreamItems makes the tracker record the items of streamed steps in
// stream_items.jsonl beside log.jsonl: one stream_item line per item (its
// index, time and value as JSON) and one stream_end line per stream saying
// how it ended (completed, stopped, closed or failed), which `burr ui`
// shows as the stream goes. It is off by default: a server streaming
// answers to many users would keep every answer twice. Each item costs an
// append to the file.
func WithStreamItems() Option { return func(t *LocalTracker) { t.streamItems = true } }

type streamItemLine struct {
	Type             trackfile.Kind  `json:"type"`
	ActionSequenceID int             `json:"action_sequence_id"`
	Index            int             `json:"index"`
	Time             string          `json:"time"`
	Item             json.RawMessage `json:"item"`
}

type streamEndLine struct {
	Type             trackfile.Kind `json:"type"`
	ActionSequenceID int            `json:"action_sequence_id"`
	Items            int            `json:"items"`
	Outcome          string         `json:"outcome"`
	Error            *string        `json:"error"`
	Time             string         `json:"time"`
}

func itemTime(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return string(trackfile.AppendUTC(nil, t))
}

// writeItem appends a stream_item line.
func (t *LocalTracker) writeItem(e *burr.StreamItem) {
	item, err := json.Marshal(e.Item)
	if err != nil {
		item, _ = json.Marshal(fmt.Sprint(e.Item))
	}
	t.appendItems(e.AppID, streamItemLine{Type: trackfile.StreamItem, ActionSequenceID: e.SequenceID, Index: e.Index,
		Time: itemTime(time.Now()), Item: item})
}

// StreamOutcome tells how a stream ended, as stream_end lines write it:
// "completed", "stopped" (the consumer asked the action to finish early
// and the step kept what it had), "closed" (the consumer abandoned it, or
// its context was cancelled) or "failed".
func StreamOutcome(e *burr.StreamEnd) string {
	switch {
	case e.Stopped:
		return "stopped"
	case e.Err == nil:
		return "completed"
	case errors.Is(e.Err, burr.ErrStreamClosed) || errors.Is(e.Err, context.Canceled):
		return "closed"
	}
	return "failed"
}

// writeStreamEnd appends a stream_end line.
func (t *LocalTracker) writeStreamEnd(e *burr.StreamEnd) {
	l := streamEndLine{Type: trackfile.StreamEndRecord, ActionSequenceID: e.SequenceID, Items: e.Items,
		Outcome: StreamOutcome(e), Time: itemTime(e.Time)}
	if e.Err != nil {
		msg := e.Err.Error()
		l.Error = &msg
	}
	t.appendItems(e.AppID, l)
}

// appendItems appends one line to the application's stream_items.jsonl.
// The file is opened for each line, in append mode, so that lines of
// concurrent streams do not interleave and no file stays open.
func (t *LocalTracker) appendItems(appID string, line any) {
	if validAppID(appID) != nil {
		return // reported by the log's writer
	}
	data, err := json.Marshal(line)
	if err != nil {
		t.report(fmt.Errorf("tracking: %s: %w", StreamItemsFile, err))
		return
	}
	data = append(data, '\n')
	dir := t.appDir(appID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.report(fmt.Errorf("tracking: %w", err))
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, StreamItemsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.report(fmt.Errorf("tracking: %w", err))
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.report(fmt.Errorf("tracking: %s: %w", StreamItemsFile, err))
	}
}
