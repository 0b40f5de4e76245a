package deploy_test

import (
	"testing"

	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/tableconfig"
)

func TestStreamingConfigs(t *testing.T) {
	s, _, err := schema.Parse(deploy.StreamingSchema)
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := tableconfig.Parse(deploy.StreamingTableConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.Validate(s); err != nil {
		t.Fatal(err)
	}
	if _, err := streamconfig.Validate(tc); err != nil {
		t.Fatal(err)
	}
}
