package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

// Ingest reads the input files, converts their records to the schema's
// types, applies the table's transforms and filter, and writes the rows as
// segments in cfg.OutDir. progress, when not nil, is called after every
// batch of records.
//
// Rejected records are skipped and reported, or, with OnErrorStop, end the
// ingestion with a *RowError naming the file, line, column and value. The
// report is returned also when Ingest fails: it tells what was read and
// which segments were written before the failure.
func Ingest(ctx context.Context, cfg Config, progress func(Progress)) (*Report, error) {
	return ingest(ctx, cfg, progress, immutable.Build)
}

func ingest(ctx context.Context, cfg Config, progress func(Progress), build buildFunc) (*Report, error) {
	rep := &Report{}
	if err := cfg.validate(); err != nil {
		return rep, err
	}
	start := cfg.Clock()
	var ing *tableconfig.IngestionConfig
	if cfg.Table != nil {
		ing = &cfg.Table.Ingestion
	}
	tr, err := decode.NewTransformer(cfg.Schema, ing)
	if err != nil {
		return rep, fmt.Errorf("ingest: %w", err)
	}
	var total int64
	sizes := make([]int64, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		st, err := os.Stat(in)
		if err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
		if st.IsDir() {
			return rep, fmt.Errorf("ingest: input %q is a directory", in)
		}
		sizes[i] = st.Size()
		total += st.Size()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := newSegmentWriter(ctx, &cfg, build)
	if err != nil {
		return rep, fmt.Errorf("ingest: %w", err)
	}
	r := &run{cfg: &cfg, rep: rep, tr: tr, w: w, tally: tally{max: cfg.MaxExamples}, progress: progress, total: total, sizes: sizes}
	runErr := r.files(ctx)
	segs, werr := w.close(runErr != nil)
	rep.Segments = segs
	rep.Skipped = r.tally.report()
	for _, s := range segs {
		rep.RowsWritten += int64(s.Rows)
	}
	rep.Elapsed = cfg.Clock().Sub(start)
	if runErr != nil {
		return rep, runErr
	}
	if werr != nil {
		return rep, fmt.Errorf("ingest: %w", werr)
	}
	if progress != nil {
		progress(r.snapshot(len(cfg.Inputs)-1, ""))
	}
	return rep, nil
}

// run is the state of one ingestion.
type run struct {
	cfg      *Config
	rep      *Report
	tr       *decode.Transformer
	w        *segmentWriter
	tally    tally
	progress func(Progress)
	total    int64
	sizes    []int64 // of the inputs, as stored
	doneRead int64   // bytes of the files finished
	accepted int64   // rows handed to the segment writer
}

func (r *run) files(ctx context.Context) error {
	for i, in := range r.cfg.Inputs {
		if err := r.file(ctx, i, in); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) open(path string) (source, Format, error) {
	f := r.cfg.Format
	df, gzipped, tabs, err := detectFormat(path)
	if f == FormatAuto {
		if err != nil {
			return nil, f, err
		}
		f = df
	}
	switch f {
	case FormatCSV:
		opts := r.cfg.CSV
		if tabs && opts.Delimiter == 0 {
			opts.Delimiter = '\t'
		}
		s, err := openCSV(path, gzipped, opts)
		return s, f, err
	case FormatJSON:
		s, err := openJSON(path, gzipped)
		return s, f, err
	case FormatParquet:
		if gzipped {
			return nil, f, fmt.Errorf("input %q: compressed Parquet files are not supported (Parquet compresses its pages itself)", path)
		}
		s, err := openParquet(path, r.cfg.BatchSize)
		return s, f, err
	}
	return nil, f, fmt.Errorf("input %q: unknown format", path)
}

func (r *run) file(ctx context.Context, idx int, path string) error {
	src, format, err := r.open(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer src.close()
	r.rep.Files = append(r.rep.Files, FileReport{Path: path, Format: format, Bytes: r.sizes[idx]})
	fr := &r.rep.Files[len(r.rep.Files)-1]

	b, err := decode.NewBatch(r.cfg.Schema, r.cfg.BatchSize)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := src.prepare(b, r.tr.Inputs()); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := r.tr.Check(b); err != nil {
		return fmt.Errorf("ingest %q: %w", path, err)
	}
	rowUnit := src.rowUnit()
	// skip rejects a record; a non-nil result stops the ingestion.
	skip := func(pos int64, e *decode.Error) error {
		fr.RowsSkipped++
		r.rep.RowsSkipped++
		re := rowError(path, rowUnit, pos, e)
		r.tally.add(re)
		if r.cfg.OnError == OnErrorStop {
			return re
		}
		return nil
	}
	// Records rejected while decoding never reach the batch: count them
	// as read here.
	reject := func(pos int64, e *decode.Error) error {
		fr.RowsRead++
		r.rep.RowsRead++
		return skip(pos, e)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ferr := src.fill(b, reject)
		if ferr != nil && ferr != io.EOF {
			var re *RowError
			if errors.As(ferr, &re) {
				return ferr
			}
			return fmt.Errorf("ingest: %w", ferr)
		}
		n := int64(b.Len())
		fr.RowsRead += n
		r.rep.RowsRead += n
		r.tr.Apply(b)
		for _, f := range b.Failures() {
			if err := skip(f.Pos, f.Err); err != nil {
				return err
			}
		}
		r.rep.RowsFiltered += int64(b.Filtered())
		sel := b.Selection()
		if err := r.w.add(b, sel); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		r.accepted += int64(len(sel))
		b.Reset()
		if r.progress != nil {
			r.progress(r.snapshot(idx, path, src.bytesRead()))
		}
		if ferr == io.EOF {
			break
		}
	}
	r.doneRead += fr.Bytes
	return nil
}

func (r *run) snapshot(idx int, path string, read ...int64) Progress {
	p := Progress{
		File: path, FileIndex: idx, Files: len(r.cfg.Inputs),
		BytesRead: r.doneRead, BytesTotal: r.total,
		RowsRead: r.rep.RowsRead, RowsSkipped: r.rep.RowsSkipped,
		Segments: r.w.seq - r.cfg.SequenceStart,
	}
	for _, n := range read {
		p.BytesRead += n
	}
	p.RowsWritten = r.accepted
	return p
}
