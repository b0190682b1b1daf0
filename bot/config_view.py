"""What `muse config` shows: the settings in effect, with every secret masked."""

from __future__ import annotations

from typing import Any

from bot.config import SECRET_FIELDS, Settings
from bot.url_secrets import mask_urls


def masked(settings: Settings) -> dict[str, Any]:
    """Settings as a plain dict with secrets masked, for `muse config`: the secret fields,
    and any secret pasted into another one (a Bot API URL with the token in it, a URL's
    password or ?api_key=)."""
    data = settings.model_dump(mode="json")
    secrets: list[str] = []
    for dotted in SECRET_FIELDS:
        section, key = dotted.split(".")
        raw = getattr(getattr(settings, section), key)
        if raw and raw.get_secret_value():
            secrets.append(raw.get_secret_value())
        data[section][key] = _mask(raw.get_secret_value()) if raw else None
    return _scrub(data, secrets)  # type: ignore[no-any-return]


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "****")
        value = mask_urls(value)
    return value


def _mask(secret: str) -> str:
    return "****" + secret[-4:] if len(secret) > 8 else "****"
