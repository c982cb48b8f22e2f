package store

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"time"

	"github.com/burrgo/burr/internal/trackfile"
)

// ItemIndex locates the lines of stream_items.jsonl, which the tracker
// writes when it records streamed items (tracking.WithStreamItems): the
// item lines and the stream_end line of each step.
type ItemIndex struct {
	size    int64
	info    fs.FileInfo
	items   map[int][]lineRef
	ends    map[int]lineRef
	lines   int
	touched map[int]bool
}

func newItemIndex() *ItemIndex {
	return &ItemIndex{items: map[int][]lineRef{}, ends: map[int]lineRef{}, touched: map[int]bool{}}
}

// Touched returns the steps that got item lines since the last call, and
// forgets them.
func (x *ItemIndex) Touched() []int {
	out := make([]int, 0, len(x.touched))
	for seq := range x.touched {
		out = append(out, seq)
	}
	slices.Sort(out)
	clear(x.touched)
	return out
}

// Has reports whether step seq has recorded items or an end.
func (x *ItemIndex) Has(seq int) bool {
	_, ended := x.ends[seq]
	return len(x.items[seq]) > 0 || ended
}

func (x *ItemIndex) scan(r io.ReaderAt, size int64) error {
	end, err := scanLines(r, x.size, size, readBuf, func(off int64, raw []byte, n int64) bool {
		x.lines++
		if raw == nil {
			return true
		}
		li := classify(raw)
		if !li.ok {
			return true // not a line of the format: skipped
		}
		ref := lineRef{off: off, n: int32(len(raw)), line: int32(x.lines)}
		switch li.kind {
		case trackfile.StreamItem:
			x.items[li.seq] = append(x.items[li.seq], ref)
		case trackfile.StreamEndRecord:
			x.ends[li.seq] = ref
		default:
			return true
		}
		x.touched[li.seq] = true
		return true
	})
	x.size = end
	return err
}

// scanItems extends app.Items with the new lines of stream_items.jsonl; a
// file replaced or truncated is read again. It reports whether lines were
// added.
func scanItems(root *os.Root, app *App) (bool, error) {
	p, err := rel(app.Project, app.ID, trackfile.StreamItemsFile)
	if err != nil {
		return false, err
	}
	f, info, err := openRegular(root, p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if app.Items == nil || (app.Items.info != nil && !os.SameFile(app.Items.info, info)) || info.Size() < app.Items.size {
		app.Items = newItemIndex()
	}
	before := app.Items.lines
	app.Items.info = info
	err = app.Items.scan(f, info.Size())
	return app.Items.lines != before, err
}

// Recorded is what the tracker recorded of one stream: its items, as they
// arrived, and how it ended.
type Recorded struct {
	Count   int               // items recorded so far
	Items   []json.RawMessage // the last items, at most maxShownItems
	Skipped int               // earlier items not in Items
	// Text is the items joined, when every item shown is a string: an
	// answer streamed token by token.
	Text    string
	IsText  bool
	First   time.Time // when the first item was recorded
	Last    time.Time // when the last one was
	Ended   bool
	Outcome string // "completed", "stopped", "closed" or "failed", once Ended
	Error   string // why it failed or was closed
}

// Limits of the items shown for one stream.
const (
	maxShownItems = 2000
	maxItemBytes  = 1 << 20
)

// ItemsPerSecond is the count divided by the time from start (the stream's
// start, or the first item when start is zero) to the last item.
func (r *Recorded) ItemsPerSecond(start time.Time) float64 {
	if start.IsZero() {
		start = r.First
	}
	d := r.Last.Sub(start)
	if d <= 0 || r.Count == 0 {
		return 0
	}
	return float64(r.Count) / d.Seconds()
}

type itemLine struct {
	Index   int             `json:"index"`
	Time    string          `json:"time"`
	Item    json.RawMessage `json:"item"`
	Outcome string          `json:"outcome"`
	Error   *string         `json:"error"`
}

// Recorded reads what stream_items.jsonl holds for step seq of app: the
// last items (at most maxShownItems, maxItemBytes) and the end. It returns
// nil when the step has none.
func (s *Store) Recorded(app *App, seq int) (*Recorded, error) {
	if app.Items == nil || !app.Items.Has(seq) {
		return nil, nil
	}
	root, dir, err := s.openApp(app.Project, app.ID)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, info, err := openRegular(root, path.Join(dir, trackfile.StreamItemsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if app.Items.info != nil && !os.SameFile(app.Items.info, info) {
		return nil, errors.New(trackfile.StreamItemsFile + " was replaced while it was read")
	}
	read := func(ref lineRef) (itemLine, bool) {
		buf := make([]byte, ref.n)
		if _, err := f.ReadAt(buf, ref.off); err != nil && !errors.Is(err, io.EOF) {
			return itemLine{}, false
		}
		var l itemLine
		return l, json.Unmarshal(buf, &l) == nil
	}
	refs := app.Items.items[seq]
	rec := &Recorded{Count: len(refs)}
	from, total := len(refs), 0
	for from > 0 && len(refs)-from < maxShownItems && total+int(refs[from-1].n) <= maxItemBytes {
		from--
		total += int(refs[from].n)
	}
	rec.Skipped = from
	rec.IsText = true
	var text []byte
	for i, ref := range refs[from:] {
		l, ok := read(ref)
		if !ok {
			continue
		}
		t, _ := trackfile.ParseTime(l.Time)
		if i == 0 && from == 0 {
			rec.First = t
		}
		rec.Last = t
		rec.Items = append(rec.Items, l.Item)
		var str string
		if rec.IsText && json.Unmarshal(l.Item, &str) == nil {
			text = append(text, str...)
		} else {
			rec.IsText = false
		}
	}
	if from > 0 {
		if l, ok := read(refs[0]); ok {
			rec.First, _ = trackfile.ParseTime(l.Time)
		}
	}
	if rec.IsText && len(rec.Items) > 0 {
		rec.Text = string(text)
	} else {
		rec.IsText = false
	}
	if ref, ok := app.Items.ends[seq]; ok {
		if l, ok := read(ref); ok {
			rec.Ended, rec.Outcome = true, l.Outcome
			if l.Error != nil {
				rec.Error = *l.Error
			}
		}
	}
	return rec, nil
}
