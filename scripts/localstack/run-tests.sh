#!/usr/bin/env bash
# `make test-localstack`: set up and start LocalStack on the host, run tests/localstack against it, stop it.
# On CI (CI=true) a LocalStack that cannot be set up or started fails the run; elsewhere the suite is skipped
# with the reason, so a developer without Python 3.13 or a JDK can still run everything else.
set -uo pipefail
source "$(dirname "$0")/common.sh"

unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "localstack: FAILED: $1 (the LocalStack suite must run on CI)" >&2
    exit 1
  fi
  echo "localstack: skipping the LocalStack suite: $1"
  exit 0
}

"$HERE/setup.sh" || unavailable "LocalStack could not be set up on this machine (see above)"
"$HERE/start.sh" || unavailable "LocalStack did not start (see above)"
trap '"$HERE/stop.sh"' EXIT
LOCALSTACK_HOST="127.0.0.1:$PORT" "$REPO/.venv/bin/pytest" "$REPO/tests/localstack" -m localstack "$@"
