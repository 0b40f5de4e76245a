package tableconfig

import "strings"

// RawTableName strips a "_OFFLINE" or "_REALTIME" type suffix, as Pinot's
// TableNameBuilder.extractRawTableName does: "clicks_REALTIME" -> "clicks".
func RawTableName(name string) string {
	for _, t := range []TableType{Offline, Realtime} {
		if raw, ok := strings.CutSuffix(name, "_"+string(t)); ok {
			return raw
		}
	}
	return name
}

// TableNameWithType is the name Pinot keys the table by, the raw name with
// the type suffix: "webTransactions_OFFLINE".
func (c *TableConfig) TableNameWithType() string {
	return c.TableName + "_" + string(c.TableType)
}

// ParseTableType parses OFFLINE or REALTIME, in any case as Pinot accepts.
func ParseTableType(s string) (TableType, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case string(Offline):
		return Offline, true
	case string(Realtime):
		return Realtime, true
	}
	return "", false
}
