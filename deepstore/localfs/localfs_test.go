package localfs

import (
	"testing"

	"github.com/tannin-db/tannin/deepstore/deepstoretest"
)

func TestAcceptance(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	deepstoretest.AcceptanceTest(t, s)
}
