#!/usr/bin/env bash
# Stop LocalStack by its PID: TERM, up to 20 s, then KILL it and its children (DynamoDB Local, kinesis).
source "$(dirname "$0")/common.sh"
[ -f "$ROOT/ls.pid" ] || exit 0
PID=$(cat "$ROOT/ls.pid")
CHILDREN=$(pgrep -P "$PID" || true)
kill -TERM "$PID" 2>/dev/null || { rm -f "$ROOT/ls.pid"; exit 0; }
for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || { rm -f "$ROOT/ls.pid"; echo "localstack: stopped"; exit 0; }; sleep 0.5; done
for c in $CHILDREN; do kill -KILL "$c" 2>/dev/null; done
kill -KILL "$PID" 2>/dev/null; rm -f "$ROOT/ls.pid"; echo "localstack: killed after a hung shutdown"
