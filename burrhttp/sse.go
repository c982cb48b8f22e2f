package burrhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// DefaultHeartbeat is the interval of ": ping" comments when [SSE].Heartbeat is
// zero.
const DefaultHeartbeat = 15 * time.Second

// MinWriteTimeout is the least write timeout when [SSE].WriteTimeout is zero:
// the default is twice the heartbeat interval, and never less than this.
const MinWriteTimeout = 30 * time.Second

// SSE writes streamed steps as Server-Sent Events. The zero value is ready to
// use; an SSE may be shared by every handler of a server.
type SSE struct {
	// Heartbeat is the interval of ": ping" comment lines; zero means
	// [DefaultHeartbeat], a negative value sends none.
	Heartbeat time.Duration
	// WriteTimeout bounds the writing of each event and heartbeat: a client
	// that takes no data for that long (it stopped reading but keeps the
	// connection open) is treated as gone, and its stream is closed as when
	// it disconnects. Zero means twice the heartbeat interval and at least
	// [MinWriteTimeout]; a negative value sets no limit, so that such a client
	// holds the handler and the Application until the connection breaks.
	// The limit replaces the server's WriteTimeout, which a stream may
	// outlast.
	WriteTimeout time.Duration
	// Streams, when set, holds each stream under its app id while it runs, so
	// that [Streams.Stop] can stop it from another request.
	Streams *Streams
	// State turns the final state into the "state" field of the result event;
	// nil sends the whole state ([burr.State]'s JSON), a function returning nil
	// sends null.
	State func(burr.State) any
	// Error turns an error into the message of an error event or response;
	// nil means [DefaultMessage], which shows the client only what is meant
	// for it.
	Error func(error) string
	// ErrorLog receives, with the full error, every failure that the client is
	// shown only a generic message for (when Error is nil); nil means
	// [slog.Default]. The error is also returned by [SSE.Stream].
	ErrorLog *slog.Logger
	// Propagator reads the trace context of the request (the W3C
	// traceparent header, with propagation.TraceContext), so that the
	// spans of the run — those of the otel package's hooks — continue the
	// trace of the client that started it. nil means OpenTelemetry's global
	// propagator (otel.GetTextMapPropagator, which reads nothing until one is
	// set). A request whose context already holds a span (one an HTTP server
	// middleware started) keeps it.
	Propagator propagation.TextMapPropagator
}

// requestContext returns the context to run with: the request's, continuing
// the trace context its headers carry.
func (o *SSE) requestContext(r *http.Request) context.Context {
	ctx := r.Context()
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	p := o.Propagator
	if p == nil {
		p = otel.GetTextMapPropagator()
	}
	return p.Extract(ctx, propagation.HeaderCarrier(r.Header))
}

// UserError is implemented by an error whose message is meant for the person
// using the application: [DefaultMessage] shows its UserMessage to the client
// verbatim, where any other failure gets [InternalErrorMessage]. An action
// marks an error as user-facing by returning (or wrapping) one; any package
// can define one without importing burrhttp:
//
//	type quotaError struct{ error }
//
//	func (quotaError) UserMessage() string { return "You have used today's quota: try again tomorrow." }
type UserError interface {
	error
	UserMessage() string
}

// InternalErrorMessage is what a client is shown of a failure not meant for
// it: an action's error, a panic, a database's error, which may tell more
// (stacks, paths, addresses) than a client should know.
const InternalErrorMessage = "internal error"

// DefaultMessage is the message a client is shown for err when [SSE].Error is
// nil: the UserMessage of the first [UserError] in err's chain; the text of a
// [*burr.InputError] (the client's request lacked an input); a fixed sentence
// for [burr.ErrBusy], [burr.ErrConflict] and [burr.ErrInterrupted]; otherwise [InternalErrorMessage].
// As net/http does for a handler's panic, the full error goes to the server's
// log, not to the client.
func DefaultMessage(err error) string {
	var ue UserError
	var inErr *burr.InputError
	switch {
	case errors.As(err, &ue):
		return ue.UserMessage()
	case errors.As(err, &inErr):
		return inErr.Error()
	case errors.Is(err, burr.ErrBusy):
		return "the application is busy with another request: try again when it is done"
	case errors.Is(err, burr.ErrConflict):
		return "the application was changed by another request at the same time: reload it and try again"
	case errors.Is(err, burr.ErrInterrupted):
		return "the application waits for an answer to its question: send the answer"
	}
	return InternalErrorMessage
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

// MarshalJSON encodes the result event like every JSON this module writes
// (see event).
func (r result) MarshalJSON() ([]byte, error) {
	b := append([]byte(`{"app_id":`), jsonx.AppendString(nil, r.AppID)...)
	b = append(b, `,"action":`...)
	b = jsonx.AppendString(b, r.Action)
	b = append(b, `,"sequence_id":`...)
	b = strconv.AppendInt(b, int64(r.SequenceID), 10)
	b = append(b, `,"result":`...)
	var err error
	if r.Result == nil {
		b = append(b, "null"...)
	} else if b, err = jsonx.Append(b, map[string]any(r.Result)); err != nil {
		return nil, err
	}
	b = append(b, `,"state":`...)
	if b, err = jsonx.Append(b, r.State); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

type interrupted struct {
	AppID      string `json:"app_id"`
	Action     string `json:"action"`
	SequenceID int    `json:"sequence_id"`
	Payload    any    `json:"payload"`
}

// MarshalJSON encodes the interrupt event like every JSON this module writes
// (see event).
func (e interrupted) MarshalJSON() ([]byte, error) {
	b := append([]byte(`{"app_id":`), jsonx.AppendString(nil, e.AppID)...)
	b = append(b, `,"action":`...)
	b = jsonx.AppendString(b, e.Action)
	b = append(b, `,"sequence_id":`...)
	b = strconv.AppendInt(b, int64(e.SequenceID), 10)
	b = append(b, `,"payload":`...)
	var err error
	if b, err = jsonx.Append(b, e.Payload); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

type failure struct {
	AppID  string `json:"app_id,omitempty"`
	Action string `json:"action,omitempty"`
	Error  string `json:"error"`
}

// Stream runs app.StreamResult(r.Context(), opts...) (continuing the request's
// trace context, see [SSE].Propagator) and writes the streamed
// step to w as Server-Sent Events (see the package documentation for the
// events). It returns when the step has ended, with the step's error: nil
// when it completed (or was stopped), the action's error, or the context's
// when the client went away. Give the inputs the action needs in opts
// ([burr.WithInputs]), taken from the request by the caller.
func (o *SSE) Stream(w http.ResponseWriter, r *http.Request, app *burr.Application, opts ...burr.RunOption) error {
	appID := app.Ref().AppID
	stream, err := app.StreamResult(o.requestContext(r), opts...)
	var intr *burr.Interrupt
	if errors.As(err, &intr) {
		// An action before the streamed one, or a non-streaming one, asked
		// a question: the answer is a stream of its own.
		ew := o.startEvents(w, appID, intr.Action)
		o.interrupt(ew, r, appID, intr)
		return err
	}
	if err != nil {
		status := http.StatusInternalServerError
		var inErr *burr.InputError
		switch {
		case errors.Is(err, burr.ErrBusy), errors.Is(err, burr.ErrConflict), errors.Is(err, burr.ErrInterrupted):
			status = http.StatusConflict
		case errors.As(err, &inErr):
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(failure{AppID: appID, Error: o.message(r, appID, err)})
		return err
	}
	if o.Streams != nil {
		o.Streams.add(appID, stream)
		defer o.Streams.remove(appID, stream)
	}
	action := stream.Action().Name()
	ew := o.startEvents(w, appID, action)

	stopHeartbeat := func() {}
	if every := o.heartbeat(); every > 0 {
		done := make(chan struct{})
		var wg sync.WaitGroup
		stopHeartbeat = sync.OnceFunc(func() {
			close(done)
			wg.Wait()
		})
		defer stopHeartbeat()
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
	}

	for item := range stream.All() {
		if !ew.event("item", item) {
			break // the client is gone or the item cannot be encoded: abandon
		}
	}
	if ew.gone() {
		// The client is gone (the start event may have failed already, before
		// the loop): make sure the step is abandoned rather than run on.
		stream.Close()
	}
	res, state, err := stream.Get()
	stopHeartbeat() // the result or error event is the last thing written
	if ew.encErr != nil && errors.Is(err, burr.ErrStreamClosed) {
		err = fmt.Errorf("burrhttp: %w: %w", ew.encErr, err)
	}
	if ew.gone() || r.Context().Err() != nil {
		return err
	}
	if errors.As(err, &intr) {
		o.interrupt(ew, r, appID, intr)
		return err
	}
	if err != nil {
		ew.event("error", failure{AppID: appID, Action: action, Error: o.message(r, appID, err)})
		return err
	}
	seq, _ := state.SequenceID()
	var st any = state
	if o.State != nil {
		st = o.State(state)
	}
	if !ew.event("result", result{AppID: appID, Action: action, SequenceID: seq, Result: res, State: st}) && ew.encErr != nil {
		ew.event("error", failure{AppID: appID, Action: action, Error: o.message(r, appID, ew.encErr)})
		return ew.encErr
	}
	return nil
}

// startEvents starts the event stream: headers, then the start event.
func (o *SSE) startEvents(w http.ResponseWriter, appID, action string) *eventWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	// A stream may outlast the server's WriteTimeout: each write gets its own
	// deadline instead (see eventWriter.write), so that a client that stops
	// reading cannot hold the handler forever.
	ew := &eventWriter{w: w, rc: http.NewResponseController(w), timeout: o.writeTimeout()}
	w.WriteHeader(http.StatusOK)
	ew.event("start", start{AppID: appID, Action: action})
	return ew
}

// interrupt writes the interrupt event of an action that asked a question,
// or an error event when its payload cannot be encoded.
func (o *SSE) interrupt(ew *eventWriter, r *http.Request, appID string, intr *burr.Interrupt) {
	ev := interrupted{AppID: appID, Action: intr.Action, SequenceID: intr.SequenceID, Payload: intr.Payload}
	if !ew.event("interrupt", ev) && ew.encErr != nil {
		ew.event("error", failure{AppID: appID, Action: intr.Action, Error: o.message(r, appID, ew.encErr)})
	}
}

func (o *SSE) heartbeat() time.Duration {
	if o.Heartbeat == 0 {
		return DefaultHeartbeat
	}
	return o.Heartbeat
}

func (o *SSE) writeTimeout() time.Duration {
	if o.WriteTimeout != 0 {
		return o.WriteTimeout
	}
	return max(2*o.heartbeat(), MinWriteTimeout)
}

// message returns what the client is shown of err, logging err when the
// client is told less than the error says.
func (o *SSE) message(r *http.Request, appID string, err error) string {
	if o.Error != nil {
		return o.Error(err)
	}
	msg := DefaultMessage(err)
	if msg == InternalErrorMessage {
		log := o.ErrorLog
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "burrhttp: the client was shown a generic error", "app_id", appID, "err", err)
	}
	return msg
}

// eventWriter writes events and heartbeats from two goroutines, one at a
// time, flushing each.
type eventWriter struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration // of each write; negative: none
	buf     []byte
	err     error // the first write or flush error: the client is gone
	encErr  error // an item or result that could not be encoded
}

// event writes one event; false means it was not written. Data is encoded as
// every JSON this module writes: NaN and infinities, which JSON cannot hold,
// as null (a stream item holding one is sent, not refused), and maps decoded
// from JSON with their key order.
func (ew *eventWriter) event(name string, data any) bool {
	b, err := jsonx.Marshal(data)
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

// write writes and flushes b, within the write timeout. A client that does
// not take b in time is gone, like one whose connection broke.
func (ew *eventWriter) write(b []byte) bool {
	deadline := time.Time{}
	if ew.timeout > 0 {
		deadline = time.Now().Add(ew.timeout)
	}
	if err := ew.rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
		ew.err = err
		return false
	}
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
