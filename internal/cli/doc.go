// Package cli implements the tannin command's subcommands, so that the
// main package stays a few lines and the commands run in-process in tests:
//
//	code := cli.Main(ctx, &cli.Env{Stdout: &out, Stderr: &errOut}, []string{"version"}, cli.Commands())
//
// A subcommand is a Command value: a name, a synopsis, a summary and a Run
// function taking the arguments after the name. Adding one is writing that
// function and appending it to the list given to Main. Run returns a
// *UsageError for bad arguments (exit code 2, with the usage), any other
// error for a failure (exit code 1, printed as "tannin NAME: error").
// Flags may come before or after positional arguments; "tannin help NAME"
// lists a command's flags.
//
// The built-in commands (Commands):
//
//	tannin ingest --schema s.json --table t.json --out DIR [flags] FILES...
//	tannin query --dir DIR [--schema s.json] [--table NAME] [--format table|json|csv] "SQL"
//	tannin dump-segment [--rows N] [--column C] FILE
//	tannin version
//
// ingest shows a progress bar on stderr when it is a terminal (or with
// --progress) and prints a summary; query prints an aligned table, or
// Pinot's broker response JSON, or CSV, with a statistics line.
package cli
