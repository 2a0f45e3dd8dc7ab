#!/usr/bin/env bash
# Installs what is missing, then serves the console. Extra arguments go to the console, e.g.
#   ./run.sh --urls http://127.0.0.1:5080 --data ./.data --sample-data
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh Release
# ./run.sh backup [--data DIR] [--to FILE] and ./run.sh restore FILE --data DIR: the console's commands, no server.
case "${1:-}" in
  backup|restore) exec dotnet Console.Web/bin/Release/net10.0/Console.Web.dll "$@" ;;
esac
has_urls=false
for arg in "$@"; do [ "$arg" = "--urls" ] && has_urls=true; done
extra=()
$has_urls || extra=(--urls "http://127.0.0.1:5080")
exec dotnet Console.Web/bin/Release/net10.0/Console.Web.dll --contentRoot "$PWD/Console.Web" "${extra[@]}" "$@"
