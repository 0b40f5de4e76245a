package s3

import (
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		uri     string
		want    Config
		wantErr string
	}{
		{uri: "s3://lake", want: Config{Bucket: "lake", PartSize: def.PartSize, Concurrency: def.Concurrency}},
		{uri: "s3://lake/", want: Config{Bucket: "lake", PartSize: def.PartSize, Concurrency: def.Concurrency}},
		{uri: "s3://lake/tannin/prod/", want: Config{Bucket: "lake", Prefix: "tannin/prod", PartSize: def.PartSize, Concurrency: def.Concurrency}},
		{
			uri: "s3://lake/p?region=eu-west-1&endpoint=http://127.0.0.1:9000&pathStyle=true&partSize=8388608&concurrency=2",
			want: Config{Bucket: "lake", Prefix: "p", Region: "eu-west-1", Endpoint: "http://127.0.0.1:9000",
				PathStyle: true, PartSize: 8 << 20, Concurrency: 2},
		},
		{uri: "file:///tmp/x", wantErr: `scheme "file", want s3`},
		{uri: "s3://AKIAEXAMPLE:secret@lake/p", wantErr: "credentials must not be in the URI"},
		{uri: "s3:///p", wantErr: "no bucket"},
		{uri: "s3://Lake/p", wantErr: `character 'L'`},
		{uri: "s3://ab/p", wantErr: "3 to 63 characters"},
		{uri: "s3://-lake/p", wantErr: "start and end with a letter or digit"},
		{uri: "s3://lake//p", wantErr: "prefix"},
		{uri: "s3://lake/p?regoin=x", wantErr: `unknown parameter "regoin"`},
		{uri: "s3://lake/p?pathStyle=yes", wantErr: `pathStyle "yes" is not a boolean`},
		{uri: "s3://lake/p?region=a&region=b", wantErr: `parameter "region" given 2 times`},
		{uri: "s3://lake/p?endpoint=127.0.0.1:9000", wantErr: "must be an http:// or https:// URL"},
		{uri: "s3://lake/p?partSize=1024", wantErr: "below S3's minimum"},
		{uri: "s3://lake/p?partSize=big", wantErr: `partSize "big" is not a byte count`},
		{uri: "s3://lake/p?concurrency=0", wantErr: "concurrency 0 must be at least 1"},
	}
	for _, tc := range tests {
		got, err := ParseURI(tc.uri)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseURI(%q) error = %v, want one containing %q", tc.uri, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURI(%q) error leaks the secret: %v", tc.uri, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.uri, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURI(%q) = %+v, want %+v", tc.uri, got, tc.want)
		}
	}
}

func TestValidateCredentials(t *testing.T) {
	c := DefaultConfig()
	c.Bucket = "lake"
	c.AccessKeyID = "AK"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "both the access key id and the secret") {
		t.Errorf("access key without secret: %v", err)
	}
	c.AccessKeyID, c.SessionToken = "", "tok"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "session token needs static keys") {
		t.Errorf("session token alone: %v", err)
	}
}

func TestURIAndObjectKey(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{"", "s3://lake/t/t_0.tseg"},
		{"tannin/prod", "s3://lake/tannin/prod/t/t_0.tseg"},
	} {
		s := &Store{cfg: Config{Bucket: "lake", Prefix: tc.prefix}}
		if got := s.URI("t/t_0.tseg"); got != tc.want {
			t.Errorf("prefix %q: URI = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}
