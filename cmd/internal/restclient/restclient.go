// Package restclient is a small client of Tannin's (and Pinot's)
// controller and broker REST APIs: what the quickstart and the cluster
// tests use to create tables, upload segments and query.
package restclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Client talks to one controller and one broker.
type Client struct {
	Controller string // base URL, e.g. http://127.0.0.1:9000
	Broker     string // base URL, e.g. http://127.0.0.1:8099
	HTTP       *http.Client
	// Authorization is sent as the Authorization header of every request
	// when not "" (e.g. "Basic ..." for a cluster with authentication on).
	Authorization string
}

// New returns a client with a bounded HTTP timeout.
func New(controller, broker string) *Client {
	return &Client{Controller: controller, Broker: broker, HTTP: &http.Client{Timeout: 5 * time.Minute}}
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(e.Body))
}

// Do sends a request and decodes a JSON answer into out (when non-nil).
func (c *Client) Do(ctx context.Context, method, url, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Authorization != "" {
		req.Header.Set("Authorization", c.Authorization)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &Error{Status: resp.StatusCode, Body: string(data)}
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep 64-bit integers exact
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, url, err)
	}
	return nil
}

// AddSchema posts a Pinot schema JSON to the controller.
func (c *Client) AddSchema(ctx context.Context, schemaJSON []byte) error {
	return c.Do(ctx, http.MethodPost, c.Controller+"/schemas", "application/json", bytes.NewReader(schemaJSON), nil)
}

// AddTable posts a Pinot table config JSON to the controller.
func (c *Client) AddTable(ctx context.Context, tableJSON []byte) error {
	return c.Do(ctx, http.MethodPost, c.Controller+"/tables", "application/json", bytes.NewReader(tableJSON), nil)
}

// UploadSegment sends a segment file to the controller as Pinot's upload
// tools do (multipart POST /v2/segments), streaming it from disk.
func (c *Client) UploadSegment(ctx context.Context, table, tableType, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile(filepath.Base(path), filepath.Base(path))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	q := url.Values{"tableName": {table}, "tableType": {tableType}}
	return c.Do(ctx, http.MethodPost, c.Controller+"/v2/segments?"+q.Encode(), mw.FormDataContentType(), pr, nil)
}

// Response is the part of Pinot's broker response the tools read.
type Response struct {
	ResultTable *struct {
		DataSchema struct {
			ColumnNames     []string `json:"columnNames"`
			ColumnDataTypes []string `json:"columnDataTypes"`
		} `json:"dataSchema"`
		Rows [][]any `json:"rows"`
	} `json:"resultTable"`
	Exceptions []struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	} `json:"exceptions"`
	NumServersQueried    int   `json:"numServersQueried"`
	NumServersResponded  int   `json:"numServersResponded"`
	NumSegmentsQueried   int   `json:"numSegmentsQueried"`
	NumSegmentsProcessed int   `json:"numSegmentsProcessed"`
	NumSegmentsMatched   int   `json:"numSegmentsMatched"`
	NumDocsScanned       int64 `json:"numDocsScanned"`
	TotalDocs            int64 `json:"totalDocs"`
	TimeUsedMs           int64 `json:"timeUsedMs"`
	PartialResult        bool  `json:"partialResult"`
}

// Err returns the first exception as an error.
func (r *Response) Err() error {
	if len(r.Exceptions) == 0 {
		return nil
	}
	return fmt.Errorf("error %d: %s", r.Exceptions[0].ErrorCode, r.Exceptions[0].Message)
}

// Query runs SQL through the broker's POST /query/sql.
func (c *Client) Query(ctx context.Context, sql string) (*Response, error) {
	body, _ := json.Marshal(map[string]string{"sql": sql})
	var r Response
	dec := func() error {
		return c.Do(ctx, http.MethodPost, c.Broker+"/query/sql", "application/json", bytes.NewReader(body), &r)
	}
	if err := dec(); err != nil {
		return nil, err
	}
	return &r, nil
}
