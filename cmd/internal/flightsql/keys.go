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

// The key calls: JDBC tools ask for a table's primary key and foreign keys
// (DBeaver whenever it opens a table). Tannin tables have neither: a
// schema's primaryKeyColumns is Pinot's upsert key, and without upsert
// (not built yet) rows are not unique on it, so reporting it as a primary
// key would tell a tool something false. Each call answers its schema
// with no rows, once the named table is known to exist and to be readable
// by the caller: a misspelt name is NotFound, as in a statement, not an
// empty answer that looks like "no keys". GetFlightInfo checks, and DoGet
// again, since the ticket (the command itself) comes back from the client.

// checkTableRef resolves ref to a table the caller may read.
func (s *Server) checkTableRef(ctx context.Context, ref flightsql.TableRef) error {
	if ref.Table == "" {
		return status.Error(codes.InvalidArgument, "no table named: the key calls take a table name")
	}
	t, ok := s.findTable(ctx, ref.Table)
	if !ok || !catalogMatches(ref.Catalog) || (ref.DBSchema != nil && *ref.DBSchema != dbSchema) {
		return status.Errorf(codes.NotFound, "table %q does not exist in %s", ref.Table, describeRef(ref))
	}
	return s.authorize(ctx, t.Name)
}

// describeRef names where a lookup looked, for NotFound messages.
func describeRef(ref flightsql.TableRef) string {
	where := "database schema " + `"` + dbSchema + `"`
	if ref.DBSchema != nil {
		where = `database schema "` + *ref.DBSchema + `"`
	}
	if ref.Catalog != nil && *ref.Catalog != "" {
		where = `catalog "` + *ref.Catalog + `", ` + where + ` (Tannin has no catalogs)`
	}
	return where
}

// findTable looks a table up by raw name (a _OFFLINE or _REALTIME suffix
// is dropped), case-insensitively as queries resolve it, an exact match
// first.
func (s *Server) findTable(ctx context.Context, name string) (Table, bool) {
	for _, suf := range []string{"_OFFLINE", "_REALTIME"} {
		if len(name) > len(suf) && strings.EqualFold(name[len(name)-len(suf):], suf) {
			name = name[:len(name)-len(suf)]
		}
	}
	var found Table
	ok := false
	for _, t := range s.cfg.Backend.Tables(ctx) {
		if t.Name == name {
			return t, true
		}
		if !ok && strings.EqualFold(t.Name, name) {
			found, ok = t, true
		}
	}
	return found, ok
}

// noKeys answers a key call: its schema and one empty batch.
func (s *Server) noKeys(sch *arrow.Schema) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rec, err := s.buildRecord(sch, func(*array.RecordBuilder) error { return nil })
	if err != nil {
		return nil, nil, err
	}
	return sch, oneBatch(rec), nil
}

func (s *Server) keysInfo(ctx context.Context, desc *flight.FlightDescriptor, sch *arrow.Schema, refs ...flightsql.TableRef) (*flight.FlightInfo, error) {
	for _, ref := range refs {
		if err := s.checkTableRef(ctx, ref); err != nil {
			return nil, err
		}
	}
	return flightInfo(desc, sch, desc.Cmd, s.mem), nil
}

func (s *Server) keysData(ctx context.Context, sch *arrow.Schema, refs ...flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	for _, ref := range refs {
		if err := s.checkTableRef(ctx, ref); err != nil {
			return nil, nil, err
		}
	}
	return s.noKeys(sch)
}

// GetFlightInfoPrimaryKeys checks the table and describes its (empty)
// primary key.
func (s *Server) GetFlightInfoPrimaryKeys(ctx context.Context, ref flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.keysInfo(ctx, desc, schema_ref.PrimaryKeys, ref)
}

// DoGetPrimaryKeys streams no primary key columns.
func (s *Server) DoGetPrimaryKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.keysData(ctx, schema_ref.PrimaryKeys, ref)
}

// GetFlightInfoExportedKeys checks the table and describes the (no)
// foreign keys that reference it.
func (s *Server) GetFlightInfoExportedKeys(ctx context.Context, ref flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.keysInfo(ctx, desc, schema_ref.ExportedKeys, ref)
}

// DoGetExportedKeys streams no foreign keys.
func (s *Server) DoGetExportedKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.keysData(ctx, schema_ref.ExportedKeys, ref)
}

// GetFlightInfoImportedKeys checks the table and describes its (no)
// foreign keys.
func (s *Server) GetFlightInfoImportedKeys(ctx context.Context, ref flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.keysInfo(ctx, desc, schema_ref.ImportedKeys, ref)
}

// DoGetImportedKeys streams no foreign keys.
func (s *Server) DoGetImportedKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.keysData(ctx, schema_ref.ImportedKeys, ref)
}

// GetFlightInfoCrossReference checks both tables and describes the (no)
// foreign keys between them.
func (s *Server) GetFlightInfoCrossReference(ctx context.Context, ref flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.keysInfo(ctx, desc, schema_ref.CrossReference, ref.PKRef, ref.FKRef)
}

// DoGetCrossReference streams no foreign keys.
func (s *Server) DoGetCrossReference(ctx context.Context, ref flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.keysData(ctx, schema_ref.CrossReference, ref.PKRef, ref.FKRef)
}
