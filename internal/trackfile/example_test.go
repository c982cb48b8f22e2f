package trackfile_test

import (
	"fmt"

	"github.com/burrgo/burr/internal/trackfile"
)

// A line is decoded into its kind's model; fields that cannot be read are
// listed, and the line still counts unless it cannot be placed.
func ExampleDecodeLine() {
	for _, raw := range []string{
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{"step":2},"sequence_id":0}`,
		`{"\u0074ype":"end_entry","end_time":1735732800,"action":"counter","result":{},"exception":null,"state":{"count":2},"sequence_id":0}`,
		`{"type":"end_entry","end_time":"2025-01-01T12:00:00","action":"counter","sequence_id":"1"}`,
	} {
		l, err := trackfile.DecodeLine([]byte(raw))
		if err != nil {
			fmt.Println("skipped:", err)
			continue
		}
		switch m := l.Model.(type) {
		case *trackfile.BeginEntryModel:
			fmt.Println(l.Kind, m.SequenceID, m.Action, string(m.Inputs), m.StartTime.Format("15:04:05.000000"))
		case *trackfile.EndEntryModel:
			fmt.Println(l.Kind, m.SequenceID, m.Action, string(m.State), "problems:", l.Problem())
		}
	}
	// Output:
	// begin_entry 0 counter {"step":2} 12:00:00.000101
	// end_entry 0 counter {"count":2} problems: end_entry: invalid end_time 1735732800
	// skipped: end_entry: invalid sequence_id "1"
}
