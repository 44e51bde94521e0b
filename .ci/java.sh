#!/usr/bin/env bash
# Spark (the event pipeline's --engine spark) needs a Java runtime: Debian's JRE 17 if the
# machine has no java. Idempotent.
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq openjdk-17-jre-headless >&2
fi
java -version >&2
