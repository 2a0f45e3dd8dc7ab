#!/usr/bin/env bash
# Runs one benchmark and prints its table. Usage: bench/run.sh heads | training [--only TYPES] | predict [--calls N] | zoo [--seconds S] [--rounds R] [--mirror DIR]
# Needs the npm packages (scripts/setup.sh installs them) and the model mirror (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/onnxruntime-node ] || [ ! -d node_modules/@tensorflow/tfjs-backend-wasm ]; then
  echo "bench: npm packages missing; run scripts/setup.sh first" >&2
  exit 1
fi
dotnet build bench/Console.Bench/Console.Bench.csproj -c Release -nologo -v quiet "-clp:ErrorsOnly;NoSummary"
exec dotnet bench/Console.Bench/bin/Release/net10.0/Console.Bench.dll "$@"
