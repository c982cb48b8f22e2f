package burrhttp

import (
	"sync"

	"github.com/burrgo/burr"
)

// Streams holds the streams SSE.Stream is running in this process, by app id,
// so that another request can stop one: the "stop generating" button.
//
//	var streams burrhttp.Streams
//	sse := &burrhttp.SSE{Streams: &streams}
//	mux.HandleFunc("POST /chat/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
//		if !streams.Stop(r.PathValue("id")) {
//			http.Error(w, "no answer is being generated", http.StatusNotFound)
//		}
//	})
//
// A stream runs in the process that serves its request: behind a load
// balancer, the stop request must reach the same instance (or every instance
// may try). The zero value is ready to use and safe for concurrent use.
type Streams struct {
	mu sync.Mutex
	m  map[string]*burr.Stream
}

// Stop stops the stream running for appID: the action's yield returns false,
// the action returns its partial result, which is committed and sent to the
// streaming client as the result event. It reports whether such a stream was
// running. Stop does not wait for the stream to end: the streaming request
// finishes on its own, at the action's next item. (Only a stop that arrives
// before the action has started runs it up to its first item.)
func (s *Streams) Stop(appID string) bool {
	s.mu.Lock()
	st := s.m[appID]
	s.mu.Unlock()
	if st == nil {
		return false
	}
	st.Stop()
	return true
}

// Running reports whether a stream is running for appID.
func (s *Streams) Running(appID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[appID] != nil
}

func (s *Streams) add(appID string, st *burr.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*burr.Stream)
	}
	s.m[appID] = st
}

func (s *Streams) remove(appID string, st *burr.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[appID] == st {
		delete(s.m, appID)
	}
}
