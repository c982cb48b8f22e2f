package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"time"
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
	}).ParseFS(assets, "templates/layout.html", "templates/fragments.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"projects", "apps", "app"} {
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

// prettyJSON indents a JSON value for display; text that is not JSON is
// shown as it is.
func prettyJSON(raw json.RawMessage) string {
	if isNullJSON(raw) {
		return "null"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
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

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05.000")
}
