package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
)

func TestToQueryError(t *testing.T) {
	_, parseErr := sql.Parse("SELECT FROM WHERE")
	if parseErr == nil {
		t.Fatal("want a parse error")
	}
	sch := &schema.Schema{Name: "t", Fields: []schema.FieldSpec{{Name: "a", DataType: schema.TypeLong, SingleValue: true}}}
	st, err := sql.Parse("SELECT nosuch FROM t")
	if err != nil {
		t.Fatal(err)
	}
	_, unknownCol := exec.NewPruner(sch, "t", st)
	st, err = sql.Parse("SELECT a FROM t HAVING a > 1")
	if err != nil {
		t.Fatal(err)
	}
	_, planErr := exec.NewPruner(sch, "t", st)
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"sql parse", parseErr, codeSQLParsing},
		{"wrapped sql parse", fmt.Errorf("query: %w", parseErr), codeSQLParsing},
		{"unknown column", unknownCol, codeUnknownColumn},
		{"planning", planErr, codePlanning},
		{"execution timeout", fmt.Errorf("x: %w", exec.ErrTimeout), codeExecutionTimeout},
		{"broker deadline", context.DeadlineExceeded, codeBrokerTimeout},
		{"query error kept", errorf(codeSegmentsUnavailable, "x"), codeSegmentsUnavailable},
		{"other", errors.New("boom"), codeExecution},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Fatalf("%s: no error to classify", tt.name)
		}
		qe := toQueryError(tt.err)
		if qe.Code != tt.code {
			t.Errorf("%s: %v → code %d, want %d", tt.name, tt.err, qe.Code, tt.code)
		}
		if qe.Msg == "" {
			t.Errorf("%s: empty message", tt.name)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct{ code, status int }{
		{codeJSONParsing, http.StatusBadRequest},
		{codeSQLParsing, http.StatusBadRequest},
		{codeTableMissing, http.StatusNotFound},
		{codeExecution, http.StatusInternalServerError},
		{codeExecutionTimeout, http.StatusRequestTimeout},
		{codeSegmentsUnavailable, http.StatusServiceUnavailable},
		{codeBrokerTimeout, http.StatusRequestTimeout},
		{codeServerNotResponding, http.StatusServiceUnavailable},
		{codeUnknownColumn, http.StatusBadRequest},
		{codePlanning, http.StatusBadRequest},
		{999, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := httpStatus(tt.code); got != tt.status {
			t.Errorf("httpStatus(%d) = %d, want %d", tt.code, got, tt.status)
		}
	}
}

func TestServerQueryError(t *testing.T) {
	tests := []struct {
		err  error
		code int // 0: not a query error (retry elsewhere)
	}{
		{status.Error(codes.InvalidArgument, `unknown column "x" in table "t"`), codeUnknownColumn},
		{status.Error(codes.InvalidArgument, "sql: syntax error"), codeSQLParsing},
		{status.Error(codes.InvalidArgument, "HAVING needs GROUP BY"), codePlanning},
		{status.Error(codes.Unavailable, "connection refused"), 0},
		{status.Error(codes.DeadlineExceeded, "deadline"), 0},
		{status.Error(codes.NotFound, "unknown table"), 0},
		{status.Error(codes.Internal, "boom"), 0},
		{errors.New("not a status"), 0},
	}
	for _, tt := range tests {
		qe := serverQueryError(tt.err)
		switch {
		case tt.code == 0 && qe != nil:
			t.Errorf("%v: query error %v, want a retryable failure", tt.err, qe)
		case tt.code != 0 && (qe == nil || qe.Code != tt.code):
			t.Errorf("%v: %v, want code %d", tt.err, qe, tt.code)
		}
	}
}
