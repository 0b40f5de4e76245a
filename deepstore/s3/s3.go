// Package s3 is a deep store in an S3 bucket, on AWS or any store that
// speaks the S3 API (MinIO, Ceph RGW, ...), through the AWS SDK for Go v2.
//
// Keys map to object keys under an optional prefix: with bucket "lake"
// and prefix "tannin", key "tx/tx_0.tseg" is s3://lake/tannin/tx/tx_0.tseg,
// which is also what URI returns for Pinot's downloadUrl.
//
// Writes are atomic by S3's semantics: an object appears whole when its
// PutObject or CompleteMultipartUpload succeeds and not before. Put
// streams: it reads the source one part at a time (Config.PartSize), sends
// an object of at most one part with a single PutObject and anything
// larger as a multipart upload with Config.Concurrency parts in flight, so
// a 500 MB segment needs (Concurrency+1) part buffers, not 500 MB. A Put
// that fails aborts its multipart upload.
//
// Request checksums are computed only where the API requires them
// (aws.RequestChecksumCalculationWhenRequired): the SDK's default CRC32
// trailers use aws-chunked encoding that many S3-compatible servers do not
// accept. Payloads stay integrity-checked: SigV4 signs the SHA-256 of each
// request body, which the server verifies.
//
// Open takes the -deep-store URI form (see ParseURI); credentials come
// from the SDK's default chain, never from the URI.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/tannin-db/tannin/deepstore"
)

// Store is a deep store in one bucket under one key prefix. It is safe
// for concurrent use.
type Store struct {
	cfg    Config
	client *awss3.Client
	log    *slog.Logger
	// bufs recycles part buffers (Config.PartSize bytes) across Puts, so
	// that a steady stream of segment uploads does not allocate one per
	// part.
	bufs sync.Pool
}

var _ deepstore.Store = (*Store)(nil)

// New builds a store from cfg. It sends no request: call Check to find a
// missing bucket or bad credentials before the first operation does.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("deepstore s3 bucket %q: load AWS configuration: %w", cfg.Bucket, err)
	}
	if awsCfg.Region == "" {
		// S3-compatible stores ignore the region but SigV4 needs one;
		// us-east-1 is S3's own default.
		awsCfg.Region = "us-east-1"
	}
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{cfg: cfg, client: client, log: log}
	s.bufs.New = func() any {
		b := make([]byte, cfg.PartSize)
		return &b
	}
	return s, nil
}

// Open parses a deep-store URI (ParseURI), builds the store and checks
// that its bucket is reachable with the credentials at hand, so that a
// misconfigured node fails at start with a message that says why.
func Open(ctx context.Context, uri string) (*Store, error) {
	cfg, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Check sends HeadBucket: nil when the bucket exists and the credentials
// may use it.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.cfg.Bucket})
	if err == nil {
		return nil
	}
	// HeadBucket's errors have no body, so only the status tells them
	// apart.
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 404:
			return fmt.Errorf("deepstore s3 check bucket %q at %s: the bucket does not exist: %w", s.cfg.Bucket, s.endpoint(), err)
		case 401, 403:
			return fmt.Errorf("deepstore s3 check bucket %q at %s: access denied; check the credentials and the bucket policy: %w", s.cfg.Bucket, s.endpoint(), err)
		}
	}
	return fmt.Errorf("deepstore s3 check bucket %q at %s: %w", s.cfg.Bucket, s.endpoint(), err)
}

func (s *Store) endpoint() string {
	if s.cfg.Endpoint != "" {
		return s.cfg.Endpoint
	}
	return "AWS S3"
}

// Client is the underlying SDK client, for tests and tools that need an
// operation the Store does not offer.
func (s *Store) Client() *awss3.Client { return s.client }

// objectKey maps a deep store key to the bucket's namespace.
func (s *Store) objectKey(key string) string {
	if s.cfg.Prefix == "" {
		return key
	}
	return s.cfg.Prefix + "/" + key
}

// URI names the object: s3://bucket/prefix/key.
func (s *Store) URI(key string) string {
	return "s3://" + s.cfg.Bucket + "/" + s.objectKey(key)
}

// fail wraps an SDK error with the operation and the object's location,
// and says in words what the common S3 error codes mean.
func (s *Store) fail(op, key string, err error) error {
	loc := s.URI(key)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("deepstore s3 %s %s: bucket %q does not exist at %s: %w", op, loc, s.cfg.Bucket, s.endpoint(), err)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden",
			"ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			return fmt.Errorf("deepstore s3 %s %s: access denied; check the credentials and the bucket policy: %w", op, loc, err)
		}
	}
	return fmt.Errorf("deepstore s3 %s %s: %w", op, loc, err)
}

// isNotFound reports whether err says the object is missing: NoSuchKey
// from GetObject, a bodiless 404 from HeadObject. A missing bucket is
// not a missing object, except to HeadObject, whose 404 cannot tell them
// apart (Check can).
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	return false
}

// Get opens the object for streaming; the body reads fail once ctx ends.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := deepstore.CheckKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: aws.String(s.objectKey(key))})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("deepstore s3 get %s: %w", s.URI(key), deepstore.ErrNotFound)
		}
		return nil, s.fail("get", key, err)
	}
	return out.Body, nil
}

// Size is the object's Content-Length from HeadObject.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	if err := deepstore.CheckKey(key); err != nil {
		return 0, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: aws.String(s.objectKey(key))})
	if err != nil {
		if isNotFound(err) {
			return 0, fmt.Errorf("deepstore s3 size %s: %w", s.URI(key), deepstore.ErrNotFound)
		}
		return 0, s.fail("size", key, err)
	}
	if out.ContentLength == nil {
		return 0, fmt.Errorf("deepstore s3 size %s: HeadObject returned no Content-Length", s.URI(key))
	}
	return *out.ContentLength, nil
}

// Delete removes the object. S3 answers a delete of a missing key with
// success, which is the contract.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := deepstore.CheckKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: aws.String(s.objectKey(key))})
	if err != nil && !isNotFound(err) {
		return s.fail("delete", key, err)
	}
	return nil
}

// List pages through ListObjectsV2. Object names that are not valid
// deep store keys (folder markers ending in "/", names with empty
// elements written by other tools) are skipped: Get could not name them.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	full := prefix
	strip := 0
	if s.cfg.Prefix != "" {
		full = s.cfg.Prefix + "/" + prefix
		strip = len(s.cfg.Prefix) + 1
	}
	var keys []string
	p := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.cfg.Bucket, Prefix: aws.String(full)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list", prefix+"*", err)
		}
		for _, o := range page.Contents {
			if o.Key == nil || len(*o.Key) < strip {
				continue
			}
			k := (*o.Key)[strip:]
			if deepstore.CheckKey(k) == nil && strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
	}
	// S3 lists in UTF-8 binary order already; S3-compatible stores are
	// not all so careful.
	sort.Strings(keys)
	return keys, nil
}

// Put streams r to the object; see the package comment.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	if err := deepstore.CheckKey(key); err != nil {
		return err
	}
	r = deepstore.ContextReader(ctx, r)
	first := s.getBuf()
	n, err := readFull(r, *first)
	if err != nil {
		s.putBuf(first)
		return fmt.Errorf("deepstore s3 put %s: read source: %w", s.URI(key), err)
	}
	if n < len(*first) {
		defer s.putBuf(first)
		return s.putObject(ctx, key, (*first)[:n])
	}
	// A full first part: read a second before choosing multipart, so an
	// object of exactly one part still goes in one request.
	second := s.getBuf()
	n2, err := readFull(r, *second)
	if err != nil {
		s.putBuf(first)
		s.putBuf(second)
		return fmt.Errorf("deepstore s3 put %s: read source: %w", s.URI(key), err)
	}
	if n2 == 0 {
		s.putBuf(second)
		defer s.putBuf(first)
		return s.putObject(ctx, key, *first)
	}
	return s.putMultipart(ctx, key, r, first, second, n2)
}

func (s *Store) putObject(ctx context.Context, key string, b []byte) error {
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        &s.cfg.Bucket,
		Key:           aws.String(s.objectKey(key)),
		Body:          bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))),
	})
	if err != nil {
		return s.fail("put", key, err)
	}
	return nil
}

// putMultipart uploads first (full), second (n2 bytes) and the rest of r
// as parts; at most Concurrency uploads run while the next part is read.
func (s *Store) putMultipart(ctx context.Context, key string, r io.Reader, first, second *[]byte, n2 int) (err error) {
	okey := aws.String(s.objectKey(key))
	created, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: okey})
	if err != nil {
		s.putBuf(first)
		s.putBuf(second)
		return s.fail("put (create multipart upload)", key, err)
	}
	uploadID := created.UploadId
	defer func() {
		if err != nil {
			s.abort(ctx, key, okey, uploadID)
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	var mu sync.Mutex
	var parts []types.CompletedPart
	upload := func(num int32, buf *[]byte, n int) {
		// Go blocks while Concurrency uploads run, which is what bounds
		// the buffers held.
		g.Go(func() error {
			defer s.putBuf(buf)
			out, err := s.client.UploadPart(gctx, &awss3.UploadPartInput{
				Bucket:        &s.cfg.Bucket,
				Key:           okey,
				UploadId:      uploadID,
				PartNumber:    aws.Int32(num),
				Body:          bytes.NewReader((*buf)[:n]),
				ContentLength: aws.Int64(int64(n)),
			})
			if err != nil {
				return fmt.Errorf("part %d: %w", num, err)
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
			mu.Unlock()
			return nil
		})
	}

	upload(1, first, len(*first))
	upload(2, second, n2)
	var readErr error
	if n2 == len(*second) {
		for num := int32(3); gctx.Err() == nil; num++ {
			buf := s.getBuf()
			n, err := readFull(r, *buf)
			if err != nil || n == 0 {
				s.putBuf(buf)
				readErr = err
				break
			}
			if num > maxParts {
				s.putBuf(buf)
				readErr = fmt.Errorf("object exceeds S3's %d parts of %d bytes; raise the part size", maxParts, s.cfg.PartSize)
				break
			}
			upload(num, buf, n)
			if n < len(*buf) {
				break
			}
		}
	}
	uploadErr := g.Wait()
	switch {
	case readErr != nil:
		return fmt.Errorf("deepstore s3 put %s: read source: %w", s.URI(key), readErr)
	case uploadErr != nil:
		return s.fail("put", key, uploadErr)
	case ctx.Err() != nil:
		return fmt.Errorf("deepstore s3 put %s: %w", s.URI(key), ctx.Err())
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	_, err = s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket:          &s.cfg.Bucket,
		Key:             okey,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return s.fail("put (complete multipart upload)", key, err)
	}
	return nil
}

// abort cancels a failed multipart upload so its parts stop costing
// storage. It runs even when ctx has ended (that may be why the upload
// failed), with its own deadline; a failure is only logged, since the
// object was never created either way and a bucket lifecycle rule
// (AbortIncompleteMultipartUpload) is the backstop.
func (s *Store) abort(ctx context.Context, key string, okey, uploadID *string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: okey, UploadId: uploadID})
	if err != nil {
		s.log.Warn("abort multipart upload", "uri", s.URI(key), "upload_id", aws.ToString(uploadID), "err", err)
	}
}

func (s *Store) getBuf() *[]byte  { return s.bufs.Get().(*[]byte) }
func (s *Store) putBuf(b *[]byte) { s.bufs.Put(b) }

// readFull fills b from r and returns how much it read; the end of r is
// not an error.
func readFull(r io.Reader, b []byte) (int, error) {
	n, err := io.ReadFull(r, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}
