package tracking

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/trackfile"
)

// ErrNotFound is returned by Load when there is no state to load: no such
// application, no log.jsonl, an empty one, or no end_entry with the requested
// sequence id. It wraps burr.ErrNotFound, so WithInitializeFrom starts from
// its defaults.
var ErrNotFound = fmt.Errorf("tracking: %w", burr.ErrNotFound)

// Load reads a state back from an application's log.jsonl, as Burr's
// LocalTrackingClient.load does: the last end_entry line, or, when
// at.SequenceID is not [burr.Latest], the last end_entry with that sequence id.
// The record's state is the logged state with every "__" key stripped and
// burr.SequenceIDKey set to the entry's sequence id; its position is the
// entry's action; its status is failed when the entry holds an exception and
// completed otherwise; CreatedAt is the log file's modification time.
//
// Lines are read by the reading rules of Burr's format that the UI follows
// too: a line that is not an end_entry by those rules (not valid JSON, cut
// short by a crash, without a sequence id) is skipped, so that an
// application whose process crashed in the middle of writing a line can be
// resumed from the last whole entry. An end_entry whose action, exception or
// state cannot be read is an error.
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
	t.flushApp(appID) // lines still in the buffer
	path := filepath.Join(t.appDir(appID), LogFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return burr.Record{}, fmt.Errorf("%w: no tracked application %q in %s", ErrNotFound, appID, t.dir)
	}
	if err != nil {
		return burr.Record{}, fmt.Errorf("tracking: %w", err)
	}
	entry, problems := findEndEntry(data, sequenceID)
	if entry == nil {
		if sequenceID == burr.Latest {
			return burr.Record{}, fmt.Errorf("%w: application %q has no completed step", ErrNotFound, appID)
		}
		return burr.Record{}, fmt.Errorf("%w: application %q has no step with sequence id %d", ErrNotFound, appID, sequenceID)
	}
	seq := entry.SequenceID
	for _, p := range problems {
		if p.Field == "action" || p.Field == "exception" || p.Field == "state" {
			return burr.Record{}, fmt.Errorf("tracking: %s: step %d: %w", path, seq, &p)
		}
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

// findEndEntry returns the end_entry to load, the last one or the last one
// with sequence id want, with its problems; nil when there is none. It reads
// the lines from the end, decoding only those that may be end entries.
func findEndEntry(data []byte, want int) (*trackfile.EndEntryModel, []trackfile.FieldError) {
	for len(data) > 0 {
		var line []byte
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			line, data = data[i+1:], data[:i]
		} else {
			line, data = data, nil
		}
		if !trackfile.MayBe(line, trackfile.EndEntry) {
			continue
		}
		l, err := trackfile.DecodeLine(line)
		if err != nil || l.Kind != trackfile.EndEntry {
			continue
		}
		if e := l.Model.(*trackfile.EndEntryModel); want == burr.Latest || e.SequenceID == want {
			return e, l.Problems
		}
	}
	return nil, nil
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
		var m trackfile.ApplicationMetadataModel
		if _, err := trackfile.Decode(meta, &m); err != nil {
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
