"""What the services need to know about mail: links, which mail is on, when digests go.

Plain configuration (from `HAMKOR_BASE_URL`, `HAMKOR_WORKFLOW_MAIL`,
`HAMKOR_DIGEST_DAY`, `HAMKOR_ESCALATE`, `HAMKOR_TEMPLATES_DIR`); the messages
themselves are built in `notifications/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MailPolicy:
    base_url: str | None = None
    workflow_mail: bool = True
    digest_weekday: int | None = 0  # 0 = Monday; None: no digest
    escalate: bool = True
    templates_dir: Path | None = None
