package immutable

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEncodingChoices pins the encodings the builder picks for typical
// columns, so that a change that silently falls back to a larger form
// shows up.
func TestEncodingChoices(t *testing.T) {
	tbl := genTable(11, 20000, allTypeGens())
	cfg := baseConfig("seg_e")
	path := filepath.Join(t.TempDir(), "seg_e")
	m, err := Build(path, cfg, tbl.cols)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := map[string]map[kind]byte{}
	for _, e := range readTOC(t, data).entries {
		if e.col == segmentLevel {
			continue
		}
		name := m.Columns[e.col].Name
		if enc[name] == nil {
			enc[name] = map[kind]byte{}
		}
		enc[name][e.kind] = data[e.offset]
	}
	tests := []struct {
		col  string
		k    kind
		want byte
		why  string
	}{
		{"uuid", kindDictionary, encStringZstd, "a large string dictionary is compressed"},
		{"city", kindDictionary, encStringPlain, "a small one is viewed in place"},
		{"weights", kindDictionary, encDecimalDelta, "eighths are decimals"},
		{"double_sv", kindDictionary, encNumericDelta, "infinities are not decimals"},
		{"ts", kindForward, encBits, "an increasing timestamp is a sorted column of unique values"},
		{"seq", kindForward, encBits, "d/3 rises by one every three docs"},
		{"int_sv", kindForward, encPacked, "unsorted ids are packed"},
		{"tags", kindForward, encMV, "multi-value"},
		{"raw_long", kindForward, encRawInt, "no-dictionary int"},
		{"raw_double", kindForward, encRawFlt, "no-dictionary float"},
		{"raw_str", kindForward, encRawByte, "no-dictionary string"},
	}
	for _, tc := range tests {
		if got := enc[tc.col][tc.k]; got != tc.want {
			t.Errorf("%s %v: encoding %d, want %d (%s)", tc.col, tc.k, got, tc.want, tc.why)
		}
	}
	if _, ok := enc["seq"][kindInverted]; ok {
		t.Error("a sorted column got an inverted index section")
	}

	// A low-cardinality sorted column is stored as runs.
	sortedCfg := baseConfig("seg_r")
	sortedCfg.SortedColumn = "city"
	path = filepath.Join(t.TempDir(), "seg_r")
	m, err = Build(path, sortedCfg, tbl.cols)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	for _, e := range readTOC(t, data).entries {
		if e.col != segmentLevel && m.Columns[e.col].Name == "city" && e.kind == kindForward && data[e.offset] != encRuns {
			t.Errorf("sorted city forward encoding %d, want runs", data[e.offset])
		}
	}
}
