"""Which adapters `muse run <platform>` starts, from the settings."""

from __future__ import annotations

from adapters.base import Adapter
from bot.config import SettingsError
from bot.core import Core


def build_adapters(core: Core, platform: str) -> list[Adapter]:
    settings = core.settings
    adapters: list[Adapter] = []
    if platform in ("telegram", "all"):
        if settings.telegram.token:
            from adapters.telegram import TelegramAdapter

            adapters.append(TelegramAdapter(core))
        elif platform == "telegram":
            raise SettingsError("MUSE_TELEGRAM__TOKEN is not set (get one from @BotFather)")
    if platform in ("discord", "all"):
        if settings.discord.token:
            from adapters.discord import DiscordAdapter

            adapters.append(DiscordAdapter(core))
        elif platform == "discord":
            raise SettingsError("MUSE_DISCORD__TOKEN is not set (Developer Portal → Bot → Token)")
    if not adapters:
        raise SettingsError(
            "no platform configured: set MUSE_TELEGRAM__TOKEN and/or MUSE_DISCORD__TOKEN"
        )
    return adapters
