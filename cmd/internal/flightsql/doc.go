// Package flightsql is Tannin's Arrow Flight SQL endpoint: the gRPC
// protocol that ADBC, the Flight SQL JDBC/ODBC drivers (Tableau, DBeaver)
// and notebooks speak, answered from the broker's query path.
//
// A Server embeds arrow-go's flightsql.BaseServer and answers over a
// Backend (the broker: run a statement, plan one without running it, list
// the tables):
//
//   - Statements: GetFlightInfo plans the SQL (parse and column errors
//     come back here, with the result schema) and returns a ticket that
//     holds the SQL; DoGet runs it through the broker (admission, timeout,
//     routing, metrics as for HTTP) and streams the result as record
//     batches of at most Config.BatchRows rows. Nothing is kept between
//     the two calls: tickets are stateless, any broker answers them.
//   - Prepared statements take `?` parameters (params.go). Their handle is
//     stateless too: it holds the SQL, then, after DoPut binds a parameter
//     batch, one statement per parameter row with each value rendered as a
//     typed SQL literal. The parameter schema types each `?` after the
//     column it is compared with; the result schema is known at prepare
//     time whenever the statement plans with placeholder values.
//   - The catalog: no catalogs, one database schema "default", the tables
//     the caller may read (GetTables with their Arrow schemas), table type
//     TABLE, and GetSqlInfo (server name "Tannin", version, identifier
//     rules, function lists).
//   - GetXdbcTypeInfo (typeinfo.go): one row per column type, named as
//     the columns' TYPE_NAME metadata (INT ... BYTES, and X_ARRAY for
//     multi-value columns) with its java.sql.Types/XDBC code, size,
//     literal quotes and searchability, optionally filtered by code.
//   - The key calls (keys.go: primary, imported, exported keys and the
//     cross reference) answer their schemas with no rows: Tannin tables
//     have no keys. The table must exist (NotFound) and be readable
//     (PermissionDenied), as for a statement.
//
// # Types
//
// INT→int32, LONG→int64, FLOAT→float32, DOUBLE→float64, BOOLEAN→bool,
// TIMESTAMP→timestamp[ms, UTC], STRING and JSON→utf8, BYTES→binary,
// BIG_DECIMAL→utf8 (exact decimal text: its scale varies by value, so no
// decimal128 type fits a column), multi-value columns→list<type>. Every
// field is nullable and NULL cells are Arrow nulls: statements run with
// enableNullHandling=true. Each field carries the Flight SQL column
// metadata (ARROW:FLIGHT:SQL:TYPE_NAME is Pinot's type name).
//
// # Errors
//
// errors.go is the one table from Pinot's query error codes to gRPC
// codes: parse errors, unknown columns and planning errors are
// InvalidArgument, an unknown table NotFound, no read permission
// PermissionDenied, timeouts DeadlineExceeded, a partial answer (segments
// without a replica, servers not responding) Unavailable — never a silently
// partial result — and a call the client cancelled Canceled (the broker's
// query is cancelled with it). Messages are the engine's own.
//
// # Authentication
//
// With a Config.Auth, every call passes its authorization header to
// Authenticator.Authenticate; the Handshake turns Basic credentials into
// `authorization: Bearer <token>` (what the ADBC driver expects). Without
// one the endpoint is open.
package flightsql
