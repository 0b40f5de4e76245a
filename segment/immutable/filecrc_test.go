package immutable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileCRC(t *testing.T) {
	tbl := genTable(7, 500, allTypeGens())
	cfg := baseConfig("crc")
	cfg.Schema = tbl.schema
	path := filepath.Join(t.TempDir(), "crc.tseg")
	meta, err := Build(path, cfg, tbl.cols)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := FileCRC(path); err != nil || got != meta.CRC {
		t.Fatalf("FileCRC = %08x, %v; the build says %08x", got, err, meta.CRC)
	}
	// A file cut short has no trailer.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.tseg")
	if err := os.WriteFile(cut, data[:len(data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FileCRC(cut); !errors.Is(err, ErrTruncated) {
		t.Fatalf("FileCRC of a truncated file: %v, want ErrTruncated", err)
	}
	if _, err := FileCRC(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("FileCRC of a missing file: %v", err)
	}
}
