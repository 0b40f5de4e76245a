package memstore

import (
	"testing"

	"github.com/tannin-db/tannin/deepstore/deepstoretest"
)

func TestAcceptance(t *testing.T) { deepstoretest.AcceptanceTest(t, New()) }
