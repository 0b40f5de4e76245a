package bench

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// PrintSummary prints the ratio table and the headline figures.
func PrintSummary(w io.Writer, r *Report, markdown bool) {
	if markdown {
		fmt.Fprintln(w, "| query | kind | Tannin ms | DuckDB ms | ratio |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|")
		for _, x := range r.Results {
			fmt.Fprintf(w, "| %s | %s | %.2f | %.2f | %.2f |\n", x.Query.Name, x.Query.Kind, ms(x.Tannin), ms(x.Duck), x.Ratio)
		}
		fmt.Fprintln(w)
	}
	var lookups []time.Duration
	for _, x := range r.Results {
		if x.Query.Name == "q18" || x.Query.Name == "q28" || x.Query.Name == "q33" {
			lookups = append(lookups, x.Tannin)
		}
	}
	slices.Sort(lookups)
	fmt.Fprintf(w, "rows %d in %d segments, %d threads\n", r.Rows, r.Segments, r.Threads)
	fmt.Fprintf(w, "geomean Tannin/DuckDB ratio: %.3f (target <= 1.5)\n", r.Geomean)
	if len(lookups) > 0 {
		fmt.Fprintf(w, "indexed lookups (q18, q28, q33) median: %.3f ms (target <= 1 ms)\n", ms(lookups[len(lookups)/2]))
	}
	fmt.Fprintf(w, "segment build: %.2fM rows/s (target >= 1M rows/s)\n", r.BuildRowsPerS/1e6)
	fmt.Fprintf(w, "on disk: Tannin %.1f MiB, DuckDB %.1f MiB (ratio %.2f, target <= 1)\n", float64(r.TanninBytes)/(1<<20), float64(r.DuckBytes)/(1<<20), float64(r.TanninBytes)/float64(r.DuckBytes))
	bad := 0
	for _, x := range r.Results {
		if x.Mismatch != "" {
			bad++
		}
	}
	fmt.Fprintf(w, "answers differing from DuckDB: %d of %d\n", bad, len(r.Results))
}
