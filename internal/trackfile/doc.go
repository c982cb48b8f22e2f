// Package trackfile is Burr's tracking format in one place: the names of the
// files in an application's directory, the kinds of lines of log.jsonl and
// children.jsonl, the models of every line and file with their JSON names in
// the order Burr's pydantic models declare them (docs/tracking-format.md),
// the two timestamp styles, and the one decoder of a line that
// every reader uses: the loader of package tracking and the UI's store. The
// writer (package tracking) encodes the same models by hand, without
// allocating; its tests check it against them.
//
// # Reading rules
//
// A log written by a crashed process, by hand or by another program can be
// malformed. Every reader applies the same rules, so that the application
// list, the application page and the loader agree on what a log holds.
//
// Lines. A line is one JSON object; blank lines are ignored. Anything else
// (invalid JSON, a line cut short, an array) is not a line of the format and
// is skipped ([ErrInvalidJSON], [ErrNotObject]).
//
// Names. Member names are compared exactly, after JSON unescaping:
// "\u0074ype" is "type", "Type" is not. When a name repeats, its last value
// counts, as in Python's json.loads.
//
// Kind. The kind of a line is the string value of its "type" member (escapes
// allowed). A line without one is skipped ([ErrMissingType]), as is one of a
// kind the format does not have ([ErrUnknownKind]).
//
// Identifying fields. Each kind has fields without which a line cannot be
// placed: sequence_id for entries; action_sequence_id and span_id for spans;
// action_sequence_id for attributes and stream lines; child and its app_id for
// children.jsonl lines. A sequence id is a JSON integer, a span id a string.
// A line whose identifying field is missing or of another type is skipped
// (a [*FieldError] as error).
//
// Other fields. Any other field that is missing, null where the model does
// not allow null, of another type, or (for timestamps) not in one of the two
// timestamp styles reads as its zero value, and the line still counts: the
// problem is listed in [Line.Problems]. A begin_entry whose start_time is a
// number is still the start of its step, with an unknown start time. Fields
// that Burr's models give a default (tagged trackfile:"optional") may be
// missing or null without a problem. Members the model does not have are
// ignored.
//
// Steps. A step is a sequence id that has a begin_entry. Its action, start
// time and inputs are those of the last begin_entry with that id, which
// starts the step afresh: an end_entry written before it (an application id
// used again from scratch) no longer ends it. An end_entry ends the step of
// its sequence id begun before it; an end_entry with no begin_entry before it
// is reported and ends nothing. The step keeps its begin_entry's action when
// the end_entry names another one (the end_entry is reported): steps are
// keyed by sequence id, as in Burr's server. A step is running until it
// ends, failed when its end_entry's exception is a string, completed
// otherwise.
//
// Applications. The number of steps of an application is the number of its
// steps. Its current step, whose action and status the application list and
// page show, is the step of the last begin_entry in the file (not the one
// with the highest sequence id: an application id used again from scratch
// is at the step it runs now).
//
// Loading. The state of an application is loaded from the last end_entry of
// the file (or the last one with the requested sequence id), whether or not a
// begin_entry precedes it, as Burr's LocalTrackingClient.load does; an
// end_entry whose action, exception or state cannot be read is an error
// rather than a step to resume from.
package trackfile
