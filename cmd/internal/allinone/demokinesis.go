package allinone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tannin-db/tannin/deploy"
)

// demoRegion is the region the demo names when talking to a Kinesis-API
// endpoint (kinesalite and LocalStack accept any).
const demoRegion = "us-east-1"

// KinesisProducer writes the demo's events with PutRecords.
type KinesisProducer struct {
	cli  *kinesis.Client
	name string
}

// NewKinesisProducer connects to endpoint and creates the demo stream with
// shards shards unless it exists. Without AWS credentials in the
// environment it uses placeholder ones, which Kinesis-API emulators
// accept; the table's consumers then find the same ones in the
// environment through the SDK's default chain.
func NewKinesisProducer(ctx context.Context, endpoint, name string, shards int) (*KinesisProducer, error) {
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		os.Setenv("AWS_ACCESS_KEY_ID", "tannin-quickstart")
		os.Setenv("AWS_SECRET_ACCESS_KEY", "tannin-quickstart")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(demoRegion))
	if err != nil {
		return nil, fmt.Errorf("kinesis endpoint %s: %w", endpoint, err)
	}
	cli := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(endpoint) })
	p := &KinesisProducer{cli: cli, name: name}
	_, err = cli.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return nil, fmt.Errorf("create kinesis stream %q at %s: %w", name, endpoint, err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		out, err := cli.DescribeStreamSummary(wctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return p, nil
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("kinesis stream %q at %s did not become ACTIVE: %v", name, endpoint, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *KinesisProducer) produce(ctx context.Context, evs []Event) (int, error) {
	sent := 0
	for sent < len(evs) {
		batch := evs[sent:min(len(evs), sent+500)] // PutRecords takes 500
		in := &kinesis.PutRecordsInput{StreamName: aws.String(p.name)}
		for _, e := range batch {
			in.Records = append(in.Records, types.PutRecordsRequestEntry{Data: e.Data, PartitionKey: aws.String(e.Key)})
		}
		out, err := p.cli.PutRecords(ctx, in)
		if err != nil {
			return sent, err
		}
		// Records after the first failed one are sent again, so that the
		// stream keeps the generator's order.
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				return sent + i, fmt.Errorf("put record: %s", aws.ToString(r.ErrorMessage))
			}
		}
		sent += len(batch)
	}
	return sent, nil
}

func (p *KinesisProducer) close() error { return nil }

// Put writes events, in order.
func (p *KinesisProducer) Put(ctx context.Context, evs []Event) error {
	_, err := p.produce(ctx, evs)
	return err
}

// KinesisTableConfig is the streaming demo's table reading the Kinesis
// stream at endpoint, in Pinot's keys (Pinot's consumer factory and
// decoder class names are accepted as-is).
func KinesisTableConfig(endpoint string) ([]byte, error) {
	var tc map[string]any
	if err := json.Unmarshal(deploy.StreamingTableConfig, &tc); err != nil {
		return nil, err
	}
	ing := tc["ingestionConfig"].(map[string]any)["streamIngestionConfig"].(map[string]any)
	ing["streamConfigMaps"] = []any{map[string]any{
		"streamType":                "kinesis",
		"stream.kinesis.topic.name": streamingTable,
		"region":                    demoRegion,
		"endpoint":                  endpoint,
		"shardIteratorType":         "TRIM_HORIZON",
		// Kinesis allows 5 reads per second per shard; Pinot's default of
		// 1 makes an event wait up to a second.
		"requests_per_second_limit":                  "4",
		"stream.kinesis.consumer.factory.class.name": "org.apache.pinot.plugin.stream.kinesis.KinesisConsumerFactory",
		"stream.kinesis.decoder.class.name":          "org.apache.pinot.plugin.inputformat.json.JSONMessageDecoder",
		"realtime.segment.flush.threshold.rows":      "50000",
		"realtime.segment.flush.threshold.time":      "10m",
	}}
	return json.Marshal(tc)
}
