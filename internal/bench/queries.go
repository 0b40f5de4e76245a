package bench

import "strings"

// Query is one benchmark query, in Tannin's (Pinot's) dialect and, where
// the dialects differ, DuckDB's.
type Query struct {
	Name   string
	Kind   string // what it exercises
	Tannin string
	Duck   string // "" when Tannin's text runs unchanged on DuckDB
	// Approx marks estimates: both engines estimate differently, so the
	// answers are not compared.
	Approx bool
}

// DuckSQL is the text DuckDB runs.
func (q Query) DuckSQL() string {
	if q.Duck != "" {
		return q.Duck
	}
	return strings.TrimPrefix(q.Tannin, exact)
}

// Queries are modelled on ClickBench's, over the clickstream table, plus
// selective lookups that hit the inverted and sorted indexes. {{USER}} is
// replaced by a UserID present in the data, {{T0}}/{{T1}} by a one-hour
// window of EventTime in epoch millis and {{D0}}/{{D1}} by the same window
// as DuckDB timestamps.
// exact lifts Pinot's per-segment numGroupsLimit (100,000 groups) for the
// high-cardinality group-bys, so that they answer exactly, as DuckDB does.
const exact = "SET numGroupsLimit = 100000000; "

var Queries = []Query{
	{Name: "q01", Kind: "count", Tannin: "SELECT COUNT(*) FROM hits"},
	{Name: "q02", Kind: "filtered count", Tannin: "SELECT COUNT(*) FROM hits WHERE AdvEngineID <> 0"},
	{Name: "q03", Kind: "full-scan aggregates", Tannin: "SELECT SUM(AdvEngineID), COUNT(*), AVG(ResolutionWidth) FROM hits"},
	{Name: "q04", Kind: "full-scan aggregate", Tannin: "SELECT AVG(UserID) FROM hits"},
	{Name: "q05", Kind: "count distinct high-card", Tannin: "SELECT COUNT(DISTINCT UserID) FROM hits"},
	{Name: "q06", Kind: "count distinct strings", Tannin: "SELECT COUNT(DISTINCT SearchPhrase) FROM hits"},
	{Name: "q07", Kind: "min/max", Tannin: "SELECT MIN(EventDate), MAX(EventDate) FROM hits"},
	{Name: "q08", Kind: "low-card group-by", Tannin: "SELECT AdvEngineID, COUNT(*) FROM hits WHERE AdvEngineID <> 0 GROUP BY AdvEngineID ORDER BY COUNT(*) DESC LIMIT 100"},
	{Name: "q09", Kind: "group-by + count distinct", Tannin: "SELECT RegionID, COUNT(DISTINCT UserID) AS u FROM hits GROUP BY RegionID ORDER BY u DESC, RegionID LIMIT 10"},
	{Name: "q10", Kind: "group-by, several aggregates", Tannin: "SELECT RegionID, SUM(AdvEngineID), COUNT(*) AS c, AVG(ResolutionWidth), COUNT(DISTINCT UserID) FROM hits GROUP BY RegionID ORDER BY c DESC, RegionID LIMIT 10"},
	{Name: "q11", Kind: "string group-by", Tannin: "SELECT MobilePhoneModel, COUNT(DISTINCT UserID) AS u FROM hits WHERE MobilePhoneModel <> '' GROUP BY MobilePhoneModel ORDER BY u DESC, MobilePhoneModel LIMIT 10"},
	{Name: "q12", Kind: "two-key group-by", Tannin: "SELECT MobilePhone, MobilePhoneModel, COUNT(DISTINCT UserID) AS u FROM hits WHERE MobilePhoneModel <> '' GROUP BY MobilePhone, MobilePhoneModel ORDER BY u DESC, MobilePhone, MobilePhoneModel LIMIT 10"},
	{Name: "q13", Kind: "top-N strings", Tannin: "SELECT SearchPhrase, COUNT(*) AS c FROM hits WHERE SearchPhrase <> '' GROUP BY SearchPhrase ORDER BY c DESC, SearchPhrase LIMIT 10"},
	{Name: "q14", Kind: "top-N strings, distinct", Tannin: "SELECT SearchPhrase, COUNT(DISTINCT UserID) AS u FROM hits WHERE SearchPhrase <> '' GROUP BY SearchPhrase ORDER BY u DESC, SearchPhrase LIMIT 10"},
	{Name: "q15", Kind: "two-key top-N", Tannin: "SELECT SearchEngineID, SearchPhrase, COUNT(*) AS c FROM hits WHERE SearchPhrase <> '' GROUP BY SearchEngineID, SearchPhrase ORDER BY c DESC, SearchEngineID, SearchPhrase LIMIT 10"},
	{Name: "q16", Kind: "high-card group-by", Tannin: exact + "SELECT UserID, COUNT(*) AS c FROM hits GROUP BY UserID ORDER BY c DESC, UserID LIMIT 10"},
	{Name: "q17", Kind: "high-card two-key group-by", Tannin: exact + "SELECT UserID, SearchPhrase, COUNT(*) AS c FROM hits GROUP BY UserID, SearchPhrase ORDER BY c DESC, UserID, SearchPhrase LIMIT 10"},
	{Name: "q18", Kind: "point lookup (inverted index)", Tannin: "SELECT UserID, COUNT(*) FROM hits WHERE UserID = {{USER}} GROUP BY UserID LIMIT 10"},
	{Name: "q19", Kind: "LIKE", Tannin: "SELECT COUNT(*) FROM hits WHERE URL LIKE '%google%'"},
	{Name: "q20", Kind: "LIKE + group-by", Tannin: "SELECT SearchPhrase, MIN(URL), COUNT(*) AS c FROM hits WHERE URL LIKE '%google%' AND SearchPhrase <> '' GROUP BY SearchPhrase ORDER BY c DESC, SearchPhrase LIMIT 10"},
	{Name: "q21", Kind: "LIKE + top rows", Tannin: "SELECT WatchID, URL, EventTime FROM hits WHERE URL LIKE '%google%' ORDER BY EventTime, WatchID LIMIT 10",
		Duck: "SELECT WatchID, URL, epoch_ms(EventTime) FROM hits WHERE URL LIKE '%google%' ORDER BY EventTime, WatchID LIMIT 10"},
	{Name: "q22", Kind: "top rows by time", Tannin: "SELECT SearchPhrase, EventTime FROM hits WHERE SearchPhrase <> '' ORDER BY EventTime, SearchPhrase LIMIT 10",
		Duck: "SELECT SearchPhrase, epoch_ms(EventTime) FROM hits WHERE SearchPhrase <> '' ORDER BY EventTime, SearchPhrase LIMIT 10"},
	{Name: "q23", Kind: "expression aggregate + HAVING", Tannin: "SELECT CounterID, AVG(LENGTH(URL)) AS l, COUNT(*) AS c FROM hits WHERE URL <> '' GROUP BY CounterID HAVING COUNT(*) > 1000 ORDER BY l DESC, CounterID LIMIT 25"},
	{Name: "q24", Kind: "arithmetic aggregates", Tannin: "SELECT SUM(ResolutionWidth), SUM(ResolutionWidth + 1), SUM(ResolutionWidth + 2), SUM(ResolutionWidth * 3) FROM hits"},
	{Name: "q25", Kind: "URL group-by", Tannin: exact + "SELECT URL, COUNT(*) AS c FROM hits GROUP BY URL ORDER BY c DESC, URL LIMIT 10"},
	{Name: "q26", Kind: "expression group-by", Tannin: exact + "SELECT ClientIP, ClientIP - 1, COUNT(*) AS c FROM hits GROUP BY ClientIP, ClientIP - 1 ORDER BY c DESC, ClientIP LIMIT 10"},
	{Name: "q27", Kind: "selective filter + group-by (sorted index)", Tannin: exact + "SELECT URL, COUNT(*) AS PageViews FROM hits WHERE CounterID = 62 AND DontCountHits = 0 AND IsRefresh = 0 AND URL <> '' GROUP BY URL ORDER BY PageViews DESC, URL LIMIT 10"},
	{Name: "q28", Kind: "sorted-index count", Tannin: "SELECT COUNT(*) FROM hits WHERE CounterID = 62"},
	{Name: "q29", Kind: "time range (range index)", Tannin: "SELECT COUNT(*), SUM(Duration) FROM hits WHERE EventTime >= {{T0}} AND EventTime < {{T1}}",
		Duck: "SELECT COUNT(*), SUM(Duration) FROM hits WHERE EventTime >= {{D0}} AND EventTime < {{D1}}"},
	{Name: "q30", Kind: "time bucketing", Tannin: "SELECT DATETRUNC('hour', EventTime) AS h, COUNT(*) FROM hits GROUP BY DATETRUNC('hour', EventTime) ORDER BY h LIMIT 1000",
		Duck: "SELECT epoch_ms(date_trunc('hour', EventTime)) AS h, COUNT(*) FROM hits GROUP BY date_trunc('hour', EventTime) ORDER BY h LIMIT 1000"},
	{Name: "q31", Kind: "low-card group-by", Tannin: "SELECT OS, COUNT(*) AS c FROM hits GROUP BY OS ORDER BY c DESC, OS LIMIT 100"},
	{Name: "q32", Kind: "three-key low-card group-by", Tannin: "SELECT TraficSourceID, SearchEngineID, AdvEngineID, COUNT(*) AS c FROM hits GROUP BY TraficSourceID, SearchEngineID, AdvEngineID ORDER BY c DESC, TraficSourceID, SearchEngineID, AdvEngineID LIMIT 10"},
	{Name: "q33", Kind: "inverted-index IN", Tannin: "SELECT MobilePhoneModel, COUNT(*) FROM hits WHERE MobilePhoneModel IN ('iPad', 'iPhone') GROUP BY MobilePhoneModel ORDER BY MobilePhoneModel LIMIT 10"},
	{Name: "q34", Kind: "approximate distinct", Tannin: "SELECT DISTINCTCOUNTHLL(UserID) FROM hits", Duck: "SELECT approx_count_distinct(UserID) FROM hits", Approx: true},
}
