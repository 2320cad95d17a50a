#!/usr/bin/env bash
# Regenerate the Python contracts from proto/ into libs/contracts/src (or into $1).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-libs/contracts/src}"
python="${PYTHON:-python}"
find "$out/crypto_trader/contracts" -name '*_pb2*.py*' -delete 2>/dev/null || true
mapfile -t protos < <(find proto -name '*.proto' | sort)
"$python" -m grpc_tools.protoc -I proto --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${protos[@]}"
# Sub-packages get an __init__.py so tools that do not follow namespace packages still find them;
# the crypto_trader level stays a namespace shared by every distribution.
find "$out/crypto_trader/contracts" -type d -exec touch {}/__init__.py \;
