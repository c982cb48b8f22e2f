package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/burrgo/burr/internal/trackfile"
)

// AppQuery selects, orders and pages a project's applications.
type AppQuery struct {
	// Sort is the column: "updated" (the default: the newest
	// modification of the directory or its log), "created" (the
	// directory's time), "id", "steps", "status" or "action".
	Sort string
	Asc  bool // ascending; the default is descending
	// Status keeps the applications whose current step has this status.
	Status Status
	// PartitionKey keeps the applications of this partition key.
	PartitionKey string
	// Text keeps the applications whose id, partition key or preview
	// contains it, ignoring case.
	Text string
	// Page is the page number, from 1; PerPage the rows per page (50 when
	// 0).
	Page, PerPage int
}

// AppList is one page of a project's applications.
type AppList struct {
	Apps    []AppSummary
	Total   int // applications in the project
	Matched int // applications the query kept
	Page    int // the page shown, from 1
	Pages   int
}

// maxPreview is the length of a preview, in characters.
const maxPreview = 120

// ListApps returns one page of the applications of a project by q. Only
// the applications of the page are summarized (their logs read) when the
// query needs no summary of the others: sorted by time or id, filtered by
// nothing but the partition key. It returns an error wrapping
// fs.ErrNotExist when the project does not exist.
func (s *Store) ListApps(project string, q AppQuery) (*AppList, error) {
	dir, err := rel(project)
	if err != nil {
		return nil, err
	}
	root, fsys, err := s.open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	names, err := subdirs(fsys, dir)
	if err != nil {
		return nil, err
	}
	if q.PerPage <= 0 {
		q.PerPage = 50
	}
	apps := make([]AppSummary, len(names))
	for i, name := range names {
		apps[i] = AppSummary{ID: name, Status: StatusNew, Steps: -2}
		apps[i].dirTime, apps[i].LastUpdate, _ = modTime(fsys, path.Join(dir, name))
	}
	list := &AppList{Total: len(apps)}
	summarize := func(a *AppSummary) {
		if a.Steps != -2 {
			return // done
		}
		appDir := path.Join(dir, a.ID)
		if md, _, err := readMetadata(root, appDir); err == nil && md.PartitionKey != nil {
			a.PartitionKey = *md.PartitionKey
		}
		logName := path.Join(appDir, trackfile.LogFile)
		a.Steps, a.LastAction, a.Status = summarizeFile(root, logName)
		a.Preview = preview(root, logName)
	}
	needAll := q.Status != "" || q.Text != "" || (q.Sort != "" && q.Sort != "updated" && q.Sort != "created" && q.Sort != "id")
	if q.PartitionKey != "" {
		// Only metadata.json is needed to filter by partition key.
		apps = slices.DeleteFunc(apps, func(a AppSummary) bool {
			md, _, err := readMetadata(root, path.Join(dir, a.ID))
			return err != nil || md.PartitionKey == nil || *md.PartitionKey != q.PartitionKey
		})
	}
	if needAll {
		for i := range apps {
			summarize(&apps[i])
		}
		text := strings.ToLower(q.Text)
		apps = slices.DeleteFunc(apps, func(a AppSummary) bool {
			if q.Status != "" && a.Status != q.Status {
				return true
			}
			return text != "" && !strings.Contains(strings.ToLower(a.ID), text) &&
				!strings.Contains(strings.ToLower(a.PartitionKey), text) && !strings.Contains(strings.ToLower(a.Preview), text)
		})
	}
	slices.SortStableFunc(apps, appOrder(q.Sort, q.Asc))
	list.Matched = len(apps)
	list.Pages = max((len(apps)+q.PerPage-1)/q.PerPage, 1)
	list.Page = min(max(q.Page, 1), list.Pages)
	lo := (list.Page - 1) * q.PerPage
	list.Apps = apps[lo:min(lo+q.PerPage, len(apps))]
	for i := range list.Apps {
		summarize(&list.Apps[i])
	}
	return list, nil
}

// appOrder compares applications by column, the newest or largest first
// unless asc; ties are broken by id.
func appOrder(col string, asc bool) func(a, b AppSummary) int {
	var by func(a, b AppSummary) int
	switch col {
	case "created":
		by = func(a, b AppSummary) int { return a.dirTime.Compare(b.dirTime) }
	case "id":
		by = func(a, b AppSummary) int { return strings.Compare(a.ID, b.ID) }
	case "steps":
		by = func(a, b AppSummary) int { return cmp.Compare(a.Steps, b.Steps) }
	case "status":
		by = func(a, b AppSummary) int { return strings.Compare(string(a.Status), string(b.Status)) }
	case "action":
		by = func(a, b AppSummary) int { return strings.Compare(a.LastAction, b.LastAction) }
	default:
		by = func(a, b AppSummary) int { return a.LastUpdate.Compare(b.LastUpdate) }
	}
	return func(a, b AppSummary) int {
		c := by(a, b)
		if !asc {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		return c
	}
}

// preview is what the application list shows of a run: the label the
// application logged (an attribute "label" of an action, not of a span),
// or else the first input of its first step, read from the first
// tailWindow bytes of its log.
func preview(root *os.Root, name string) string {
	f, fi, err := openRegular(root, name)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, min(fi.Size(), tailWindow))
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return ""
	}
	head = head[:n]
	var input string
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break // a line cut by the window
		}
		raw := head[:i]
		head = head[i+1:]
		if isBlank(raw) {
			continue
		}
		ln, err := trackfile.DecodeLine(raw)
		if err != nil {
			continue
		}
		switch m := ln.Model.(type) {
		case *trackfile.AttributeModel:
			if m.Key == "label" && (m.SpanID == nil || *m.SpanID == "") {
				return shorten(valueText(m.Value))
			}
		case *trackfile.BeginEntryModel:
			if input == "" {
				for _, f := range orderedFields(m.Inputs) {
					if t := valueText(f.Value); t != "" && !isInternalKey(f.Key) {
						input = f.Key + ": " + t
						break
					}
				}
			}
		}
	}
	return shorten(input)
}

// valueText is a JSON value as text: a string without its quotes, other
// values as JSON; "" for null and empty values.
func valueText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	t := string(bytes.TrimSpace(raw))
	switch t {
	case "null", "{}", "[]", `""`:
		return ""
	}
	return t
}

// shorten cuts s to maxPreview characters on one line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxPreview {
		return s
	}
	r := []rune(s)
	return string(r[:maxPreview]) + "…"
}
