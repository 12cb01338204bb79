#!/usr/bin/env bash
# Start LocalStack on 127.0.0.1:$LOCALSTACK_PORT (default 4566); wait until DynamoDB runs and vigil's start
# hook has succeeded. Exit 1 with the log's tail if it does not come up within 90 s.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"; mkdir -p tmp config
if [ -f ls.pid ] && kill -0 "$(cat ls.pid)" 2>/dev/null; then echo "localstack: already running (pid $(cat ls.pid))"; exit 0; fi
export OVERRIDE_IN_DOCKER=0        # this machine may have /.dockerenv: without this LocalStack writes to /var/lib/localstack
export FILESYSTEM_ROOT=$ROOT/fs TMPDIR=$ROOT/tmp CONFIG_DIR=$ROOT/config   # TMPDIR: it rm -rf's $TMPDIR/localstack on exit
export GATEWAY_LISTEN=127.0.0.1:$PORT GATEWAY_SERVER=hypercorn   # the default server binds 0.0.0.0
export DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1
export KINESIS_LATENCY=0           # DynamoDB streams usable right after CreateTable
export SERVICES=${SERVICES:-dynamodb,dynamodbstreams,kinesis,sqs,sns,events,scheduler,stepfunctions,apigateway,cloudformation,iam,sts,s3,ssm,secretsmanager,ses,logs,cloudwatch,lambda}
export EAGER_SERVICE_LOADING=${EAGER_SERVICE_LOADING:-1}
nohup ls-venv/bin/python -m localstack.runtime.main > ls.log 2>&1 &
echo $! > ls.pid
for _ in $(seq 1 360); do
  if curl -fs -m 1 "http://127.0.0.1:$PORT/_localstack/health" | grep -q '"dynamodb": "running"' &&
     curl -fs -m 1 "http://127.0.0.1:$PORT/_localstack/init" | grep -q '"START": true'; then
    if curl -fs -m 1 "http://127.0.0.1:$PORT/_localstack/init" | grep -q '"state": "ERROR"'; then
      echo "localstack: a vigil start hook failed:" >&2; tail -n 30 ls.log >&2; exit 1
    fi
    echo "localstack: ready on 127.0.0.1:$PORT"; exit 0
  fi
  kill -0 "$(cat ls.pid)" 2>/dev/null || { echo "localstack: the server exited:" >&2; tail -n 50 ls.log >&2; exit 1; }
  sleep 0.25
done
echo "localstack: not ready after 90 s" >&2; tail -n 50 ls.log >&2; exit 1
