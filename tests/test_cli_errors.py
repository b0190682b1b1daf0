"""A setting that can't work stops `muse` at start with one line naming it (exit 2),
never a traceback and never a start that fails every request later."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from tests.fakes.openai_server import closed_port
from tests.helpers import muse_cli


def one_line(result: object) -> str:
    stderr: str = result.stderr.strip()  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
    return stderr


@pytest.mark.parametrize("command", [["chat"], ["export"], ["forget", "--yes"]], ids=" ".join)
def test_a_data_dir_that_is_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    file = tmp_path / "somefile"
    file.write_text("not a folder")
    monkeypatch.setenv("MUSE_DATA_DIR", str(file))
    assert one_line(muse_cli(*command, stdin="hello\n")) == (
        f"muse: invalid setting data_dir (MUSE_DATA_DIR): {file} is a file, not a folder"
    )
    assert file.read_text() == "not a folder"


def test_a_data_dir_that_cant_be_created_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "somefile"
    file.write_text("")
    monkeypatch.setenv("MUSE_DATA_DIR", str(file / "muse"))
    assert one_line(muse_cli("chat", stdin="hello\n")) == (
        f"muse: invalid setting data_dir (MUSE_DATA_DIR): can't create {file / 'muse'}: "
        "Not a directory"
    )
    # Set in a config file instead: the file and its key are named.
    monkeypatch.delenv("MUSE_DATA_DIR")
    config = tmp_path / "my.toml"
    config.write_text(f'data_dir = "{file}"\n')
    assert one_line(muse_cli("--config", str(config), "export")) == (
        f"muse: {config}: invalid setting data_dir: {file} is a file, not a folder"
    )


def test_a_missing_model_file_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nonexistent.gguf"
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "embedded")
    monkeypatch.setenv("MUSE_LLM__MODEL_PATH", str(missing))
    result = muse_cli("chat", stdin="hello\n")
    assert one_line(result) == (
        f"muse: invalid setting llm.model_path (MUSE_LLM__MODEL_PATH): no model file at {missing}"
    )
    assert result.stdout == ""


def test_the_model_file_is_checked_when_the_embedded_model_will_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("my holiday notes")
    monkeypatch.setenv("MUSE_LLM__MODEL_PATH", str(notes))
    assert muse_cli("config").returncode == 0  # the fake provider never loads it
    monkeypatch.setenv("MUSE_LLM__FALLBACK", "embedded")  # a fallback would
    assert one_line(muse_cli("chat", stdin="hello\n")) == (
        f"muse: invalid setting llm.model_path (MUSE_LLM__MODEL_PATH): "
        f"{notes} is not a GGUF model file"
    )
    notes.write_bytes(b"GGUF" + bytes(60))  # the right kind of file: accepted at start
    assert load_settings().llm.model_path == str(notes)


@pytest.mark.parametrize("url", ["localhost:11434/v1", "127.0.0.1:8080/v1", "http:///v1"])
def test_a_model_server_url_without_http_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """`localhost:11434/v1` (the http:// left out, as Ollama's own docs write the address)
    started fine and then answered every message "My writing engine is unreachable right
    now", with only "Connection error." in muse.log, whatever the log level."""
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", url)
    result = muse_cli("chat", stdin="hello\n")
    assert one_line(result) == (
        "muse: invalid setting llm.base_url (MUSE_LLM__BASE_URL): Value error, use the "
        "server's address with http:// or https://, e.g. http://localhost:11434/v1"
    )
    assert result.stdout == ""


def test_a_log_that_cant_be_written_is_one_line_not_a_traceback_per_record(
    muse_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a full disk `muse chat` printed a "--- Logging error ---" traceback (30 lines)
    into the chat for every line it tried to log; now one line says the log is lost."""
    muse_env.mkdir(parents=True)
    (muse_env / "muse.log").symlink_to("/dev/full")  # every write: No space left on device
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("MUSE_LLM__MAX_RETRIES", "0")
    result = muse_cli("chat", stdin="hello\nhello again\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("My writing engine is unreachable") == 2  # each logs a ref
    assert result.stderr.splitlines() == [
        f"muse: can't write the log {muse_env / 'muse.log'}: No space left on device "
        "(log lines are lost until it can be written again)"
    ]


def test_a_config_file_that_is_no_toml_is_named(tmp_path: Path) -> None:
    """A syntax error in your file said "muse: invalid configuration: Expected ']'…",
    without the file: with the packaged defaults and MUSE_CONFIG there are two."""
    config = tmp_path / "my.toml"
    config.write_text("[llm\ntemperature = 0.5\n")
    assert one_line(muse_cli("--config", str(config), "config")) == (
        f"muse: {config}: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 5)"
    )


def test_a_misspelt_muse_variable_is_named_at_start(
    muse_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MUSE_LLM_PROVIDER=openai (one underscore) was ignored without a word: the chat
    ran on the default model while its owner thought it spoke to their server. Muse
    still starts (the variable may be another tool's), but says so, with the name meant."""
    monkeypatch.setenv("MUSE_LLM_BASE_URL", "http://localhost:11434/v1")
    result = muse_cli("chat", stdin="/style voice: calm\n")
    assert result.returncode == 0
    assert "Voice: calm" in result.stdout
    assert result.stderr == (
        "muse: MUSE_LLM_BASE_URL is not a Muse setting (did you mean MUSE_LLM__BASE_URL?); "
        "it is ignored\n"
    )
