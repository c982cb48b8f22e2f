#!/usr/bin/env bash
# Builds Jaeger (v2, an OpenTelemetry Collector distribution) from the Go
# module in .ci/jaeger and starts it for the end-to-end tracing tests: traces
# in memory, the OTLP receivers (gRPC and HTTP) and the query API on loopback.
# The binary is cached in .ci/bin (ignored by git) and rebuilt when
# .ci/jaeger/go.sum changes; building takes about 5 CPU-minutes and 2.3 GB of
# memory. It is idempotent: a Jaeger already answering on the ports is left
# alone.
#
# Progress goes to stderr; stdout carries only the environment to use:
#
#	eval "$(bash .ci/jaeger.sh)"
#	go test ./otel/...
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH=/usr/local/go/bin:$PATH
export BURR_CI_JAEGER_OTLP_GRPC_PORT=${BURR_CI_JAEGER_OTLP_GRPC_PORT:-43170}
export BURR_CI_JAEGER_OTLP_HTTP_PORT=${BURR_CI_JAEGER_OTLP_HTTP_PORT:-43180}
export BURR_CI_JAEGER_QUERY_PORT=${BURR_CI_JAEGER_QUERY_PORT:-16680}
export BURR_CI_JAEGER_QUERY_GRPC_PORT=${BURR_CI_JAEGER_QUERY_GRPC_PORT:-16681}
export BURR_CI_JAEGER_HEALTH_PORT=${BURR_CI_JAEGER_HEALTH_PORT:-13140}
BASE=${BURR_CI_DIR:-${TMPDIR:-/tmp}/burr-ci}/jaeger
BIN=.ci/bin/jaeger

log() { echo "jaeger.sh: $*" >&2; }

healthy() {
	local body
	body=$({ exec 3<>"/dev/tcp/127.0.0.1/$BURR_CI_JAEGER_HEALTH_PORT" &&
		printf 'GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3; } 2>/dev/null) || return 1
	[[ $body == *'"healthy":true'* ]]
}

sum=$(sha256sum .ci/jaeger/go.mod .ci/jaeger/go.sum | sha256sum | cut -d' ' -f1)
if [ ! -x "$BIN" ] || [ "$(cat "$BIN.sum" 2>/dev/null)" != "$sum" ]; then
	log "building $(grep -m1 -o 'jaegertracing/jaeger v[0-9.]*' .ci/jaeger/go.mod) into $BIN"
	mkdir -p .ci/bin
	start=$SECONDS
	(cd .ci/jaeger && go build -buildvcs=false -o ../bin/jaeger.tmp github.com/jaegertracing/jaeger/cmd/jaeger) >&2
	mv .ci/bin/jaeger.tmp "$BIN"
	echo "$sum" >"$BIN.sum"
	log "built in $((SECONDS - start)) s"
fi

if healthy; then
	log "Jaeger already running (health on port $BURR_CI_JAEGER_HEALTH_PORT)"
else
	mkdir -p "$BASE"
	log "starting Jaeger: OTLP on 127.0.0.1:$BURR_CI_JAEGER_OTLP_GRPC_PORT (gRPC) and :$BURR_CI_JAEGER_OTLP_HTTP_PORT (HTTP), query on :$BURR_CI_JAEGER_QUERY_PORT"
	nohup "$BIN" --config "file:$PWD/.ci/jaeger/config.yaml" >"$BASE/jaeger.log" 2>&1 </dev/null &
	echo $! >"$BASE/jaeger.pid"
	for _ in $(seq 1 240); do
		healthy && break
		if ! kill -0 "$(cat "$BASE/jaeger.pid")" 2>/dev/null; then
			log "Jaeger exited; its log:"
			cat "$BASE/jaeger.log" >&2
			exit 1
		fi
		sleep 0.25
	done
	healthy || { log "Jaeger did not become healthy in 60 s; see $BASE/jaeger.log"; exit 1; }
fi

echo "export BURR_TEST_JAEGER_OTLP='127.0.0.1:$BURR_CI_JAEGER_OTLP_HTTP_PORT'"
echo "export BURR_TEST_JAEGER_OTLP_GRPC='127.0.0.1:$BURR_CI_JAEGER_OTLP_GRPC_PORT'"
echo "export BURR_TEST_JAEGER_QUERY='http://127.0.0.1:$BURR_CI_JAEGER_QUERY_PORT'"
log "ready"
