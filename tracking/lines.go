package tracking

import "github.com/burrgo/burr/tracking/internal/lines"

// The line encoders live in tracking/internal/lines, shared with the
// PostgreSQL tracker so that both write the same bytes.
var (
	appendValue           = lines.AppendValue
	appendObject          = lines.AppendObject
	appendState           = lines.AppendState
	exceptionText         = lines.ExceptionText
	appendBeginEntry      = lines.AppendBeginEntry
	appendEndEntry        = lines.AppendEndEntry
	appendBeginSpan       = lines.AppendBeginSpan
	appendEndSpan         = lines.AppendEndSpan
	appendAttributes      = lines.AppendAttributes
	appendBeginStream     = lines.AppendBeginStream
	appendFirstItemStream = lines.AppendFirstItemStream
	appendEndStream       = lines.AppendEndStream
	appendChildLine       = lines.AppendChildLine
	graphJSON             = lines.GraphJSON
	metadataJSON          = lines.MetadataJSON
)

const (
	eventFork       = lines.EventFork
	eventSpawnStart = lines.EventSpawnStart
)
