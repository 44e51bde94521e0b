#!/usr/bin/env bash
# Country briefs are printed to PDF by WeasyPrint, which needs Debian's Pango and a font.
set -euo pipefail
if ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list 2>/dev/null | grep -qi dejavu; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >&2
fi
