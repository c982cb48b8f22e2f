// Package burrhttp streams a Burr application's streamed step to an HTTP
// client as Server-Sent Events, the way a chat page shows an answer token by
// token.
//
// [SSE.Stream] runs [burr.Application.StreamResult] with the request's
// context and writes, in order:
//
//	event: start
//	data: {"app_id": "…", "action": "chat"}
//
//	event: item                  (once per stream item, as the action yields it)
//	data: <the item as JSON>
//
//	event: result                (when the step succeeded)
//	data: {"app_id": "…", "action": "chat", "sequence_id": 3, "result": {…}, "state": {…}}
//
//	event: error                 (instead of result, when the step failed)
//	data: {"app_id": "…", "action": "chat", "error": "…"}
//
//	event: interrupt             (instead of result, when an action asked a question: burr.Ask)
//	data: {"app_id": "…", "action": "approve", "sequence_id": 3, "payload": <the question as JSON>}
//
// An interrupt is no failure: the client shows the question, and the next
// request resumes with the answer (the handler passes it with
// [burr.WithAnswer]). A request that resumes without one gets 409, as does
// one that loses to another resumer ([burr.ErrConflict]).
//
// with ": ping" comment lines in between while the action is silent, so that
// proxies keep the connection open. Data is JSON as everywhere in this
// module: NaN and infinities, which JSON cannot hold, are sent as null (a
// float item that happens to be NaN does not end the stream), and maps that
// came from JSON keep their key order. Each event is written and flushed as soon
// as it exists: nothing is buffered, and because the action runs on the
// handler's goroutine, a slow client slows the action down instead of filling
// memory.
//
// A client that disconnects cancels the request's context: the action's
// yield returns false and its context is cancelled (an LLM request is
// aborted), the step is abandoned, and the hooks see one end with the error.
// A client that stops reading but keeps the connection open is treated the
// same way once a write has waited [SSE].WriteTimeout for it.
// [Streams] lets another request stop a running stream ("stop generating"):
// the partial result is committed and sent as the result event.
//
// Errors before the stream starts (the application is busy, an input is
// missing, an earlier action failed or could not be saved) are plain HTTP
// errors: 409 for [burr.ErrBusy], [burr.ErrConflict] (another writer saved
// that step of the application first) and [burr.ErrInterrupted] (no answer
// to the question the application waits on), 400 for a [*burr.InputError], 500
// otherwise, with a JSON body {"error": "…"}.
//
// # What a client is told
//
// Errors are safe to show by default. A client sees the message of an error
// meant for it — a [UserError] the application returned, a missing input, a
// conflict — and "internal error" for anything else (an action's failure, a
// panic, a database's error), whose full text goes to [SSE].ErrorLog and is
// returned by [SSE.Stream] for the handler to log: see [DefaultMessage].
// Set [SSE].Error to decide otherwise.
package burrhttp
