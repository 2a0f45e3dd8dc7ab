#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, intake, API, parity, browser).
# Ends with one summary line: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
scripts/setup.sh Release || { echo "tests: 0 passed, 1 failed (set-up failed)"; exit 1; }
results=$(mktemp -d)
dotnet test Console.Tests/Console.Tests.csproj -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
status=$?
trx="$results/tests.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
  skipped=$(( ${total:-0} - ${executed:-0} ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
  [ "${skipped}" -eq 0 ] || status=1
else
  echo "tests: 0 passed, 1 failed (no test results were written)"
  status=1
fi
rm -rf "$results"
exit $status
