#!/usr/bin/env bash
# Install (from Debian's packages) and start a local PostgreSQL for the store's tests, and
# print the URL the tests use. Idempotent: safe on a machine that already has it.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='atrisk'\" | grep -q 1 || psql -q -c \"CREATE ROLE atrisk LOGIN PASSWORD 'atrisk' CREATEDB\"" >&2
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='atrisk_test'\" | grep -q 1 || createdb -O atrisk atrisk_test" >&2
echo "postgresql+psycopg://atrisk:atrisk@127.0.0.1:5432/atrisk_test"
