package trackfile

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	local := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2025-01-01T12:00:00.000101", local("2025-01-01 12:00:00.000101")},
		{"2024-01-01T00:00:00", local("2024-01-01 00:00:00")}, // pydantic drops .000000
		{"2025-01-01T12:00:01.5", local("2025-01-01 12:00:01.5")},
		{"2025-01-01T20:00:02.000123Z", time.Date(2025, 1, 1, 20, 0, 2, 123000, time.UTC)},
		{"2024-08-27T18:58:44Z", time.Date(2024, 8, 27, 18, 58, 44, 0, time.UTC)},
		{"2024-08-27T18:58:44.5+02:00", time.Date(2024, 8, 27, 16, 58, 44, 5e8, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2025-13-01T00:00:00", "2025-01-01 12:00:00"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

// AppendLocal and AppendUTC write what ParseTime reads, with microseconds,
// and no fraction when the microseconds are 0, as pydantic does.
func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 1, 1, 12, 0, 0, 101000, time.Local),
		time.Date(2024, 8, 27, 18, 58, 44, 0, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		local, utc := string(AppendLocal(nil, tm)), string(AppendUTC(nil, tm))
		if got, err := ParseTime(local); err != nil || !got.Equal(tm) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", local, got, err, tm)
		}
		if got, err := ParseTime(utc); err != nil || !got.Equal(tm) || utc[len(utc)-1] != 'Z' {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", utc, got, err, tm)
		}
	}
	if got := string(AppendUTC(nil, time.Date(2024, 8, 27, 18, 58, 44, 0, time.UTC))); got != "2024-08-27T18:58:44Z" {
		t.Errorf("whole second: %s", got)
	}
	if got := string(AppendUTC(nil, time.Date(2024, 8, 27, 18, 58, 44, 5000, time.UTC))); got != "2024-08-27T18:58:44.000005Z" {
		t.Errorf("5µs: %s", got)
	}
}
