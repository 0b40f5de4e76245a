// Package deploy holds deployment material; Go code embeds the quickstart
// table (Pinot schema and table config JSON) from here so that `tannin
// quickstart` works from any directory.
package deploy

import _ "embed"

// QuickstartSchema and QuickstartTableConfig define the web-transactions
// demo table.
var (
	//go:embed quickstart/webTransactions_schema.json
	QuickstartSchema []byte
	//go:embed quickstart/webTransactions_offline_table_config.json
	QuickstartTableConfig []byte
)

// StreamingSchema and StreamingTableConfig define the streaming demo's
// realtime table, fed by the quickstart's event generator.
var (
	//go:embed quickstart/webEvents_schema.json
	StreamingSchema []byte
	//go:embed quickstart/webEvents_realtime_table_config.json
	StreamingTableConfig []byte
)
