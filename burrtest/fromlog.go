package burrtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/burrgo/burr/internal/trackfile"
)

// maxLogLine is the longest log line read.
const maxLogLine = 64 << 20

// FromLog reads the step seq of a tracked run from its log.jsonl (the Go
// tracker's or Python Burr's) and returns it as a Case named
// "<action>_<seq>". The input state is the state the previous step ended
// with (an empty state for the first step of a run); a step that failed
// has its error instead of an expected state and result.
func FromLog(path string, seq int) (Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return Case{}, err
	}
	defer f.Close()
	c, err := fromLog(f, seq)
	if err != nil {
		return Case{}, fmt.Errorf("burrtest: %s: %w", path, err)
	}
	return c, nil
}

func fromLog(r io.Reader, seq int) (Case, error) {
	var begin *trackfile.BeginEntryModel
	var end *trackfile.EndEntryModel
	prevSeq := -1 << 62
	var prevState json.RawMessage // of the latest end_entry before seq
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > maxLogLine {
			return Case{}, fmt.Errorf("a line of %d bytes, longer than %d", len(line), maxLogLine)
		}
		if raw := bytes.TrimSpace(line); len(raw) > 0 {
			if ln, derr := trackfile.DecodeLine(raw); derr == nil {
				switch m := ln.Model.(type) {
				case *trackfile.BeginEntryModel:
					if m.SequenceID == seq {
						begin, end = m, nil // a step begun again starts afresh
					}
				case *trackfile.EndEntryModel:
					switch {
					case m.SequenceID == seq && begin != nil:
						end = m
					case m.SequenceID < seq && m.SequenceID >= prevSeq && m.Exception == nil:
						prevSeq, prevState = m.SequenceID, m.State
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Case{}, err
		}
	}
	switch {
	case begin == nil:
		return Case{}, fmt.Errorf("no step with sequence id %d", seq)
	case end == nil:
		return Case{}, fmt.Errorf("step %d (%s) has not ended", seq, begin.Action)
	}
	c := Case{Action: begin.Action, Name: fmt.Sprintf("%s_%d", begin.Action, seq), Inputs: public(begin.Inputs),
		Source: Source{Sequence: seq}}
	if end.Exception != nil {
		// Burr writes the state before the step for a step that failed.
		c.InputState, c.ExpectedError = public(end.State), *end.Exception
		c.ExpectedState, c.ExpectedResult = json.RawMessage("null"), json.RawMessage("null")
		return c, nil
	}
	c.InputState = public(prevState)
	c.ExpectedState, c.ExpectedResult = public(end.State), end.Result
	if len(c.ExpectedResult) == 0 {
		c.ExpectedResult = json.RawMessage("null")
	}
	return c, nil
}

// public returns a JSON object without Burr's private keys ("__…"), in its
// key order; anything else as an empty object.
func public(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return json.RawMessage("{}")
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		if len(key) >= 2 && key[:2] == "__" {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
		n++
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
