package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/burrgo/burr/internal/trackfile"
)

// AnnotationsFile is the file of a project directory that holds its
// annotations, in the form of Burr's tracking server's local backend
// (burr/tracking/server/backend.py): one AnnotationOut per line.
const AnnotationsFile = "annotations.jsonl"

// maxAnnotationsFile bounds the annotations file read.
const maxAnnotationsFile = 64 << 20

// AnnotationPointer is Burr's AnnotationDataPointer: a state field or an
// attribute an observation is about.
type AnnotationPointer struct {
	Type      string  `json:"type"` // "state_field" or "attribute"
	FieldName string  `json:"field_name"`
	SpanID    *string `json:"span_id"`
}

// Observation is Burr's AnnotationObservation: a verdict (thumbs up, true,
// or down, false) and data fields ("note", "ground_truth").
type Observation struct {
	DataFields   map[string]any      `json:"data_fields"`
	ThumbsUpDown *bool               `json:"thumbs_up_thumbs_down"`
	DataPointers []AnnotationPointer `json:"data_pointers"`
}

// Annotation is Burr's AnnotationOut: an annotation of one step of a run,
// with its fields in the order Burr writes them.
type Annotation struct {
	SpanID         *string       `json:"span_id"`
	StepName       string        `json:"step_name"`
	Tags           []string      `json:"tags"`
	Observations   []Observation `json:"observations"`
	ID             int           `json:"id"`
	ProjectID      string        `json:"project_id"`
	AppID          string        `json:"app_id"`
	PartitionKey   *string       `json:"partition_key"`
	StepSequenceID int           `json:"step_sequence_id"`
	Created        string        `json:"created"`
	Updated        string        `json:"updated"`
}

// Verdict is "good" or "bad" from the first observation's thumbs, "" when
// it has none.
func (a *Annotation) Verdict() string {
	for _, o := range a.Observations {
		if o.ThumbsUpDown != nil {
			if *o.ThumbsUpDown {
				return "good"
			}
			return "bad"
		}
	}
	return ""
}

// Note is the "note" data field of the observations, joined.
func (a *Annotation) Note() string {
	var notes []string
	for _, o := range a.Observations {
		if n, ok := o.DataFields["note"].(string); ok && n != "" {
			notes = append(notes, n)
		}
	}
	return strings.Join(notes, "\n")
}

// CreatedTime is the creation time, zero when unreadable.
func (a *Annotation) CreatedTime() time.Time {
	t, _ := trackfile.ParseTime(a.Created)
	return t
}

// Annotations reads the annotations of a project, in file order; lines that
// cannot be read are skipped and counted in bad.
func (s *Store) Annotations(project string) (anns []Annotation, bad int, err error) {
	p, err := rel(project, AnnotationsFile)
	if err != nil {
		return nil, 0, err
	}
	root, _, err := s.open()
	if err != nil {
		return nil, 0, err
	}
	defer root.Close()
	data, err := readRegular(root, p, maxAnnotationsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a Annotation
		if json.Unmarshal(line, &a) != nil {
			bad++
			continue
		}
		anns = append(anns, a)
	}
	return anns, bad, nil
}

// NewAnnotation is what a user says of a step.
type NewAnnotation struct {
	AppID    string
	Sequence int
	StepName string
	Good     bool
	Note     string
	Tags     []string
}

// Annotate appends an annotation of a step to the project's
// annotations.jsonl, with the next id, as Burr's local backend does. The
// application must exist. Annotate serializes its writers.
func (s *Store) Annotate(project string, n NewAnnotation) (Annotation, error) {
	if _, err := rel(project, n.AppID); err != nil {
		return Annotation{}, err
	}
	s.annMu.Lock()
	defer s.annMu.Unlock()
	root, fsys, err := s.open()
	if err != nil {
		return Annotation{}, err
	}
	defer root.Close()
	if _, err := appDir(fsys, project, n.AppID); err != nil {
		return Annotation{}, err
	}
	anns, _, err := s.Annotations(project)
	if err != nil {
		return Annotation{}, err
	}
	id := 0
	for _, a := range anns {
		id = max(id, a.ID+1)
	}
	var pk *string
	if md, _, err := readMetadata(root, path.Join(project, n.AppID)); err == nil {
		pk = md.PartitionKey
	}
	now := string(trackfile.AppendLocal(nil, time.Now()))
	good := n.Good
	obs := Observation{DataFields: map[string]any{}, ThumbsUpDown: &good, DataPointers: []AnnotationPointer{}}
	if n.Note != "" {
		obs.DataFields["note"] = n.Note
	}
	tags := slices.DeleteFunc(slices.Clone(n.Tags), func(t string) bool { return t == "" })
	if tags == nil {
		tags = []string{}
	}
	a := Annotation{StepName: n.StepName, Tags: tags, Observations: []Observation{obs}, ID: id, ProjectID: project,
		AppID: n.AppID, PartitionKey: pk, StepSequenceID: n.Sequence, Created: now, Updated: now}
	line, err := json.Marshal(a)
	if err != nil {
		return Annotation{}, err
	}
	p, _ := rel(project, AnnotationsFile)
	if fi, err := root.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return Annotation{}, &errNotRegular{p, fi.Mode()}
	}
	f, err := root.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNonblock, 0o644)
	if err != nil {
		return Annotation{}, err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return Annotation{}, fmt.Errorf("%s: %w", AnnotationsFile, err)
	}
	return a, f.Close()
}
