package immutable

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// TestSizeReport prints the bytes per row of each column's sections for
// the benchmark table (with -v); it checks that the sections account for
// the file.
func TestSizeReport(t *testing.T) {
	n := 200_000
	if os.Getenv("SIZE_ROWS") != "" {
		n, _ = strconv.Atoi(os.Getenv("SIZE_ROWS"))
	}
	tbl := genTable(77, n, benchGens())
	path := filepath.Join(t.TempDir(), "s")
	m, err := Build(path, benchConfig(), tbl.cols)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := readTOC(t, data)
	per := map[string]map[kind]uint64{}
	var total uint64
	for _, e := range v.entries {
		name := "(segment)"
		if e.col != segmentLevel {
			name = m.Columns[e.col].Name
		}
		if per[name] == nil {
			per[name] = map[kind]uint64{}
		}
		per[name][e.kind] += e.length
		total += e.length
	}
	if total > uint64(len(data)) || uint64(len(data))-total > uint64(8*len(v.entries)+headerLen+trailerLen+tocEntryLen*len(v.entries)) {
		t.Fatalf("sections hold %d of %d bytes", total, len(data))
	}
	names := make([]string, 0, len(per))
	for k := range per {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		line := fmt.Sprintf("%-14s", name)
		var sum uint64
		for k := kindMetadata; k < kindLimit; k++ {
			if b := per[name][k]; b > 0 {
				line += fmt.Sprintf(" %s=%.2f", k, float64(b)/float64(n))
				sum += b
			}
		}
		t.Logf("%s  total=%.2f B/row", line, float64(sum)/float64(n))
	}
	t.Logf("file: %.2f bytes/row", float64(len(data))/float64(n))
}
