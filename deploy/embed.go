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
