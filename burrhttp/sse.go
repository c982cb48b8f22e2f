package burrhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/burrgo/burr"
)

// DefaultHeartbeat is the interval of ": ping" comments when SSE.Heartbeat is
// zero.
const DefaultHeartbeat = 15 * time.Second

// SSE writes streamed steps as Server-Sent Events. The zero value is ready to
// use; an SSE may be shared by every handler of a server.
type SSE struct {
	// Heartbeat is the interval of ": ping" comment lines; zero means
	// DefaultHeartbeat, a negative value sends none.
	Heartbeat time.Duration
	// Streams, when set, holds each stream under its app id while it runs, so
	// that Streams.Stop can stop it from another request.
	Streams *Streams
	// State turns the final state into the "state" field of the result event;
	// nil sends the whole state (burr.State's JSON), a function returning nil
	// sends null.
	State func(burr.State) any
	// Error turns an error into the message of an error event or response;
	// nil sends err.Error(). Use it to hide internal details from clients.
	Error func(error) string
}

// start, result and failure are the data of the start, result and error
// events.
type start struct {
	AppID  string `json:"app_id"`
	Action string `json:"action"`
}

type result struct {
	AppID      string      `json:"app_id"`
	Action     string      `json:"action"`
	SequenceID int         `json:"sequence_id"`
	Result     burr.Result `json:"result"`
	State      any         `json:"state"`
}

type failure struct {
	AppID  string `json:"app_id,omitempty"`
	Action string `json:"action,omitempty"`
	Error  string `json:"error"`
}

// Stream runs app.StreamResult(r.Context(), opts...) and writes the streamed
// step to w as Server-Sent Events (see the package documentation for the
// events). It returns when the step has ended, with the step's error: nil
// when it completed (or was stopped), the action's error, or the context's
// when the client went away. Give the inputs the action needs in opts
// (burr.WithInputs), taken from the request by the caller.
func (o *SSE) Stream(w http.ResponseWriter, r *http.Request, app *burr.Application, opts ...burr.RunOption) error {
	stream, err := app.StreamResult(r.Context(), opts...)
	if err != nil {
		status := http.StatusInternalServerError
		var inErr *burr.InputError
		switch {
		case errors.Is(err, burr.ErrBusy):
			status = http.StatusConflict
		case errors.As(err, &inErr):
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(failure{AppID: app.AppID(), Error: o.message(err)})
		return err
	}
	if o.Streams != nil {
		o.Streams.add(app.AppID(), stream)
		defer o.Streams.remove(app.AppID(), stream)
	}
	action := stream.Action().Name()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	ew := &eventWriter{w: w, rc: http.NewResponseController(w)}
	// A stream may outlast the server's WriteTimeout; the heartbeat shows the
	// client is still there instead.
	_ = ew.rc.SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	ew.event("start", start{AppID: app.AppID(), Action: action})

	if every := o.heartbeat(); every > 0 {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if !ew.ping() {
						stream.Close() // the client is gone: abandon the step
						return
					}
				}
			}
		})
		defer wg.Wait()
		defer close(done)
	}

	for item := range stream.All() {
		if !ew.event("item", item) {
			break // the client is gone or the item cannot be encoded: abandon
		}
	}
	res, state, err := stream.Get()
	if ew.encErr != nil && errors.Is(err, burr.ErrStreamClosed) {
		err = fmt.Errorf("burrhttp: %w: %w", ew.encErr, err)
	}
	if ew.gone() || r.Context().Err() != nil {
		return err
	}
	if err != nil {
		ew.event("error", failure{AppID: app.AppID(), Action: action, Error: o.message(err)})
		return err
	}
	seq, _ := state.SequenceID()
	var st any = state
	if o.State != nil {
		st = o.State(state)
	}
	if !ew.event("result", result{AppID: app.AppID(), Action: action, SequenceID: seq, Result: res, State: st}) && ew.encErr != nil {
		ew.event("error", failure{AppID: app.AppID(), Action: action, Error: o.message(ew.encErr)})
		return ew.encErr
	}
	return nil
}

func (o *SSE) heartbeat() time.Duration {
	if o.Heartbeat == 0 {
		return DefaultHeartbeat
	}
	return o.Heartbeat
}

func (o *SSE) message(err error) string {
	if o.Error != nil {
		return o.Error(err)
	}
	return err.Error()
}

// eventWriter writes events and heartbeats from two goroutines, one at a
// time, flushing each.
type eventWriter struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	rc     *http.ResponseController
	buf    []byte
	err    error // the first write or flush error: the client is gone
	encErr error // an item or result that could not be encoded
}

// event writes one event; false means it was not written.
func (ew *eventWriter) event(name string, data any) bool {
	b, err := json.Marshal(data)
	if err != nil {
		ew.encErr = fmt.Errorf("burrhttp: cannot encode the %s event: %w", name, err)
		return false
	}
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.err != nil {
		return false
	}
	ew.buf = append(ew.buf[:0], "event: "...)
	ew.buf = append(ew.buf, name...)
	ew.buf = append(ew.buf, "\ndata: "...)
	ew.buf = append(ew.buf, b...)
	ew.buf = append(ew.buf, "\n\n"...)
	return ew.write(ew.buf)
}

func (ew *eventWriter) ping() bool {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.err != nil {
		return false
	}
	return ew.write([]byte(": ping\n\n"))
}

func (ew *eventWriter) write(b []byte) bool {
	if _, err := ew.w.Write(b); err != nil {
		ew.err = err
		return false
	}
	if err := ew.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		ew.err = err
		return false
	}
	return true
}

func (ew *eventWriter) gone() bool {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	return ew.err != nil
}
