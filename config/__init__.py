"""Settings from the environment and an optional `.env` (README "Configuration")."""

from config.settings import ConfigError, Settings, load_settings, redact_url

__all__ = ["ConfigError", "Settings", "load_settings", "redact_url"]
