"""How each refusal reads on a page and which HTTP status it gets."""

from __future__ import annotations

import re

from workflow.errors import (
    ConcurrentUpdate,
    Duplicate,
    HamkorError,
    Invalid,
    NotFound,
    PermissionDenied,
    SchemaNotReady,
    TransitionRefused,
)

_STATUS: tuple[tuple[type[HamkorError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (TransitionRefused, 409),
    (ConcurrentUpdate, 409),
    (Duplicate, 409),
    (Invalid, 422),
    (SchemaNotReady, 503),
)

#: The CLI's option names, as the form fields they are on a page.
_FIELDS = {
    "--title": "Title", "--partner": "Partners", "--type": "Type", "--owner": "Owner",
    "--starts": "Starts on", "--expires": "Last day in force", "--months": "Length in months",
    "--indefinite": "Indefinite", "--auto-renew": "Renews automatically",
    "--renewal-months": "Renewal period", "--notice-days": "Notice period", "--note": "the Note field",
    "--on": "the date", "--party": "the party signing", "--effective": "Last day in force",
    "--name": "Name", "--by": "the acting user",
}
_FLAG = re.compile(r"--[a-z][a-z-]*")


def status_for(exc: HamkorError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def humanize(exc: HamkorError | str) -> str:
    """The service's sentence with CLI option names replaced by what the form calls them."""
    text = str(exc)
    return _FLAG.sub(lambda m: _FIELDS.get(m.group(0), m.group(0)), text)
