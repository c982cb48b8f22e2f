package trackfile

import (
	"errors"
	"strings"
	"time"
)

// Burr writes two timestamp styles in one file, and readers (Burr's UI and
// ours) rely on both:
//
//   - entries, spans and children.jsonl events: naive local time,
//     "2024-08-27T11:59:58.569978" (Python's datetime.now());
//   - attributes and the three stream lines: UTC with a "Z",
//     "2024-08-27T18:58:44.913192Z".
//
// Both have microsecond resolution, and, as pydantic writes them, no fraction
// at all when the microseconds are 0.

// AppendLocal appends t as a naive local timestamp.
func AppendLocal(buf []byte, t time.Time) []byte { return appendISO(buf, t.Local()) }

// AppendUTC appends t as a UTC timestamp ending in "Z".
func AppendUTC(buf []byte, t time.Time) []byte { return append(appendISO(buf, t.UTC()), 'Z') }

func appendISO(buf []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	buf = appendInt(buf, year, 4)
	buf = append(buf, '-')
	buf = appendInt(buf, int(month), 2)
	buf = append(buf, '-')
	buf = appendInt(buf, day, 2)
	buf = append(buf, 'T')
	buf = appendInt(buf, hour, 2)
	buf = append(buf, ':')
	buf = appendInt(buf, minute, 2)
	buf = append(buf, ':')
	buf = appendInt(buf, sec, 2)
	if us := t.Nanosecond() / 1000; us != 0 {
		buf = append(buf, '.')
		buf = appendInt(buf, us, 6)
	}
	return buf
}

// appendInt appends a non-negative n, zero-padded to width digits.
func appendInt(buf []byte, n, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n >= 10 || width > 1 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	tmp[i] = byte('0' + n)
	return append(buf, tmp[i:]...)
}

// ParseTime reads a timestamp in either style: naive local time
// "YYYY-MM-DDTHH:MM:SS[.ffffff]", read in the local time zone, or one with a
// zone, "Z" or an offset such as "+02:00" (which other writers use).
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty timestamp")
	}
	if strings.HasSuffix(s, "Z") || strings.LastIndexAny(s, "+-") > len("2006-01-02") {
		return time.Parse(time.RFC3339Nano, s)
	}
	return time.ParseInLocation("2006-01-02T15:04:05", s, time.Local)
}

// Time is a timestamp field of a model, read by ParseTime.
type Time struct{ time.Time }

// UnmarshalJSON reads a JSON string holding a timestamp in either style.
func (t *Time) UnmarshalJSON(b []byte) error {
	s, err := unquote(b)
	if err != nil {
		return err
	}
	tm, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = tm
	return nil
}
