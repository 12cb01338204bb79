# Shared by the LocalStack scripts: where it lives and which interpreters and JDK it uses.
# LocalStack (community runtime localstack-core 2026.3.0) runs on the host: no Docker, no account.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${LOCALSTACK_ROOT:-$REPO/.localstack}
PORT=${LOCALSTACK_PORT:-4566}
LOCALSTACK_VERSION=2026.3.0

# The runtime needs Python 3.13 (3.12+ syntax, 3.13-only typing): PY313, python3.13 on PATH, or pyenv's.
find_python313() {
  local candidate
  for candidate in ${PY313:-} python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  return 1
}

# DynamoDB Local runs on Java 17+; the no-op agent below needs javac and jar, so a JDK, not a JRE.
find_jdk() {
  local javac
  if [ -n "${JDK:-}" ] && [ -x "$JDK/bin/javac" ]; then echo "$JDK"; return 0; fi
  javac=$(command -v javac 2>/dev/null) || return 1
  dirname "$(dirname "$(readlink -f "$javac")")"
}
