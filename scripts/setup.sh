#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine that has the .NET SDK, node and npm:
# Debian packages (libvips, Debian's onnx.proto, chromium), npm packages (onnxruntime-node and
# the TF.js runtimes, the tests' independent references) and a build (ONNX Runtime itself comes from NuGet).
# Safe to run any number of times; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-Release}"

# libmagickcore-6.q16-6 is what libvips' ImageMagick module (magickload) uses to read BMP and ICO;
# libvips42 depends on it today, it is listed so the console does not rely on that staying so.
# patchelf and g++ build and apply the TorchSharp shim on Debian 12 (build/TorchSharpDebian.targets, DESIGN.md).
# python3-sklearn is the independent reference the detection metric tests check average precision against.
# python3-pyarmnn, libarmnntfliteparser22 and libarmnn-cpuref-backend22 (Arm NN 20.08) are the independent TFLite runtime check.
apt_packages=(libvips42 libmagickcore-6.q16-6 libonnx-dev chromium fonts-dejavu-core patchelf g++ python3-sklearn python3-pyarmnn libarmnntfliteparser22 libarmnn-cpuref-backend22)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm, per folder with a package-lock.json, only when the lock changed since that folder's last install (a stamp in
# its node_modules holds the lock's hash). --ignore-scripts because onnxruntime-node's install script downloads from
# outside the registry; the CPU library its reference runs need is inside its tarball already.
npm_install() {
  local dir="$1" hash stamp
  hash=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  stamp="$dir/node_modules/.vision-console-lock"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
    echo "setup: installing npm packages in $dir"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$hash" > "$stamp"
  fi
}
npm_install .
# tfjs-automl 1.3.0 (the reference that checks exported TF.js models) needs tfjs 3.x: its own folder.
npm_install tools/automl-check
# The TFLite references: tfjs-tflite-node 0.0.2 for the TFLite C API library in it (cc_deps/linux_amd64/libtensorflowlite_c.so,
# P/Invoked by the tests; its addon is not built) and tfjs-tflite 0.0.1-alpha.10 (the Task Library's ImageClassifier, wasm)
# on the tfjs-core 4.9.0 it peer-depends on: their own folder.
npm_install tools/tflite-check

# Local .NET tools (.config/dotnet-tools.json): dotnet-ef, which generates the EF Core migrations.
dotnet tool restore >/dev/null

echo "setup: building ($configuration)"
dotnet build Console.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly
