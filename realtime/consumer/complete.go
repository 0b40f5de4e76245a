package consumer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/stream"
)

// complete takes the stopped segment s through the completion protocol
// (PROTOCOL.md, "what a replica does with each answer"). It runs in its
// own goroutine and owns s from now on.
func (p *Partition) complete(ctx context.Context, s *seg) {
	defer p.wg.Done()
	defer p.emit(ctx, event{s: s, finished: true})
	log := p.log.With("segment", s.spec.Name)
	var catchUp stream.Consumer
	defer func() {
		if catchUp != nil {
			catchUp.Close()
		}
	}()
	pause := p.cfg.RetryPause
	backoff := func() bool {
		ok := sleep(ctx, pause)
		pause = min(2*pause, p.cfg.MaxRetryPause)
		return ok
	}
	for ctx.Err() == nil {
		resp, err := p.deps.Controller.Consumed(ctx, p.report(s))
		if err != nil {
			log.Warn("segment consumed report", "err", err)
			backoff()
			continue
		}
		switch resp.Status {
		case completion.Hold:
			p.setState(s, consuminginfo.StateNotConsuming, "holding")
			sleep(ctx, p.cfg.HoldPause)
		case completion.CatchUp:
			p.setState(s, consuminginfo.StateNotConsuming, "catching up to "+string(resp.Offset))
			if err := p.catchUp(ctx, s, resp.Offset, &catchUp); err != nil {
				if ctx.Err() != nil {
					return
				}
				if errors.Is(err, errCannotCatchUp) {
					p.abandon(ctx, s, err)
					return
				}
				log.Warn("catch up", "target", resp.Offset, "err", err)
				backoff()
			}
		case completion.Commit:
			p.emit(ctx, event{s: s, end: resp.Offset, hasEnd: true, eop: s.reason == completion.ReasonEndOfPartition})
			done, err := p.commit(ctx, s, resp.Offset)
			if done {
				return
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("commit", "offset", resp.Offset, "err", err)
			}
			backoff()
		case completion.Keep:
			p.emit(ctx, event{s: s, end: resp.Offset, hasEnd: true, eop: s.reason == completion.ReasonEndOfPartition})
			p.keep(ctx, s)
			return
		case completion.Discard:
			p.emit(ctx, event{s: s, end: resp.Offset, hasEnd: true})
			p.discard(s, resp.Offset)
			return
		default: // Failed, NotLeader, or an answer that makes no sense here
			log.Info("segment consumed answer", "status", resp.Status, "message", resp.Message)
			backoff()
		}
	}
}

// errCannotCatchUp: the target cannot be reached by this replica (beyond
// the partition's end, or more rows than the segment holds).
var errCannotCatchUp = errors.New("cannot catch up")

// catchUp appends the records after s.offset up to exactly target, with a
// stream consumer of its own (the loop's is busy with the next segment).
func (p *Partition) catchUp(ctx context.Context, s *seg, target stream.Offset, c *stream.Consumer) error {
	cmp := p.deps.Stream.Compare
	for {
		d, err := cmp(s.offset, target)
		if err != nil {
			return fmt.Errorf("%w: compare offsets: %v", errCannotCatchUp, err)
		}
		if d >= 0 {
			if d > 0 {
				return fmt.Errorf("%w: at %q, past the target %q", errCannotCatchUp, s.offset, target)
			}
			return nil
		}
		if *c == nil {
			if *c, err = p.deps.Stream.Consumer(p.cfg.Partition); err != nil {
				return err
			}
		}
		res, err := (*c).Fetch(ctx, s.offset, p.cfg.FetchMax)
		if err != nil {
			return err
		}
		recs := res.Records
		for i := range recs {
			d, err := cmp(recs[i].Offset, target)
			if err != nil {
				return fmt.Errorf("%w: compare offsets: %v", errCannotCatchUp, err)
			}
			if d >= 0 {
				if d > 0 {
					return fmt.Errorf("%w: target %q is not a record's offset (the record before %q)", errCannotCatchUp, target, recs[i].Offset)
				}
				recs = recs[:i+1]
				break
			}
		}
		if len(recs) == 0 && res.EndOfPartition {
			return fmt.Errorf("%w: target %q is past the partition's end %q", errCannotCatchUp, target, s.offset)
		}
		room := s.mseg.Remaining()
		n, err := s.app.appendRecords(s, recs, room)
		if err != nil {
			return fmt.Errorf("%w: %v", errCannotCatchUp, err)
		}
		if n < len(recs) {
			return fmt.Errorf("%w: the segment is full (%d rows)", errCannotCatchUp, s.mseg.NumDocs())
		}
	}
}

// commit is the committer's part: seal, CommitStart, upload, CommitEnd.
// done reports that the segment is finished (committed, kept, discarded
// or abandoned); otherwise the caller reports Consumed again.
func (p *Partition) commit(ctx context.Context, s *seg, at stream.Offset) (done bool, err error) {
	if !p.same(at, s.offset) {
		return false, fmt.Errorf("told to commit at %q, consumed to %q", at, s.offset)
	}
	p.setState(s, consuminginfo.StateNotConsuming, "committing")
	meta, err := p.seal(s)
	if err != nil {
		p.abandon(ctx, s, err)
		return true, nil
	}
	r := p.report(s)
	resp, err := p.deps.Controller.CommitStart(ctx, r)
	if err != nil {
		return false, err
	}
	switch resp.Status {
	case completion.CommitContinue:
	case completion.Keep:
		p.sealedOK(s, meta)
		return true, nil
	case completion.Discard:
		p.emit(ctx, event{s: s, end: resp.Offset, hasEnd: true})
		p.discard(s, resp.Offset)
		return true, nil
	default:
		return false, fmt.Errorf("commit start answered %s %s", resp.Status, resp.Message)
	}
	start := time.Now()
	up, err := p.upload(ctx, s, meta)
	if err != nil {
		// No CommitEnd: the next Consumed from the committer aborts
		// the round, and the upload is garbage under its own key.
		return false, err
	}
	p.log.Info("segment uploaded", "segment", s.spec.Name, "key", up.Key, "bytes", meta.SizeBytes, "took", time.Since(start))
	resp, err = p.deps.Controller.CommitEnd(ctx, r, up)
	if err != nil {
		return false, err
	}
	switch resp.Status {
	case completion.CommitSuccess, completion.Keep:
		p.sealedOK(s, meta)
		return true, nil
	case completion.Discard:
		p.emit(ctx, event{s: s, end: resp.Offset, hasEnd: true})
		p.discard(s, resp.Offset)
		return true, nil
	}
	return false, fmt.Errorf("commit end answered %s %s", resp.Status, resp.Message)
}

// keep seals the replica's own copy of the committed segment.
func (p *Partition) keep(ctx context.Context, s *seg) {
	meta, err := p.seal(s)
	if err != nil {
		// The committed copy is in the deep store: the server downloads
		// it like any ONLINE segment.
		p.log.Error("seal kept segment; the committed copy will be downloaded", "segment", s.spec.Name, "err", err)
		p.deps.Host.Discarded(s.spec.Name)
		p.setState(s, consuminginfo.StateNotConsuming, "committed; downloading")
		return
	}
	p.sealedOK(s, meta)
}

func (p *Partition) sealedOK(s *seg, meta *segment.Meta) {
	p.setState(s, consuminginfo.StateNotConsuming, "committed")
	p.committedUpTo(s.offset)
	p.deps.Host.Sealed(s.spec.Name, meta)
	p.log.Info("segment committed", "segment", s.spec.Name, "rows", meta.NumDocs, "end", s.offset)
}

func (p *Partition) discard(s *seg, end stream.Offset) {
	p.setState(s, consuminginfo.StateNotConsuming, "discarded; committed at "+string(end))
	p.committedUpTo(end)
	p.deps.Host.Discarded(s.spec.Name)
	p.log.Info("segment discarded: committed at another offset", "segment", s.spec.Name, "committed", end, "mine", s.offset)
}

// abandon gives up on a segment that cannot finish here (a seal that
// fails, a catch-up that cannot reach its target): the controller is told
// and the segment stops serving.
func (p *Partition) abandon(ctx context.Context, s *seg, err error) {
	p.smu.Lock()
	s.state, s.message = consuminginfo.StateStopped, err.Error()
	p.stats.stopped = append(p.stats.stopped, s)
	delete(p.stats.segs, s)
	p.smu.Unlock()
	p.log.Error("consuming segment stopped", "segment", s.spec.Name, "offset", s.offset, "err", err)
	p.deps.Host.Discarded(s.spec.Name)
	r := p.report(s)
	r.Message = err.Error()
	if _, err := p.deps.Controller.StoppedConsuming(ctx, r); err != nil {
		p.log.Warn("report stopped consuming", "segment", s.spec.Name, "err", err)
	}
}

// seal builds the sealed file of s's rows at Host.SealPath, once per end
// offset. The build depends only on the rows and the build config (the
// creation time is the segment record's), so replicas build identical
// files and a kept copy has the committed CRC.
func (p *Partition) seal(s *seg) (*segment.Meta, error) {
	path := p.deps.Host.SealPath(s.spec.Name)
	if s.sealedMeta != nil && s.sealedAt == s.offset {
		if crc, err := immutable.FileCRC(path); err == nil && crc == s.sealedMeta.CRC {
			return s.sealedMeta, nil
		}
	}
	mc := s.mseg.Config()
	bc := mc.BuildConfig()
	bc.SegmentName = s.spec.Name
	bc.EndOffset = string(s.offset)
	created := time.UnixMilli(s.spec.CreatedMs)
	bc.Now = func() time.Time { return created }
	if t := p.cfg.Table; t != nil {
		bc.SortedColumn = t.Index.SortedColumn
		bc.RangeColumns = t.Index.RangeIndexColumns
		bc.BloomColumns = t.Index.BloomFilterColumns
		bc.TableName = t.TableName
	}
	start := time.Now()
	meta, err := s.mseg.SealRows(path, bc, s.mseg.NumDocs())
	if err != nil {
		return nil, err
	}
	s.sealedMeta, s.sealedAt = meta, s.offset
	p.log.Info("segment sealed", "segment", s.spec.Name, "rows", meta.NumDocs, "bytes", meta.SizeBytes, "took", time.Since(start))
	return meta, nil
}

// upload puts the sealed file under a fresh deep-store key of its own, so
// that a slow or superseded committer never overwrites the file a commit
// points at. The prefix is the table's, as the controller's uploads use.
func (p *Partition) upload(ctx context.Context, s *seg, meta *segment.Meta) (completion.Upload, error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	key := p.cfg.TableWithType + "/" + s.spec.Name + ".tseg." + hex.EncodeToString(rnd[:])
	f, err := os.Open(p.deps.Host.SealPath(s.spec.Name))
	if err != nil {
		return completion.Upload{}, err
	}
	defer f.Close()
	if err := p.deps.DeepStore.Put(ctx, key, f); err != nil {
		return completion.Upload{}, fmt.Errorf("upload %q: %w", key, err)
	}
	return completion.Upload{DownloadURI: p.deps.DeepStore.URI(key), Key: key, Meta: meta}, nil
}

// emit hands an event to the loop.
func (p *Partition) emit(ctx context.Context, ev event) {
	select {
	case p.events <- ev:
	case <-ctx.Done():
	}
}
