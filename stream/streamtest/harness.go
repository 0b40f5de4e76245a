// Package streamtest is the acceptance test every stream provider passes
// (the pattern of Thanos objstore's AcceptanceTest): a provider's own test
// implements Harness and calls AcceptanceTest, so that memstream,
// localstream and kinesis are held to one contract, the one in package
// stream.
//
//	func TestAcceptance(t *testing.T) {
//		streamtest.AcceptanceTest(t, harness{})
//	}
//
// The harness creates an empty stream per subtest and produces records into
// it; a provider that can split and merge partitions (Kinesis shards) also
// implements Resharder on its Producer, and the lineage cases run. The
// cases cover listing, per-partition order, fetching from Start, from a
// record's offset and from AtTime markers, Next semantics, max, the short
// wait of an empty fetch, Compare's total order (markers included), unknown
// partitions and malformed offsets, lineage after a split and a merge,
// concurrent producers (every record exactly once, in per-partition order)
// and context cancellation.
//
// Waits are bounded: a fetch that should return at once is given a few
// seconds, an empty fetch EmptyFetchLimit. Records are copied out of a
// FetchResult before the next Fetch, as the contract asks of callers.
package streamtest

import (
	"context"
	"testing"

	"github.com/tannin-db/tannin/stream"
)

// Rec is one record to produce.
type Rec struct {
	Key  string
	Data []byte
}

// Producer writes records into the stream a Harness created.
type Producer interface {
	// Produce appends recs, in order, to the partition and returns their
	// offsets (Kinesis: PutRecords with an explicit hash key inside the
	// shard's range; the sequence numbers it returns). The records must be
	// visible to fetches once Produce returns. Produce is safe for
	// concurrent use.
	Produce(ctx context.Context, partition string, recs ...Rec) ([]stream.Offset, error)
}

// Resharder is implemented by a Producer whose stream can split and merge
// partitions. Both return once the new partitions are listed by
// Partitions and accept records.
type Resharder interface {
	// Split closes partition and returns the two partitions that replace
	// it, each listing it as its parent.
	Split(ctx context.Context, partition string) (children []string, err error)
	// Merge closes a and b (adjacent, where the provider needs that: the
	// test merges neighbours in ID order of a fresh stream) and returns the
	// partition that replaces them, listing both as parents.
	Merge(ctx context.Context, a, b string) (child string, err error)
}

// Harness creates streams for the acceptance test.
type Harness interface {
	// New creates an empty stream with the given number of open
	// partitions, none of which has a parent, and registers its cleanup
	// with t.Cleanup.
	New(t *testing.T, partitions int) (stream.Stream, Producer)
}
