#!/usr/bin/env bash
# Installs what is missing, then serves the console. Extra arguments go to the console, e.g.
#   ./run.sh --urls http://127.0.0.1:5080 --data ./.data --sample-data
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh Release
# ./run.sh backup [--data DIR] [--to FILE], ./run.sh restore FILE --data DIR, ./run.sh users ... and ./run.sh api-keys ...:
# the console's commands, no server.
case "${1:-}" in
  backup|restore|users|api-keys) exec dotnet Console.Web/bin/Release/net10.0/Console.Web.dll "$@" ;;
esac
url="http://127.0.0.1:5080"
has_urls=false
previous=""
for arg in "$@"; do
  if [ "$previous" = "--urls" ]; then has_urls=true; url="${arg%%;*}"; fi
  previous="$arg"
done
extra=()
$has_urls || extra=(--urls "$url")
echo "Vision Console: $url (on the first visit it asks for the administrator account: $url/account/setup)"
exec dotnet Console.Web/bin/Release/net10.0/Console.Web.dll --contentRoot "$PWD/Console.Web" "${extra[@]}" "$@"
