// Package tableconfig decodes Apache Pinot's table config JSON strictly and
// validates it against a schema.
package tableconfig
