package flightsql

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The catalog: Pinot has neither catalogs nor schemas, only tables, which
// queries name by their raw name. Tannin reports no catalog (catalog_name
// is null) and one database schema, "default" (Pinot's database of tables
// created without one), holding every table the caller may read, of type
// TABLE.

const (
	dbSchema  = "default"
	tableType = "TABLE"
)

// GetFlightInfoCatalogs describes the (empty) catalog list.
func (s *Server) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return flightInfo(desc, schema_ref.Catalogs, desc.Cmd, s.mem), nil
}

// DoGetCatalogs streams no catalogs.
func (s *Server) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rec, err := s.buildRecord(schema_ref.Catalogs, func(*array.RecordBuilder) error { return nil })
	if err != nil {
		return nil, nil, err
	}
	return schema_ref.Catalogs, oneBatch(rec), nil
}

// GetFlightInfoSchemas describes the database schemas.
func (s *Server) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return flightInfo(desc, schema_ref.DBSchemas, desc.Cmd, s.mem), nil
}

// DoGetDBSchemas streams "default" when the filters admit it.
func (s *Server) DoGetDBSchemas(_ context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rec, err := s.buildRecord(schema_ref.DBSchemas, func(b *array.RecordBuilder) error {
		if catalogMatches(cmd.GetCatalog()) && patternMatches(cmd.GetDBSchemaFilterPattern(), dbSchema) {
			b.Field(0).AppendNull()
			b.Field(1).(*array.StringBuilder).Append(dbSchema)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return schema_ref.DBSchemas, oneBatch(rec), nil
}

// GetFlightInfoTables describes the table list, with or without schemas.
func (s *Server) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	sch := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		sch = schema_ref.TablesWithIncludedSchema
	}
	return flightInfo(desc, sch, desc.Cmd, s.mem), nil
}

// DoGetTables streams the tables the caller may read that match the
// filters, each with its Arrow schema (IPC-serialized) when asked.
func (s *Server) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	sch := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		sch = schema_ref.TablesWithIncludedSchema
	}
	typeOK := len(cmd.GetTableTypes()) == 0
	for _, t := range cmd.GetTableTypes() {
		typeOK = typeOK || strings.EqualFold(t, tableType)
	}
	rec, err := s.buildRecord(sch, func(b *array.RecordBuilder) error {
		if !typeOK || !catalogMatches(cmd.GetCatalog()) || !patternMatches(cmd.GetDBSchemaFilterPattern(), dbSchema) {
			return nil
		}
		for _, t := range s.cfg.Backend.Tables(ctx) {
			if !patternMatches(cmd.GetTableNameFilterPattern(), t.Name) {
				continue
			}
			if s.cfg.Auth != nil && !s.cfg.Auth.CanRead(ctx, t.Name) {
				continue
			}
			b.Field(0).AppendNull()
			b.Field(1).(*array.StringBuilder).Append(dbSchema)
			b.Field(2).(*array.StringBuilder).Append(t.Name)
			b.Field(3).(*array.StringBuilder).Append(tableType)
			if cmd.GetIncludeSchema() {
				b.Field(4).(*array.BinaryBuilder).Append(flight.SerializeSchema(tableSchema(t.Schema, t.Name), s.mem))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return sch, oneBatch(rec), nil
}

// GetFlightInfoTableTypes describes the table types.
func (s *Server) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return flightInfo(desc, schema_ref.TableTypes, desc.Cmd, s.mem), nil
}

// DoGetTableTypes streams the one table type, TABLE.
func (s *Server) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rec, err := s.buildRecord(schema_ref.TableTypes, func(b *array.RecordBuilder) error {
		b.Field(0).(*array.StringBuilder).Append(tableType)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return schema_ref.TableTypes, oneBatch(rec), nil
}

// catalogMatches reports whether a catalog filter admits "no catalog": an
// absent filter or "" (the spec's "without a catalog").
func catalogMatches(catalog *string) bool { return catalog == nil || *catalog == "" }

// patternMatches applies a Flight SQL filter pattern (SQL LIKE: % any
// run, _ one character, \ escapes) to s; an absent pattern admits
// everything.
func patternMatches(pattern *string, s string) bool {
	if pattern == nil {
		return true
	}
	return like([]rune(*pattern), []rune(s))
}

func like(p, s []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if like(p, s[i:]) {
					return true
				}
			}
			return false
		case '_':
			if len(s) == 0 {
				return false
			}
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}

// GetSqlInfo: what the server says of itself. The ADBC driver asks for the
// server name, version and Arrow version (GetInfo) and the transaction
// support on connect; JDBC-based tools (DBeaver, Tableau through the Flight
// SQL JDBC driver) read the identifier rules, keywords and function lists
// through DatabaseMetaData.

func (s *Server) registerSqlInfo() error {
	infos := map[flightsql.SqlInfo]any{
		flightsql.SqlInfoFlightSqlServerName:             "Tannin",
		flightsql.SqlInfoFlightSqlServerVersion:          s.cfg.Version,
		flightsql.SqlInfoFlightSqlServerArrowVersion:     "18.8.0",
		flightsql.SqlInfoFlightSqlServerReadOnly:         true,
		flightsql.SqlInfoFlightSqlServerSql:              true,
		flightsql.SqlInfoFlightSqlServerSubstrait:        false,
		flightsql.SqlInfoFlightSqlServerTransaction:      int32(flightsql.SqlTransactionNone),
		flightsql.SqlInfoFlightSqlServerCancel:           false,
		flightsql.SqlInfoFlightSqlServerBulkIngestion:    false,
		flightsql.SqlInfoFlightSqlServerStatementTimeout: int32(0),
		flightsql.SqlInfoDDLCatalog:                      false,
		flightsql.SqlInfoDDLSchema:                       false,
		flightsql.SqlInfoDDLTable:                        false,
		// Unquoted identifiers keep their case and match case-insensitively
		// (Pinot resolves names so); quoted ones likewise.
		flightsql.SqlInfoIdentifierCase:          int64(flightsql.SqlCaseSensitivityCaseInsensitive),
		flightsql.SqlInfoQuotedIdentifierCase:    int64(flightsql.SqlCaseSensitivityCaseInsensitive),
		flightsql.SqlInfoIdentifierQuoteChar:     `"`,
		flightsql.SqlInfoAllTablesAreASelectable: true,
		flightsql.SqlInfoNullOrdering:            int64(flightsql.SqlNullOrderingSortHigh),
		flightsql.SqlInfoKeywords:                []string{"OPTION", "SET", "EXPLAIN", "PLAN", "FILTER"},
		flightsql.SqlInfoNumericFunctions: []string{"ABS", "CEIL", "FLOOR", "EXP", "LN", "LOG10", "LOG2", "SQRT",
			"POWER", "ROUND", "TRUNCATE", "MOD", "SIGN", "GREATEST", "LEAST"},
		flightsql.SqlInfoStringFunctions: []string{"LOWER", "UPPER", "LENGTH", "CONCAT", "SUBSTR", "SUBSTRING",
			"TRIM", "LTRIM", "RTRIM", "REPLACE", "REVERSE", "STRPOS", "STARTSWITH", "ENDSWITH", "LPAD", "RPAD",
			"REGEXP_EXTRACT", "REGEXP_LIKE", "JSONEXTRACTSCALAR"},
		flightsql.SqlInfoSystemFunctions: []string{"CAST", "COALESCE", "NULLIF"},
		flightsql.SqlInfoDateTimeFunctions: []string{"NOW", "AGO", "DATETRUNC", "DATETIMECONVERT", "EXTRACT",
			"TODATETIME", "FROMDATETIME", "TOEPOCHSECONDS", "TOEPOCHMILLIS", "FROMEPOCHSECONDS", "FROMEPOCHMILLIS",
			"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"},
		flightsql.SqlInfoSearchStringEscape:                      `\`,
		flightsql.SqlInfoExtraNameChars:                          "",
		flightsql.SqlInfoSupportsColumnAliasing:                  true,
		flightsql.SqlInfoNullPlusNullIsNull:                      true,
		flightsql.SqlInfoSupportsTableCorrelationNames:           int32(0),
		flightsql.SqlInfoSupportsDifferentTableCorrelationNames:  false,
		flightsql.SqlInfoSupportsExpressionsInOrderBy:            true,
		flightsql.SqlInfoSupportsOrderByUnrelated:                true,
		flightsql.SqlInfoSupportsLikeEscapeClause:                false,
		flightsql.SqlInfoSupportsNonNullableColumns:              true,
		flightsql.SqlInfoSupportsIntegrityEnhancementFacility:    false,
		flightsql.SqlInfoSchemaTerm:                              "schema",
		flightsql.SqlInfoProcedureTerm:                           "procedure",
		flightsql.SqlInfoCatalogTerm:                             "catalog",
		flightsql.SqlInfoCatalogAtStart:                          false,
		flightsql.SqlInfoSelectForUpdateSupported:                false,
		flightsql.SqlInfoStoredProceduresSupported:               false,
		flightsql.SqlInfoCorrelatedSubqueriesSupported:           false,
		flightsql.SqlInfoMaxColumnsInTable:                       int64(0),
		flightsql.SqlInfoMaxTablesInSelect:                       int64(1),
		flightsql.SqlInfoTransactionsSupported:                   false,
		flightsql.SqlInfoDataDefinitionCausesTransactionCommit:   false,
		flightsql.SqlInfoDataDefinitionsInTransactionsIgnored:    true,
		flightsql.SqlInfoBatchUpdatesSupported:                   false,
		flightsql.SqlInfoSavePointsSupported:                     false,
		flightsql.SqlInfoNamedParametersSupported:                false,
		flightsql.SqlInfoLocatorsUpdateCopy:                      false,
		flightsql.SqlInfoStoredFunctionsUsingCallSyntaxSupported: false,
	}
	for id, v := range infos {
		if err := s.RegisterSqlInfo(id, v); err != nil {
			return err
		}
	}
	s.known = make(map[uint32]bool, len(infos))
	for id := range infos {
		s.known[uint32(id)] = true
	}
	return nil
}

// DoGetSqlInfo answers the requested infos this server knows and leaves
// out the others, rather than failing the call: JDBC drivers ask for
// everything they might use.
func (s *Server) DoGetSqlInfo(ctx context.Context, cmd flightsql.GetSqlInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	req := cmd.GetInfo()
	if len(req) == 0 {
		return s.BaseServer.DoGetSqlInfo(ctx, cmd)
	}
	known := make([]uint32, 0, len(req))
	for _, id := range req {
		if s.known[id] {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		return nil, nil, status.Errorf(codes.NotFound, "none of the %d requested SqlInfo ids is known to this server", len(req))
	}
	return s.BaseServer.DoGetSqlInfo(ctx, sqlInfoSubset(known))
}

// sqlInfoSubset is a GetSqlInfo command for the given ids.
type sqlInfoSubset []uint32

func (s sqlInfoSubset) GetInfo() []uint32 { return s }
