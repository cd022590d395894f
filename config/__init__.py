"""Settings from the environment and an optional `.env` (SPEC §7)."""

from config.settings import ConfigError, Settings, load_settings, redact_url

__all__ = ["ConfigError", "Settings", "load_settings", "redact_url"]
