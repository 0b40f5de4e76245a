// Package completion is the controller's side of the realtime segment
// completion protocol (Apache Pinot's LLC protocol): how the replicas of a
// consuming segment agree on one end offset, which one of them builds and
// uploads the sealed segment, and when the others keep their own copy or
// download the committed one. PROTOCOL.md describes the protocol, its
// messages, a sequence diagram and why each failure is safe.
//
// An FSM is one segment's state machine. It is pure: no goroutines, no
// clock (every input carries the time), no I/O. Replica messages go in
// (Consumed, CommitStart, CommitEnd, StoppedConsuming), a Response to send
// back comes out, and sometimes an Effect the caller performs: the commit
// transaction in etcd (EffectWriteCommit), whose outcome it feeds back
// (CommitApplied, CommitRejected, CommitUnknown), or marking a replica
// that stopped consuming OFFLINE (EffectReplicaStopped). Offsets are
// stream.Offset strings ordered by a Compare function the caller passes
// in, so the FSM knows nothing of Kinesis.
//
// How the controller leader uses it:
//
//	mu.Lock()
//	f := fsms[seg]
//	if f == nil {
//		// Rebuild from the metadata: the segment record says IN_PROGRESS
//		// or DONE (with its end offset); the replicas are the
//		// assignment's CONSUMING instances.
//		f = completion.New(seg, rec, replicas, cfg, cmp, now)
//		fsms[seg] = f
//	}
//	resp, eff := f.CommitEnd(now, instance, offset, uploaded)
//	if f.Done() {
//		delete(fsms, seg)
//	}
//	mu.Unlock()
//	if eff.Kind == completion.EffectWriteCommit {
//		err := store.CommitSegment(ctx, ...) // outside the lock
//		mu.Lock()
//		switch {
//		case err == nil:
//			resp = f.CommitApplied(now)
//		case errors.Is(err, cluster.ErrConflict): // reread the record
//			resp = f.CommitRejected(now, recordAfter)
//		default:
//			resp = f.CommitUnknown(now)
//		}
//		...
//	}
//
// A new leader starts with no FSMs and rebuilds each from etcd on the
// segment's next message; the etcd transaction, guarded by revisions, is
// what keeps a segment from being committed twice across leaders.
package completion
