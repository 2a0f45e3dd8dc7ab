#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, intake, API, parity, browser), then the ONNX Runtime
# tests once more on the CUDA flavour's CPU path (built into bin/cuda, obj/cuda: never mixed with the CPU output).
# Ends with one summary line over both runs: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
scripts/setup.sh Release || { echo "tests: 0 passed, 1 failed (set-up failed)"; exit 1; }
results=$(mktemp -d)
dotnet test Console.Tests/Console.Tests.csproj -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" --results-directory "$results" --blame "$@"
status=$?
main_status=$status

# The CUDA flavour (Microsoft.ML.OnnxRuntime.Gpu.Linux) without CUDA on this machine: Ort:UseCuda must fall back to
# the CPU, say why once, and score as the CPU flavour does.
echo "test: building the CUDA flavour (-p:OnnxRuntimeFlavor=Cuda)"
if dotnet build Console.Tests/Console.Tests.csproj -c Release -p:OnnxRuntimeFlavor=Cuda -nologo -v quiet -clp:ErrorsOnly; then
  VISIONCONSOLE_EXPECT_ORT_FLAVOR=Cuda Ort__UseCuda=true \
    dotnet test Console.Tests/Console.Tests.csproj -c Release -p:OnnxRuntimeFlavor=Cuda --no-build -nologo \
    --filter "FullyQualifiedName~VisionConsole.Tests.Trainer.Ort" \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=cuda.trx" --results-directory "$results" || status=1
else
  echo "test: the CUDA flavour does not build"
  status=1
fi

trxs=("$results"/tests.trx "$results"/cuda.trx)
passed=0; failed=0; skipped=0
for trx in "${trxs[@]}"; do
  if [ ! -f "$trx" ]; then
    echo "test: no results were written to $(basename "$trx")"
    failed=$((failed + 1)); status=1
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$(count total); executed=$(count executed)
  passed=$((passed + $(count passed))); failed=$((failed + $(count failed)))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
# A run that ended without a failed test but with an error (the test host crashed, the run was aborted) is a failure
# too, and says so; --blame above makes vstest name the tests that were running when the host died.
if [ "$main_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test: the main run exited with status $main_status without a failed test: the run was aborted (see 'Test host process crashed' and the blame report above)"
  failed=$((failed + 1))
fi
# Each failed test's name and the first lines of its message, just above the summary (where a CI log's tail shows it).
list_failures() {
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); print "FAILED " substr($0, RSTART + 10, RLENGTH - 11); failing = 1; lines = 0 }
    failing && /<Message>/ { message = 1; sub(/.*<Message>/, "") }
    failing && message && lines < 8 { text = $0; sub(/<\/Message>.*/, "", text); print "    " text; lines++ }
    failing && /<\/Message>/ { message = 0; failing = 0 }
  ' "$1" | sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}
for trx in "${trxs[@]}"; do [ -f "$trx" ] && list_failures "$trx"; done
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "${skipped}" -eq 0 ] || status=1
rm -rf "$results"
exit $status
