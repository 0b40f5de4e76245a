package difftest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	flagQuery  = flag.String("difftest.query", "", "run only the records with these ids (comma-separated); the DIFFTEST_QUERY environment variable does the same")
	flagRandom = flag.Int("difftest.random", 150, "number of randomly generated queries")
	flagSeed   = flag.Uint64("difftest.seed", 20241129, "seed of the random query generator")
	flagSegs   = flag.String("difftest.segments", "immutable", "segment backend: immutable (sealed files, every index), memseg (in-memory reference) or mutable (consuming segments)")
	flagParts  = flag.Int("difftest.partials", 3, "answer queries the distributed way over this many pseudo-servers (Execute, wire round trip, Reduce); 1 runs them in one process")
)

func backend(t *testing.T) Backend {
	t.Helper()
	b, err := ParseBackend(*flagSegs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const corpusDir = "../../testdata/queries"

// selectedIDs returns the ids to run, or nil for all.
func selectedIDs() map[string]bool {
	v := *flagQuery
	if v == "" {
		v = os.Getenv("DIFFTEST_QUERY")
	}
	if v == "" {
		return nil
	}
	ids := map[string]bool{}
	for _, id := range strings.Split(v, ",") {
		ids[strings.TrimSpace(id)] = true
	}
	return ids
}

// TestCorpus runs every record of testdata/queries/*.test and the random
// queries against Tannin and DuckDB over the same generated rows. Run one
// file with -run 'TestCorpus/<file>', one query with -difftest.query=<id>
// (or DIFFTEST_QUERY=<id>).
func TestCorpus(t *testing.T) {
	recs, err := LoadCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	h, gens, err := Load(ctx, t.TempDir(), backend(t), DefaultTables())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded the tables into %s segments and DuckDB in %v", backend(t), time.Since(start).Round(time.Millisecond))
	h.Tannin.Partials = *flagParts
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	recs = append(recs, RandomQueries(*flagSeed, *flagRandom, gens)...)

	ids := selectedIDs()
	var files []string
	byFile := map[string][]Record{}
	for _, r := range recs {
		if ids != nil && !ids[r.ID] {
			continue
		}
		if byFile[r.File] == nil {
			files = append(files, r.File)
		}
		byFile[r.File] = append(byFile[r.File], r)
	}
	if len(files) == 0 {
		t.Fatalf("no record selected (ids %v)", ids)
	}
	for _, file := range files {
		// The hand-written records run both ways (distributed and in one
		// process); the random ones the distributed way only.
		h.SingleToo = file != "random"
		t.Run(file, func(t *testing.T) {
			failed := 0
			for _, r := range byFile[file] {
				t.Run(r.ID, func(t *testing.T) {
					if err := h.Run(ctx, &r); err != nil {
						failed++
						t.Error(err)
					}
				})
			}
			t.Logf("%s: %d of %d records passed", file, len(byFile[file])-failed, len(byFile[file]))
		})
	}
}

// TestCorpusWellFormed checks the corpus without running it: files parse,
// ids are unique across files, every record passes Lint, and the corpus
// is as large as promised.
func TestCorpusWellFormed(t *testing.T) {
	recs, err := LoadCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*.test"))
	if len(paths) == 0 {
		t.Fatalf("no corpus files in %s", corpusDir)
	}
	seen := map[string]string{}
	queries, errs := 0, 0
	for _, r := range recs {
		if f, ok := seen[r.ID]; ok {
			t.Errorf("id %s in %s and %s", r.ID, f, r.File)
		}
		seen[r.ID] = r.File
		if err := Lint(&r); err != nil {
			t.Errorf("%s %s (%s.test:%d): %v", r.Kind, r.ID, r.File, r.Line, err)
		}
		if r.Kind == KindQuery {
			queries++
		} else {
			errs++
		}
	}
	if queries < 200 {
		t.Errorf("%d hand-written queries, want at least 200", queries)
	}
	if errs < 10 {
		t.Errorf("%d error records, want at least 10", errs)
	}
}

// TestRandomQueriesDeterministic checks the generator: same seed, same
// queries; every query lints; different seeds differ.
func TestRandomQueriesDeterministic(t *testing.T) {
	gens := testGenTables(t)
	a := RandomQueries(1, 200, gens)
	b := RandomQueries(1, 200, gens)
	c := RandomQueries(2, 200, gens)
	same := 0
	for i := range a {
		if a[i].SQL != b[i].SQL || a[i].DuckDB != b[i].DuckDB {
			t.Fatalf("query %d differs between runs with one seed", i)
		}
		if a[i].SQL == c[i].SQL {
			same++
		}
		if err := Lint(&a[i]); err != nil {
			t.Errorf("%s: %v\n%s", a[i].ID, err, a[i].SQL)
		}
	}
	if same > 20 {
		t.Errorf("%d of 200 queries equal across seeds", same)
	}
}
