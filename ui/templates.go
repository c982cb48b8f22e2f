package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/burrgo/burr/ui/internal/store"
)

// parseTemplates builds one template set per page: the layout, the
// shared fragments and the page itself.
func parseTemplates() map[string]*template.Template {
	base := template.Must(template.New("base").Funcs(template.FuncMap{
		"json":       prettyJSON,
		"isNull":     isNullJSON,
		"dur":        formatDuration,
		"ts":         formatTime,
		"pct":        func(f float64) template.CSS { return template.CSS(fmt.Sprintf("%.3f%%", f)) },
		"indent":     func(depth int) template.CSS { return template.CSS(fmt.Sprintf("%dpx", 6+depth*16)) },
		"rate":       func(f float64) string { return fmt.Sprintf("%.1f", f) },
		"projectURL": func(p string) string { return "/projects/" + url.PathEscape(p) },
		"appURL":     appURL,
		"add":        func(a, b int) int { return a + b },
		"short":      shortJSON,
		"shq":        shellQuote,
		"annotateView": func(p *appPage, st *store.Step) annotateView {
			return annotateView{Page: p, Step: st, Annotations: p.Annotations[st.SequenceID]}
		},
		"recorded": newRecordedView,
		"isShort":  func(raw json.RawMessage) bool { return len(raw) <= maxShort },
		"sub":      func(a, b int) int { return a - b },
		"cost":     formatCost,
	}).ParseFS(assets, "templates/layout.html", "templates/fragments.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"projects", "apps", "app", "error", "annotations"} {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(assets, "templates/"+name+".html"))
	}
	return pages
}

func appURL(project, app string) string {
	return "/projects/" + url.PathEscape(project) + "/apps/" + url.PathEscape(app)
}

func isNullJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// Limits of prettyJSON: json.Indent puts every element of a nested value
// on a line of its own, indented by its depth, so that a small value nested
// deeply (thousands of "[") would become megabytes of spaces.
const (
	maxPrettyDepth = 64      // deeper values are shown as they are written
	maxPrettyBytes = 1 << 20 // so are values whose indented text would be longer
	maxRawBytes    = 256 << 10
)

// prettyJSON indents a JSON value for display. Text that is not JSON, or
// too deeply nested or too long to indent, is shown as it is, cut after
// maxRawBytes, with a note saying so.
func prettyJSON(raw json.RawMessage) string {
	if isNullJSON(raw) {
		return "null"
	}
	depth, size := indentedSize(raw)
	var note string
	switch {
	case depth > maxPrettyDepth:
		note = fmt.Sprintf("shown unformatted: nested %d levels deep", depth)
	case size > maxPrettyBytes:
		note = "shown unformatted: too long"
	default:
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err == nil {
			return buf.String()
		}
	}
	text := string(raw)
	if len(raw) > maxRawBytes {
		cut := maxRawBytes
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut-- // do not split a character
		}
		text = string(raw[:cut])
		if note != "" {
			note += "; "
		}
		note += fmt.Sprintf("truncated, %d more bytes", len(raw)-cut)
	}
	if note != "" {
		text += "\n… (" + note + ")"
	}
	return text
}

// indentedSize returns how deeply a JSON text nests and about how long it
// would be once indented by json.Indent with two spaces per level.
func indentedSize(raw []byte) (maxDepth, size int) {
	depth, inString, escaped := 0, false, false
	size = len(raw)
	for _, c := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			maxDepth = max(maxDepth, depth)
			size += 1 + 2*depth
		case '}', ']':
			depth--
			size += 1 + 2*max(depth, 0)
		case ',':
			size += 1 + 2*depth
		case ':':
			size++
		}
	}
	return maxDepth, size
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// formatTime shows a time as a <time> element: its UTC instant in the
// datetime attribute, which the page's script shows in the viewer's time
// zone, and the server's local time as the text shown without script.
func formatTime(t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	return template.HTML(`<time datetime="` + t.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `">` +
		t.Local().Format("2006-01-02 15:04:05.000") + `</time>`)
}

// maxShort is the length up to which a value is shown on one line.
const maxShort = 160

// shortJSON is a JSON value on one line, cut after maxShort bytes.
func shortJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if len(raw) > 4*maxShort || json.Compact(&buf, raw) != nil {
		buf.Reset()
		buf.Write(raw[:min(len(raw), 4*maxShort)])
	}
	b := buf.Bytes()
	if len(b) <= maxShort {
		return string(b)
	}
	cut := maxShort
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// recordedView is a stream's recorded items with its rate.
type recordedView struct {
	Rec  *store.Recorded
	Rate float64 // items per second since the stream began, 0 when unknown
}

func newRecordedView(rec *store.Recorded, stream *store.Stream) recordedView {
	v := recordedView{Rec: rec}
	var start time.Time
	if stream != nil && stream.HasInit {
		start = stream.Init
	}
	v.Rate = rec.ItemsPerSecond(start)
	return v
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// annotateView is a step with its annotations, for the "annotate" fragment.
type annotateView struct {
	Page        *appPage
	Step        *store.Step
	Annotations []store.Annotation
}
