#!/usr/bin/env bash
# llama-cpp-python's OpenAI-compatible server, for tests/evaluate/test_openai_backend.py (real HTTP,
# real model), and the library itself for tests/evaluate/test_llamacpp_backend.py (in process). It builds llama.cpp from source (about 6 minutes on 2 cores), so skip it when the
# pinned version is already importable.
set -euo pipefail
py=${PYTHON:-python3}
want=0.3.36
have=$($py -c 'import llama_cpp, sys; sys.stdout.write(llama_cpp.__version__)' 2>/dev/null || true)
if [ "$have" = "$want" ] && $py -c 'import fastapi, uvicorn, sse_starlette, starlette_context' 2>/dev/null; then
  exit 0
fi
$py -m pip install -q "llama-cpp-python[server]==$want"
