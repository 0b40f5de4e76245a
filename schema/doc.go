// Package schema holds a table's columns and their types in Apache Pinot's
// vocabulary, and decodes Pinot's schema JSON strictly: an unknown or
// misspelled field is an error that names it and the nearest known field,
// while a field of Pinot's vocabulary that Tannin does not implement yet is
// accepted and reported back as a warning.
package schema
