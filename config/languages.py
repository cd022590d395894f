"""The languages Hamkor writes in, and the mark of words to translate.

English is the source language (the msgids of every catalog); the mail, the report and the
web each have catalogs for the others (`<package>/locale/<lang>/LC_MESSAGES`). A user's mail
language is one of these.
"""

from __future__ import annotations

LANGUAGES = ("en", "uz", "ru")
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark words for extraction (config/catalogs.py); they are translated where shown."""
    return message
