#!/usr/bin/env bash
# Regenerates the Go code of proto/*.proto. The generated files are committed,
# so builds and tests never need protoc; run this after editing a .proto.
# Needs protoc (Debian: protobuf-compiler); installs the Go plugins it uses.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "gen-proto: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
export PATH="$(go env GOPATH)/bin:$PATH"
protoc --proto_path=proto \
  --go_out=proto/querypb --go_opt=paths=source_relative \
  --go-grpc_out=proto/querypb --go-grpc_opt=paths=source_relative \
  proto/query.proto
