// Command healthcheck is the container image's health probe: the image is
// distroless (no shell, no curl), so Docker and Compose health checks run
// this instead.
//
//	healthcheck [-timeout 3s] URL...
//
// It sends GET to each URL in turn and exits 0 when every answer is 2xx,
// 1 otherwise, printing what went wrong (Docker keeps the output in the
// container's health log). Proxy variables are ignored: a probe talks to
// its own container.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "time limit of each request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: healthcheck [-timeout 3s] URL...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || *timeout <= 0 {
		fs.Usage()
		return 2
	}
	client := &http.Client{
		Timeout:   *timeout,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	for _, u := range fs.Args() {
		if err := probe(client, u); err != nil {
			fmt.Fprintln(stderr, "healthcheck:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK\n", u)
	}
	return 0
}

// probe answers nil when GET url returns a 2xx status.
func probe(client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
