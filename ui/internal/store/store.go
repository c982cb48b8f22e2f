// Package store reads the files a Burr tracker writes (described in
// docs/tracking-format.md): projects, applications, graph.json, metadata.json,
// children.jsonl and log.jsonl, both from the Go tracker and from Python
// Burr, through package trackfile and by its reading rules, which the
// application list and the application page share. It only reads, and only
// inside its directory.
package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/burrgo/burr/internal/trackfile"
)

// ErrBadID reports an id taken from a URL that cannot name a directory
// inside the storage directory.
var ErrBadID = errors.New("invalid id")

// ValidID reports whether id may be used as one path element under the
// storage directory. It is the tracker's rule for application ids, so that
// every application the tracker writes can be listed and opened: it
// refuses only the empty id, "." and "..", path separators ("/" and "\\")
// and NUL. Staying inside the directory is enforced by opening every file
// through an os.Root; ids are escaped by url.PathEscape and html/template
// wherever they are shown.
func ValidID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`) && !strings.ContainsRune(id, 0)
}

// Store reads a tracking directory. Every file access goes through an
// os.Root opened on the directory, so that even a symbolic link inside it
// cannot lead a request outside. Files are read at each call; a Store is
// safe for concurrent use.
type Store struct {
	dir   string
	annMu sync.Mutex // serializes Annotate
}

// New returns a Store for the tracking directory dir, which need not
// exist yet.
func New(dir string) *Store { return &Store{dir: dir} }

// Dir is the tracking directory.
func (s *Store) Dir() string { return s.dir }

// rel joins validated ids into a slash-separated path relative to the
// storage root, and checks once more that the result stays inside it.
func rel(elems ...string) (string, error) {
	for _, e := range elems {
		if !ValidID(e) {
			return "", fmt.Errorf("%w: %q", ErrBadID, e)
		}
	}
	p := path.Join(elems...)
	if !fs.ValidPath(p) || !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p {
		return "", fmt.Errorf("%w: %q", ErrBadID, p)
	}
	return p, nil
}

// open returns the storage directory as an os.Root and as an fs.FS
// confined to it. The caller must close the root.
func (s *Store) open() (*os.Root, fs.FS, error) {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, nil, err
	}
	return root, root.FS(), nil
}

// Limits of the small files of an application directory.
const (
	maxJSONFile     = 16 << 20 // graph.json, metadata.json
	maxChildrenFile = 64 << 20 // children.jsonl
)

// Project is one directory of the storage directory.
type Project struct {
	Name       string
	Apps       int
	LastUpdate time.Time
}

// AppSummary is one row of a project's application list.
type AppSummary struct {
	ID           string
	PartitionKey string
	Steps        int    // as the application page counts them: sequence ids with a begin_entry
	LastAction   string // of the current step (Log.Latest): the last begin_entry's
	Status       Status // of the current step
	LastUpdate   time.Time
	// Preview is what the list shows of the run: the label the
	// application logged (attribute "label"), or its first input.
	Preview string
	dirTime time.Time
}

// Created is the modification time of the application's directory, which
// the tracker creates with the run (Burr's server orders runs by it).
func (a AppSummary) Created() time.Time { return a.dirTime }

// modTime is the newest modification time of dir and of dir/log.jsonl.
func modTime(fsys fs.FS, dir string) (dirTime, newest time.Time, ok bool) {
	fi, err := fs.Stat(fsys, dir)
	if err != nil || !fi.IsDir() {
		return time.Time{}, time.Time{}, false
	}
	dirTime, newest = fi.ModTime(), fi.ModTime()
	if li, err := fs.Stat(fsys, path.Join(dir, trackfile.LogFile)); err == nil && li.ModTime().After(newest) {
		newest = li.ModTime()
	}
	return dirTime, newest, true
}

// subdirs lists the directories directly inside dir whose names are valid ids.
func subdirs(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !ValidID(e.Name()) {
			continue
		}
		if e.IsDir() {
			names = append(names, e.Name())
			continue
		}
		if fi, err := fs.Stat(fsys, path.Join(dir, e.Name())); err == nil && fi.IsDir() {
			names = append(names, e.Name()) // a symbolic link to a directory
		}
	}
	return names, nil
}

// Projects lists the projects, newest first. A storage directory that
// does not exist yet has no projects.
func (s *Store) Projects() ([]Project, error) {
	root, fsys, err := s.open()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	names, err := subdirs(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []Project
	for _, name := range names {
		p := Project{Name: name}
		_, p.LastUpdate, _ = modTime(fsys, name)
		apps, _ := subdirs(fsys, name)
		for _, a := range apps {
			p.Apps++
			if _, t, ok := modTime(fsys, path.Join(name, a)); ok && t.After(p.LastUpdate) {
				p.LastUpdate = t
			}
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Project) int {
		if c := b.LastUpdate.Compare(a.LastUpdate); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Apps lists the applications of a project, newest first by directory
// modification time (as Burr's server does). It reads the end of each
// log only. It returns an error
// wrapping fs.ErrNotExist when the project does not exist.
func (s *Store) Apps(project string) ([]AppSummary, error) {
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
	var out []AppSummary
	for _, name := range names {
		appDir := path.Join(dir, name)
		a := AppSummary{ID: name, Status: StatusNew}
		a.dirTime, a.LastUpdate, _ = modTime(fsys, appDir)
		if md, _, err := readMetadata(root, appDir); err == nil && md.PartitionKey != nil {
			a.PartitionKey = *md.PartitionKey
		}
		a.Steps, a.LastAction, a.Status = summarizeFile(root, path.Join(appDir, trackfile.LogFile))
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b AppSummary) int {
		if c := b.dirTime.Compare(a.dirTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// The files of an application, as package trackfile models them.
type (
	// Pointer names another application (PointerModel).
	Pointer = trackfile.PointerModel
	// Metadata is metadata.json (ApplicationMetadataModel).
	Metadata = trackfile.ApplicationMetadataModel
	// Child is one line of children.jsonl: an application forked or
	// spawned from this one (ChildApplicationModel).
	Child = trackfile.ChildApplicationModel
	// Graph is graph.json (ApplicationModel).
	Graph = trackfile.ApplicationModel
	// GraphAction is one action of graph.json (ActionModel).
	GraphAction = trackfile.ActionModel
	// GraphTransition is one transition of graph.json (TransitionModel).
	GraphTransition = trackfile.TransitionModel
)

// readJSONFile reads graph.json or metadata.json of an application
// directory into model. A file that cannot be decoded is an error; fields
// that cannot be read are returned as problems.
func readJSONFile(root *os.Root, appDir, name string, model any) ([]string, error) {
	data, err := readRegular(root, path.Join(appDir, name), maxJSONFile)
	if err != nil {
		return nil, err
	}
	fields, err := trackfile.Decode(data, model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var problems []string
	for _, f := range fields {
		problems = append(problems, name+": "+f.Error())
	}
	return problems, nil
}

func readMetadata(root *os.Root, appDir string) (*Metadata, []string, error) {
	var md Metadata
	problems, err := readJSONFile(root, appDir, trackfile.MetadataFile, &md)
	if err != nil {
		return nil, nil, err
	}
	return &md, problems, nil
}

// App is what the application page shows of an application: its files,
// and the Index of its log, from which the page reads the steps it shows
// (Store.Steps).
type App struct {
	Project  string
	ID       string
	Metadata *Metadata // nil when metadata.json is missing
	Graph    *Graph    // nil when graph.json is missing
	Children []Child   // spawned children and forks, in file order
	// ChildRuns are the spawned children as their own files tell (at most
	// maxChildRuns of them), in the order of Children.
	ChildRuns []ChildRun
	Index     *Index // the complete lines of log.jsonl
	// Items locates the lines of stream_items.jsonl; nil without one.
	Items    *ItemIndex
	Problems []string // files that could not be read or parsed
	// Offset is the length of the log indexed: complete lines only.
	Offset  int64
	Tail    []byte      // what follows the last newline of log.jsonl, when not over MaxLine
	LogInfo fs.FileInfo // of the log.jsonl read, nil when there is none
}

// Files is what an application directory holds besides its log.
type Files struct {
	Metadata  *Metadata // nil when metadata.json is missing
	Graph     *Graph    // nil when graph.json is missing
	Children  []Child
	ChildRuns []ChildRun // the spawned children, as App.ChildRuns
	Problems  []string   // files that could not be read or parsed
}

// readFiles reads metadata.json, graph.json and children.jsonl of the
// application directory dir of project, and the logs of its spawned
// children.
func readFiles(root *os.Root, project, dir string) *Files {
	f := &Files{}
	if md, problems, err := readMetadata(root, dir); err == nil {
		f.Metadata = md
		f.Problems = append(f.Problems, problems...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		f.Problems = append(f.Problems, err.Error())
	}
	var g Graph
	if problems, err := readJSONFile(root, dir, trackfile.GraphFile, &g); err == nil {
		f.Graph = &g
		f.Problems = append(f.Problems, problems...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		f.Problems = append(f.Problems, err.Error())
	}
	var problems []string
	f.Children, problems = readChildren(root, dir)
	f.Problems = append(f.Problems, problems...)
	f.ChildRuns = childRuns(root, project, f.Children)
	return f
}

// appDir checks the ids and that project/id is a directory, and returns
// its path relative to the root.
func appDir(fsys fs.FS, project, id string) (string, error) {
	dir, err := rel(project, id)
	if err != nil {
		return "", err
	}
	fi, err := fs.Stat(fsys, dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
	}
	return dir, nil
}

// openApp checks project/id and opens the application's directory under the
// storage root; the caller closes the returned Closer.
func (s *Store) openApp(project, id string) (*os.Root, string, error) {
	if _, err := rel(project, id); err != nil {
		return nil, "", err
	}
	root, fsys, err := s.open()
	if err != nil {
		return nil, "", err
	}
	dir, err := appDir(fsys, project, id)
	if err != nil {
		root.Close()
		return nil, "", err
	}
	return root, dir, nil
}

// App reads one application: its files, and the index of its log, read
// once in a bounded buffer. It returns an error wrapping fs.ErrNotExist
// when the application directory does not exist; missing or corrupt files
// inside it are reported in App.Problems instead.
func (s *Store) App(project, id string) (*App, error) {
	root, dir, err := s.openApp(project, id)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	files := readFiles(root, project, dir)
	app := &App{Project: project, ID: id, Index: NewIndex(), Metadata: files.Metadata, Graph: files.Graph,
		Children: files.Children, ChildRuns: files.ChildRuns, Problems: files.Problems}
	if err := s.scanLog(root, app); err != nil && !errors.Is(err, fs.ErrNotExist) {
		app.Problems = append(app.Problems, trackfile.LogFile+": "+err.Error())
	}
	if _, err := scanItems(root, app); err != nil {
		app.Problems = append(app.Problems, trackfile.StreamItemsFile+": "+err.Error())
	}
	return app, nil
}

// scanLog extends app.Index with the log's complete lines from app.Offset
// on, and reads the last line without a newline into app.Tail. Only
// complete lines are indexed: a final line without a newline may still be
// being written. The page shows Tail too (a finished run may lack the last
// newline); the live view resumes at Offset.
func (s *Store) scanLog(root *os.Root, app *App) error {
	p, err := rel(app.Project, app.ID, trackfile.LogFile)
	if err != nil {
		return err
	}
	f, info, err := openRegular(root, p)
	if err != nil {
		return err
	}
	defer f.Close()
	app.LogInfo = info
	if err := app.Index.Scan(f, info.Size()); err != nil {
		return err
	}
	app.Offset, app.Tail = app.Index.Size(), nil
	if rest := info.Size() - app.Offset; rest > 0 && rest <= MaxLine {
		app.Tail = make([]byte, rest)
		n, err := f.ReadAt(app.Tail, app.Offset)
		app.Tail = app.Tail[:n]
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	return nil
}

// Files reads metadata.json, graph.json and children.jsonl of project/id
// again.
func (s *Store) Files(project, id string) (*Files, error) {
	root, dir, err := s.openApp(project, id)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readFiles(root, project, dir), nil
}

// readChildren reads children.jsonl of an application directory; a
// missing file means no children.
func readChildren(root *os.Root, dir string) ([]Child, []string) {
	data, err := readRegular(root, path.Join(dir, trackfile.ChildrenFile), maxChildrenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []string{err.Error()}
	}
	var out []Child
	var problems []string
	for i, line := range SplitLines(data) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		l, err := trackfile.DecodeLine(line)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s line %d: %v", trackfile.ChildrenFile, i+1, err))
			continue
		case l.Kind != trackfile.ChildApplication:
			problems = append(problems, fmt.Sprintf("%s line %d: unexpected %s line", trackfile.ChildrenFile, i+1, l.Kind))
			continue
		case len(l.Problems) > 0:
			problems = append(problems, fmt.Sprintf("%s line %d: %s", trackfile.ChildrenFile, i+1, l.Problem()))
		}
		ch := l.Model.(*Child)
		if ch.Child.AppID == "" {
			problems = append(problems, fmt.Sprintf("%s line %d: empty child app_id", trackfile.ChildrenFile, i+1))
			continue
		}
		out = append(out, *ch)
	}
	return out, problems
}

// Refresh extends app with what was added to its log since it was read,
// reading only the new lines, and reads its other files again when the
// log grew or they were missing. It reports reset when the log was
// replaced by another file or truncated: the index is then built again
// from the start of the new file. Steps with new lines are listed by
// app.Index.Touched once Track was called.
func (s *Store) Refresh(app *App) (reset bool, err error) {
	root, dir, err := s.openApp(app.Project, app.ID)
	if err != nil {
		return false, err
	}
	defer root.Close()
	p := path.Join(dir, trackfile.LogFile)
	f, info, err := openRegular(root, p)
	if err != nil {
		return false, err
	}
	continues := app.LogInfo == nil || os.SameFile(app.LogInfo, info)
	if continues && app.Offset > 0 {
		// The byte before the offset must still end a line.
		var b [1]byte
		_, rerr := f.ReadAt(b[:], app.Offset-1)
		continues = rerr == nil && b[0] == '\n' && info.Size() >= app.Offset
	}
	f.Close()
	if !continues {
		tracked := app.Index.touched != nil
		app.Index, app.Offset, app.Tail, app.LogInfo = NewIndex(), 0, nil, nil
		if tracked {
			app.Index.Track()
		}
		reset = true
	}
	if err := s.scanLog(root, app); err != nil {
		return reset, err
	}
	_, err = scanItems(root, app)
	return reset, err
}
