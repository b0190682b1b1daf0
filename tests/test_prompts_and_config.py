"""Prompt files and settings are validated at start, with one line naming the culprit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.llm.prompts import PromptError, default_prompt_dir, load_prompts
from tests.helpers import muse_cli


def copy_prompts(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(default_prompt_dir(), target, ignore=shutil.ignore_patterns("*.py*"))
    return target


def test_packaged_prompts_are_valid_and_have_both_forms() -> None:
    prompts = load_prompts(required=("brainstorm", "caption", "remix", "chat"))
    for spec in prompts.values():
        assert spec.chat.system and spec.chat.user and spec.completion.template


def test_every_chat_prompt_keeps_the_creator_s_language() -> None:
    """A Japanese topic got English ideas from instruction-tuned servers: nothing in the
    (English) prompts said which language to write in. The labels parsers read stay."""
    for name, spec in load_prompts().items():
        assert "language" in spec.chat.system, name
        for label in ("Hook", "Next", "Themes"):
            if f"{label}:" in spec.chat.user:
                assert f"labels {label}" in spec.chat.system, name


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda s: s.replace("chat:", "chat_form:"), "prompts/caption.yaml: field chat"),
        (lambda s: s.replace("{description}", "{descripton}", 1), "undeclared variable"),
        (lambda s: s + "\n  bad: [unclosed\n", "prompts/caption.yaml: not valid YAML"),
        (lambda s: s.replace("temperature: 0.8", "temperature: hot"), "field temperature"),
    ],
)
def test_broken_prompt_file_names_file_and_field(tmp_path: Path, mangle, expected) -> None:  # type: ignore[no-untyped-def]
    directory = copy_prompts(tmp_path)
    path = directory / "caption.yaml"
    path.write_text(mangle(path.read_text()))
    with pytest.raises(PromptError) as err:
        load_prompts(directory)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_prompt_file(tmp_path: Path) -> None:
    directory = copy_prompts(tmp_path)
    (directory / "remix.yaml").unlink()
    with pytest.raises(PromptError, match=r"prompts/remix.yaml: file is missing"):
        load_prompts(directory, required=("remix",))


def test_your_own_prompts_folder_is_named_in_its_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MUSE_PROMPTS_DIR's problems name that folder, not the packaged prompts/."""
    mine = tmp_path / "my-prompts"
    monkeypatch.setenv("MUSE_PROMPTS_DIR", str(mine))
    gone = muse_cli("chat")
    assert gone.returncode == 2
    assert gone.stderr.strip() == f"muse: {mine}: no such folder (MUSE_PROMPTS_DIR)"
    mine.mkdir()
    shutil.copy(default_prompt_dir() / "caption.yaml", mine)
    partial = muse_cli("chat")
    assert partial.returncode == 2
    assert partial.stderr.strip() == f"muse: {mine / 'brainstorm.yaml'}: file is missing"


def test_env_overrides_user_file_overrides_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().llm.timeout_s == 60.0
    user = tmp_path / "mine.toml"
    user.write_text('[llm]\ntimeout_s = 12.5\nmodel = "from-file"\n')
    settings = load_settings(user)
    assert settings.llm.timeout_s == 12.5 and settings.llm.model == "from-file"
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "3")
    assert load_settings(user).llm.timeout_s == 3.0
    assert load_settings(user).llm.model == "from-file"


def test_invalid_value_fails_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "soon")
    with pytest.raises(SettingsError, match=r"MUSE_LLM__TIMEOUT_S"):
        load_settings()
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "5")
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "skynet")
    with pytest.raises(SettingsError, match=r"MUSE_LLM__PROVIDER"):
        load_settings()


def test_cli_config_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSE_TELEGRAM__TOKEN", "123456:SECRET-telegram-token-value")
    monkeypatch.setenv("MUSE_LLM__API_KEY", "sk-very-secret-key-1234")
    monkeypatch.setenv("MUSE_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    result = muse_cli("config")
    assert result.returncode == 0
    assert "SECRET" not in result.stdout and "very-secret" not in result.stdout
    data = json.loads(result.stdout)
    assert data["llm"]["base_url"] == "http://127.0.0.1:9/v1"
    assert data["telegram"]["token"].startswith("****")


def test_cli_bad_setting_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "-1")
    result = muse_cli("chat", stdin="/help\n")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "MUSE_LLM__TIMEOUT_S" in result.stderr and "Traceback" not in result.stderr


def test_cli_broken_prompts_fail_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = copy_prompts(tmp_path)
    (directory / "chat.yaml").write_text("description: x\nvariables: []\n")
    monkeypatch.setenv("MUSE_PROMPTS_DIR", str(directory))
    result = muse_cli("chat", stdin="hello\n")
    assert result.returncode == 2
    assert result.stderr.strip() == f"muse: {directory / 'chat.yaml'}: field chat: Field required"


def test_cli_run_without_a_token_says_which_setting() -> None:
    result = muse_cli("run", "telegram")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "muse: MUSE_TELEGRAM__TOKEN is not set (get one from @BotFather)"
    )
    result = muse_cli("run", "all")
    assert result.returncode == 2 and "MUSE_DISCORD__TOKEN" in result.stderr


def test_log_level_in_any_case_and_threads_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSE_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
    monkeypatch.setenv("MUSE_LLM__N_THREADS", "-3")
    with pytest.raises(
        SettingsError, match=r"^invalid setting llm.n_threads \(MUSE_LLM__N_THREADS\)"
    ):
        load_settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[llm]\ntemprature = 0.2\n",
            "unknown setting llm.temprature (did you mean llm.temperature?)",
        ),
        ("[nosuch]\nx = 1\n", "unknown setting nosuch"),
        ('log_levle = "INFO"\n', "unknown setting log_levle (did you mean log_level?)"),
        ("[LLM]\ntimeout_s = 3\n", "unknown setting LLM (did you mean llm?)"),
    ],
)
def test_an_unknown_key_in_the_config_file_is_one_line_exit_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    config = tmp_path / "my.toml"
    config.write_text(text)
    result = muse_cli("--config", str(config), "chat", stdin="hello\n")
    assert result.returncode == 2
    assert result.stderr.strip() == f"muse: {config}: {expected}"
    assert result.stdout == ""


def test_a_bad_value_from_the_file_names_the_file_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MUSE_LLM__PROVIDER")
    config = tmp_path / "my.toml"
    config.write_text('[llm]\nprovider = "skynet"\n')
    result = muse_cli("--config", str(config), "config")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"muse: {config}: invalid setting llm.provider: "
        "Input should be 'embedded', 'openai' or 'fake'"
    )
    # The environment wins over the file: then it is the environment's value that is bad.
    monkeypatch.setenv("MUSE_LLM__PROVIDER", "skynet2")
    with pytest.raises(
        SettingsError, match=r"^invalid setting llm.provider \(MUSE_LLM__PROVIDER\)"
    ):
        load_settings(config)


def test_an_empty_variable_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`MUSE_DATA_DIR=${MUSE_DATA_DIR}` in a compose file, or `MUSE_DATA_DIR=` in an env
    file, is empty, not "the current folder": the database stays where it was."""
    user = tmp_path / "mine.toml"
    user.write_text(f'data_dir = "{tmp_path / "kept"}"\n[llm]\ntimeout_s = -1\n')
    monkeypatch.setenv("MUSE_DATA_DIR", "")
    monkeypatch.setenv("MUSE_LLM__TIMEOUT_S", "")
    monkeypatch.setenv("MUSE_TELEGRAM__DAILY_QUOTA", "")
    with pytest.raises(SettingsError, match=r"^.*mine.toml: invalid setting llm.timeout_s:"):
        load_settings(user)  # the file's bad value is named where it was written
    user.write_text(f'data_dir = "{tmp_path / "kept"}"\n')
    settings = load_settings(user)
    assert settings.data_dir == tmp_path / "kept"
    assert settings.llm.timeout_s == 60.0 and settings.telegram.daily_quota == 0


def test_an_unknown_local_embedder_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in the local model's name stops the start instead of meaning the default."""
    monkeypatch.delenv("MUSE_EMBEDDINGS__PROVIDER")
    monkeypatch.setenv("MUSE_EMBEDDINGS__MODEL", "e5-small-en")
    with pytest.raises(SettingsError, match=r"embeddings.model \(MUSE_EMBEDDINGS__MODEL\)"):
        load_settings()
    monkeypatch.setenv("MUSE_EMBEDDINGS__MODEL", "e5-small-enpt")
    assert load_settings().embeddings.model == "e5-small-enpt"
    monkeypatch.setenv("MUSE_EMBEDDINGS__PROVIDER", "openai")
    monkeypatch.setenv("MUSE_EMBEDDINGS__MODEL", "nomic-embed-text")  # a server's: any name
    assert load_settings().embeddings.model == "nomic-embed-text"
