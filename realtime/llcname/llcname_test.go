package llcname

import (
	"strings"
	"testing"
	"time"
)

func TestFormatParse(t *testing.T) {
	ms := time.Date(2026, 1, 1, 0, 0, 59, 999e6, time.UTC).UnixMilli()
	n, err := New("clicks", 3, 17, ms)
	if err != nil {
		t.Fatal(err)
	}
	// Pinot's documented example.
	if got, want := n.String(), "clicks__3__17__20260101T0000Z"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	back, err := Parse(n.String())
	if err != nil {
		t.Fatal(err)
	}
	if back != n || back.String() != n.String() {
		t.Fatalf("Parse(String()) = %+v, want %+v", back, n)
	}
	next := n.Next(time.Date(2026, 1, 2, 13, 45, 0, 0, time.UTC).UnixMilli())
	if got, want := next.String(), "clicks__3__18__20260102T1345Z"; got != want {
		t.Fatalf("Next = %q, want %q", got, want)
	}
	if !strings.HasPrefix(n.String(), PartitionPrefix("clicks", 3)) || strings.HasPrefix(
		Name{Table: "clicks", PartitionGroup: 31, Created: n.Created}.String(), PartitionPrefix("clicks", 3)) {
		t.Fatal("PartitionPrefix does not separate partition 3 from 31")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"clicks__3__17", "want 4 parts"},
		{"clicks__0__3__17__20260101T0000Z", "multi-topic"},
		{"__3__17__20260101T0000Z", "empty table name"},
		{"clicks__03__17__20260101T0000Z", "leading zeros"},
		{"clicks__-3__17__20260101T0000Z", "not a decimal"},
		{"clicks__+3__17__20260101T0000Z", "not a decimal"},
		{"clicks__3____20260101T0000Z", "sequence: empty number"},
		{"clicks__3__2147483648__20260101T0000Z", "larger than 2^31-1"},
		{"clicks__3__17__2026-01-01T0000Z", "creation time"},
		{"clicks__3__17__20261301T0000Z", "creation time"},
		{"clicks__3__17__20260101T0000", "creation time"},
		{"a/b__3__17__20260101T0000Z", "contains '/'"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := New("a__b", 0, 0, 0); err == nil || !strings.Contains(err.Error(), `contains "__"`) {
		t.Errorf("New with a separator in the table name: %v", err)
	}
	if _, err := New("t", -1, 0, 0); err == nil || !strings.Contains(err.Error(), "partition group -1") {
		t.Errorf("New with a negative partition group: %v", err)
	}
}

func TestPartitionGroupID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  string
	}{
		{"shardId-000000000000", 0, ""},
		{"shardId-000000000012", 12, ""},
		{"shardId-2147483647", 2147483647, ""},
		{"7", 7, ""},
		{"0", 0, ""},
		{"shardId-2147483648", 0, "2^31 or more"},
		{"shardId-", 0, "no partition number"},
		{"", 0, "no partition number"},
		{"shard-1", 0, "want a decimal number"},
		{"shardId-00x1", 0, "want a decimal number"},
	} {
		got, err := PartitionGroupID(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("PartitionGroupID(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PartitionGroupID(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParse checks that whatever Parse accepts formats back to the same
// string: names are canonical, one segment has one name.
func FuzzParse(f *testing.F) {
	f.Add("clicks__3__17__20260101T0000Z")
	f.Add("t__0__0__19700101T0000Z")
	f.Add("t__00__0__19700101T0000Z")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, n.String())
		}
	})
}
