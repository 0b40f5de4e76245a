package kinesistest

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// TestServer checks the harness end to end: the server listens on
// loopback only, streams are created, split and merged with the lineage
// ListShards reports, and records put are read back.
func TestServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := Start(t)

	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(u.Host); host != "127.0.0.1" {
		t.Fatalf("endpoint %s: want host 127.0.0.1", srv.Endpoint)
	}

	if err := srv.CreateStream(ctx, "s", 3); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateStream(ctx, "bad", 0); err == nil {
		t.Fatal("CreateStream with 0 shards: want an error")
	}
	shards, err := srv.Shards(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 3 {
		t.Fatalf("got %d shards, want 3", len(shards))
	}

	children, err := srv.Split(ctx, "s", "shardId-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	if children != [2]string{"shardId-000000000003", "shardId-000000000004"} {
		t.Fatalf("split children = %v", children)
	}
	child, err := srv.Merge(ctx, "s", "shardId-000000000001", "shardId-000000000002")
	if err != nil {
		t.Fatal(err)
	}
	if child != "shardId-000000000005" {
		t.Fatalf("merge child = %s", child)
	}
	if _, err := srv.Split(ctx, "s", "shardId-000000000099"); err == nil {
		t.Fatal("split of a missing shard: want an error")
	}
	shards, err = srv.Shards(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, sh := range shards {
		if sh.SequenceNumberRange.EndingSequenceNumber != nil {
			closed++
		}
	}
	if len(shards) != 6 || closed != 3 {
		t.Fatalf("after split and merge: %d shards, %d closed; want 6 and 3", len(shards), closed)
	}

	shard, seq, err := srv.Put(ctx, "s", "k", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	it, err := srv.Client().GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String("s"), ShardId: aws.String(shard),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seq),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client().GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 1 || string(out.Records[0].Data) != "hello" || aws.ToString(out.Records[0].PartitionKey) != "k" {
		t.Fatalf("read back %+v", out.Records)
	}

	res, err := srv.PutRecords(ctx, "s", []Entry{{Key: "a", Data: []byte("1")}, {Key: "b", Data: []byte("2")}})
	if err != nil || len(res) != 2 {
		t.Fatalf("PutRecords: %v, %v", res, err)
	}
	if err := srv.DeleteStream(ctx, "s"); err != nil {
		t.Fatal(err)
	}
}
