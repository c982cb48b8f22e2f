package ui

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/burrgo/burr/ui/internal/store"
)

// sameOrigin reports whether a request that changes data comes from a page
// of this server, so that another site cannot make a visitor's browser
// post to it (cross-site request forgery). Browsers say where a request
// comes from in Sec-Fetch-Site, and in Origin (which is "null" under the
// UI's no-referrer policy); a client that sends neither (curl, a script)
// is not a browser another site can drive, and its Referer is checked when
// present.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return o != "null" && err == nil && strings.EqualFold(u.Host, r.Host)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
	return true
}

// maxAnnotationForm bounds the body of an annotation.
const maxAnnotationForm = 64 << 10

// handleAnnotate records an annotation of a step (a verdict, a note and
// tags) in the project's annotations.jsonl, and goes back to the step.
func (s *Server) handleAnnotate(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site: annotations are only taken from the UI's own pages.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAnnotationForm)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The annotation could not be read: "+err.Error())
		return
	}
	project, app := r.PathValue("project"), r.PathValue("app")
	seq, err := strconv.Atoi(r.PostFormValue("seq"))
	verdict := r.PostFormValue("verdict")
	if err != nil || seq < 0 || (verdict != "good" && verdict != "bad") {
		s.errorPage(w, r, http.StatusBadRequest, `An annotation needs the step's sequence id ("seq") and a verdict ("good" or "bad").`)
		return
	}
	var tags []string
	for _, t := range strings.Split(r.PostFormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	_, err = s.store.Annotate(project, store.NewAnnotation{AppID: app, Sequence: seq, StepName: r.PostFormValue("step"),
		Good: verdict == "good", Note: strings.TrimSpace(r.PostFormValue("note")), Tags: tags})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, appURL(project, app)+"?step="+strconv.Itoa(seq)+"#step-"+strconv.Itoa(seq), http.StatusSeeOther)
}

type annotationsPage struct {
	Project     string
	Annotations []store.Annotation
	Bad         int // lines that could not be read
}

// handleAnnotations lists a project's annotations, newest first.
func (s *Server) handleAnnotations(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	anns, bad, err := s.store.Annotations(project)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.store.ListApps(project, store.AppQuery{PerPage: 1}); err != nil {
		s.fail(w, r, err) // no such project
		return
	}
	for i, j := 0, len(anns)-1; i < j; i, j = i+1, j-1 {
		anns[i], anns[j] = anns[j], anns[i]
	}
	s.render(w, "annotations", annotationsPage{Project: project, Annotations: anns, Bad: bad})
}

// handleAnnotationsExport downloads a project's annotations as JSON (the
// records as Burr writes them, in an array) or CSV (one row per
// annotation).
func (s *Server) handleAnnotationsExport(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	anns, _, err := s.store.Annotations(project)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if anns == nil {
		anns = []store.Annotation{}
	}
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, project) + "-annotations"
	switch r.URL.Query().Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "project_id", "app_id", "partition_key", "step_sequence_id", "step_name", "verdict", "note", "tags", "created", "updated"})
		for _, a := range anns {
			pk := ""
			if a.PartitionKey != nil {
				pk = *a.PartitionKey
			}
			_ = cw.Write([]string{strconv.Itoa(a.ID), a.ProjectID, a.AppID, pk, strconv.Itoa(a.StepSequenceID), a.StepName,
				a.Verdict(), a.Note(), strings.Join(a.Tags, ","), a.Created, a.Updated})
		}
		cw.Flush()
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(anns)
	}
}
