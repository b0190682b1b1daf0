"""The embedded model refuses a crashing (AMX) llama.cpp build with one line, at start."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core import Core
from bot.llm.build_check import BuildError, check_llama_build

AMX_INFO = "CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 |"
PORTABLE_INFO = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 |"


def test_amx_build_is_refused_with_the_fix() -> None:
    with pytest.raises(BuildError) as err:
        check_llama_build(AMX_INFO)
    assert "issue 20824" in str(err.value) and "-DGGML_NATIVE=OFF" in str(err.value)
    check_llama_build(PORTABLE_INFO)


def test_the_installed_build_is_portable() -> None:
    pytest.importorskip("llama_cpp")
    check_llama_build()  # the README's install gives a build that runs here


async def test_core_refuses_to_start_on_an_amx_build(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: AMX_INFO.encode())
    settings.llm.provider = "embedded"
    with pytest.raises(BuildError, match="AMX"):
        await Core.create(settings)
