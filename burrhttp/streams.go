package burrhttp

import (
	"sync"

	"github.com/burrgo/burr"
)

// Streams holds the streams [SSE.Stream] is running in this process, by app id,
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
// may try). Several streams may run under one app id at once (two turns of a
// conversation, each on its own Application loaded from a persister): Stop
// stops them all. The zero value is ready to use and safe for concurrent use.
type Streams struct {
	mu sync.Mutex
	m  map[string]map[*burr.Stream]struct{}
}

// Stop stops the streams running for appID: each action's yield returns
// false, the action returns its partial result, which is committed and sent
// to the streaming client as the result event. It reports whether any such
// stream was running. Stop does not wait for the streams to end: each
// streaming request finishes on its own, at its action's next item. (Only a
// stop that arrives before an action has started runs it up to its first
// item.)
func (s *Streams) Stop(appID string) bool {
	s.mu.Lock()
	running := make([]*burr.Stream, 0, len(s.m[appID]))
	for st := range s.m[appID] {
		running = append(running, st)
	}
	s.mu.Unlock()
	for _, st := range running {
		st.Stop()
	}
	return len(running) > 0
}

// Running reports whether a stream is running for appID.
func (s *Streams) Running(appID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m[appID]) > 0
}

func (s *Streams) add(appID string, st *burr.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]map[*burr.Stream]struct{})
	}
	set := s.m[appID]
	if set == nil {
		set = make(map[*burr.Stream]struct{})
		s.m[appID] = set
	}
	set[st] = struct{}{}
}

func (s *Streams) remove(appID string, st *burr.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.m[appID]
	delete(set, st)
	if len(set) == 0 {
		delete(s.m, appID)
	}
}
