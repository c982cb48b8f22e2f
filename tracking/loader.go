package tracking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/burrgo/burr"
)

// ErrNotFound is returned by Load when there is no state to load: no such
// application, no log.jsonl, an empty one, or no end_entry with the requested
// sequence id. It wraps burr.ErrNotFound, so WithInitializeFrom starts from
// its defaults.
var ErrNotFound = fmt.Errorf("tracking: %w", burr.ErrNotFound)

// Load reads a state back from an application's log.jsonl, as Burr's
// LocalTrackingClient.load does: the last end_entry line, or, for a
// at.SequenceID other than [burr.Latest], the last end_entry with that sequence id.
// The record's state is the logged state with every "__" key stripped and
// burr.SequenceIDKey set to the entry's sequence id; its position is the
// entry's action; its status is failed when the entry holds an exception and
// completed otherwise; CreatedAt is the log file's modification time.
//
// Lines that are not valid JSON are skipped, so that an application whose
// process crashed in the middle of writing a line can be resumed from the
// last whole entry.
//
// The partition key is not part of the file layout (as in Burr): it is copied
// to the record but not checked. Load works on logs written by Python Burr.
//
// Use the tracker with burr.WithInitializeFrom to resume a tracked
// application or fork it from any step:
//
//	burr.WithInitializeFrom(tracker, burr.ForkFrom(burr.AppRef{AppID: oldAppID}.At(5)),
//		burr.DefaultEntrypoint("counter"))
func (t *LocalTracker) Load(ctx context.Context, at burr.StepRef) (burr.Record, error) {
	appID, sequenceID := at.AppID, at.SequenceID
	if err := ctx.Err(); err != nil {
		return burr.Record{}, err
	}
	if validAppID(appID) != nil {
		return burr.Record{}, fmt.Errorf("%w: no application %q", ErrNotFound, appID)
	}
	path := filepath.Join(t.appDir(appID), LogFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return burr.Record{}, fmt.Errorf("%w: no tracked application %q in %s", ErrNotFound, appID, t.dir)
	}
	if err != nil {
		return burr.Record{}, fmt.Errorf("tracking: %w", err)
	}
	line, seq, err := findEndEntry(data, sequenceID)
	if err != nil {
		return burr.Record{}, fmt.Errorf("tracking: %s: %w", path, err)
	}
	if line == nil {
		if sequenceID == burr.Latest {
			return burr.Record{}, fmt.Errorf("%w: application %q has no completed step", ErrNotFound, appID)
		}
		return burr.Record{}, fmt.Errorf("%w: application %q has no step with sequence id %d", ErrNotFound, appID, sequenceID)
	}
	var entry struct {
		Action    string          `json:"action"`
		Exception *string         `json:"exception"`
		State     json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(line, &entry); err != nil {
		return burr.Record{}, fmt.Errorf("tracking: %s: end_entry %d: %w", path, seq, err)
	}
	var s burr.State
	if err := s.UnmarshalJSON(entry.State); err != nil {
		return burr.Record{}, fmt.Errorf("tracking: %s: end_entry %d: %w", path, seq, err)
	}
	var internal []string
	for k := range s.All() {
		if strings.HasPrefix(k, "__") {
			internal = append(internal, k)
		}
	}
	s = s.Delete(internal...).Set(burr.SequenceIDKey, seq)
	rec := burr.Record{StepRef: at.At(seq), Position: entry.Action,
		State: s, Status: burr.StatusCompleted}
	if entry.Exception != nil {
		rec.Status = burr.StatusFailed
	}
	if fi, err := os.Stat(path); err == nil {
		rec.CreatedAt = fi.ModTime()
	}
	return rec, nil
}

var (
	endEntryPrefix = []byte(`{"type":"end_entry"`)
	seqField       = []byte(`"sequence_id":`)
)

// findEndEntry returns the end_entry line to load and its sequence id: the
// last one, or the last one with sequence id want. It returns a nil line when
// there is none. It reads the lines from the end.
//
// Lines that are not valid JSON are skipped: a process that crashed, or ran
// out of disk, in the middle of a line leaves part of it behind (at the end
// of the file, or in the middle once the application has been resumed), and
// the entries around it are whole.
func findEndEntry(data []byte, want int) ([]byte, int, error) {
	for len(data) > 0 {
		var line []byte
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			line, data = data[i+1:], data[:i]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSpace(line)
		ok, err := isEndEntry(line)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue
		}
		seq, err := lineSequenceID(line)
		if err != nil {
			if !json.Valid(line) {
				continue
			}
			return nil, 0, err
		}
		if (want == burr.Latest || seq == want) && json.Valid(line) {
			return line, seq, nil
		}
	}
	return nil, 0, nil
}

// isEndEntry tells end_entry lines from the others; Burr and this package
// write "type" first, so the common case is a prefix test. A line that is
// not valid JSON is not an entry.
func isEndEntry(line []byte) (bool, error) {
	if len(line) == 0 {
		return false, nil
	}
	if bytes.HasPrefix(line, endEntryPrefix) {
		return true, nil
	}
	if !bytes.Contains(line, []byte("end_entry")) {
		return false, nil
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		if !json.Valid(line) {
			return false, nil
		}
		return false, fmt.Errorf("bad line %.60q: %w", line, err)
	}
	return head.Type == "end_entry", nil
}

// lineSequenceID reads an end_entry's sequence id, which Burr writes last.
func lineSequenceID(line []byte) (int, error) {
	if i := bytes.LastIndex(line, seqField); i >= 0 && line[len(line)-1] == '}' {
		if n, err := strconv.Atoi(string(line[i+len(seqField) : len(line)-1])); err == nil {
			return n, nil
		}
	}
	var v struct {
		SequenceID *int `json:"sequence_id"`
	}
	if err := json.Unmarshal(line, &v); err != nil || v.SequenceID == nil {
		return 0, fmt.Errorf("end_entry without a sequence id: %.60q", line)
	}
	return *v.SequenceID, nil
}

// ListAppIDs returns the ids of the tracked applications with this partition
// key (read from their metadata.json; "" matches applications without one),
// most recently modified first.
func (t *LocalTracker) ListAppIDs(ctx context.Context, partitionKey string) ([]string, error) {
	entries, err := os.ReadDir(t.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	type app struct {
		id  string
		mod int64
	}
	var apps []app
	for _, de := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !de.IsDir() {
			continue
		}
		meta, err := os.ReadFile(filepath.Join(t.dir, de.Name(), MetadataFile))
		if err != nil {
			continue
		}
		var m struct {
			PartitionKey *string `json:"partition_key"`
		}
		if json.Unmarshal(meta, &m) != nil {
			continue
		}
		pk := ""
		if m.PartitionKey != nil {
			pk = *m.PartitionKey
		}
		if pk != partitionKey {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		apps = append(apps, app{de.Name(), info.ModTime().UnixNano()})
	}
	slices.SortStableFunc(apps, func(a, b app) int {
		switch {
		case a.mod > b.mod:
			return -1
		case a.mod < b.mod:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	if len(apps) == 0 {
		return nil, nil
	}
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.id
	}
	return ids, nil
}
