package burr

// AppRef names one application: an app id within a partition. It is the
// identity a [Persister] stores records under, and the header of
// [ApplicationCreated] and [ExecuteCall].
type AppRef struct {
	AppID        string
	PartitionKey string // "" when the application has none
}

// At returns the reference to step seq of the application. [Latest] names its
// latest saved step:
//
//	burr.ForkFrom(burr.AppRef{AppID: id}.At(burr.Latest))
func (r AppRef) At(seq int) StepRef { return StepRef{AppRef: r, SequenceID: seq} }

// StepRef names one step of an application: the step with SequenceID or,
// where a saved step is looked up ([Loader], [ForkFrom]), the latest one when
// SequenceID is [Latest]. The embedded [AppRef] makes r.AppID and
// r.PartitionKey read directly.
//
// [AppRef] and StepRef have no String method on purpose: they are embedded in
// every hook event and in [Record], which would then print as their header
// alone.
type StepRef struct {
	AppRef
	SequenceID int
}

// Latest, as a [StepRef]'s SequenceID, asks for the saved step with the
// highest sequence id.
const Latest = -1
