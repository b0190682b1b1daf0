"""Refuse, in one line, an embedded-model build known to crash.

llama-cpp-python compiles llama.cpp on install. A default ("native") build on a CPU
with Intel AMX enables the AMX matmul path, which segfaults (llama.cpp issue 20824):
better to stop at start with the fix than to crash mid-answer."""

from __future__ import annotations

import re

PORTABLE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"


class BuildError(Exception):
    """The embedded model cannot run with what is installed; the message says how to fix it."""


def system_info() -> str:
    try:
        import llama_cpp
    except ImportError:
        raise BuildError(
            "llama-cpp-python is not installed: run the README's install command, "
            "or use another model with MUSE_LLM__PROVIDER=openai"
        ) from None
    raw = llama_cpp.llama_print_system_info()
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def check_llama_build(info: str | None = None) -> None:
    info = system_info() if info is None else info
    if re.search(r"\bAMX\w*\s*=\s*1", info):
        raise BuildError(
            "this llama-cpp-python build uses Intel AMX kernels, which crash (llama.cpp issue "
            f'20824); reinstall it portably: CMAKE_ARGS="{PORTABLE_ARGS}" pip install '
            "--force-reinstall --no-cache-dir llama-cpp-python"
        )
