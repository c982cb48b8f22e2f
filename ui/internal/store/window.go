package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"github.com/burrgo/burr/internal/trackfile"
)

// maxStepBytes bounds the bytes of log lines read for one page of steps;
// lines past it are left out and reported.
const maxStepBytes = 64 << 20

// Steps reads the lines of the steps seqs of app (from its Index) and
// returns them as a Log, with the step before the first of them, whose
// state the first is compared with, and app.Tail when it belongs to one of
// them. The caller keeps the steps it asked for. A log replaced since app
// was read is an error.
func (s *Store) Steps(app *App, seqs []int) (*Log, error) {
	lg := NewLog()
	refs := app.Index.lineRefs(seqs)
	if len(refs) > 0 {
		root, dir, err := s.openApp(app.Project, app.ID)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		f, info, err := openRegular(root, path.Join(dir, trackfile.LogFile))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if app.LogInfo != nil && !os.SameFile(app.LogInfo, info) {
			return nil, fmt.Errorf("%s was replaced while it was read", trackfile.LogFile)
		}
		var buf []byte
		total := int64(0)
		for _, ref := range refs {
			if ref.off+int64(ref.n) > app.Offset+int64(len(app.Tail)) {
				continue // a tail line, read below
			}
			total += int64(ref.n)
			if total > maxStepBytes {
				lg.errors = append(lg.errors, LineError{Line: int(ref.line),
					Msg: fmt.Sprintf("not shown: the steps of this page have more than %d MiB of lines", maxStepBytes>>20)})
				continue
			}
			buf = slices.Grow(buf[:0], int(ref.n))[:ref.n]
			if _, err := f.ReadAt(buf, ref.off); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			lg.AddLine(int(ref.line), buf)
		}
	}
	return lg, nil
}

// LineStart reports whether offset off of app's log, as read, starts a
// line of the file that is there now.
func (s *Store) LineStart(app *App, off int64) bool {
	if off == 0 {
		return true
	}
	root, dir, err := s.openApp(app.Project, app.ID)
	if err != nil {
		return false
	}
	defer root.Close()
	f, info, err := openRegular(root, path.Join(dir, trackfile.LogFile))
	if err != nil {
		return false
	}
	defer f.Close()
	var b [1]byte
	_, err = f.ReadAt(b[:], off-1)
	return err == nil && b[0] == '\n' && (app.LogInfo == nil || os.SameFile(app.LogInfo, info))
}
