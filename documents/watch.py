"""The worker's weekly check of the file store: `files verify`, and mail to the admins
when a stored file is missing or altered.

The message goes straight through the configured mail transport (HAMKOR_MAIL_BACKEND),
not through the outbox, whose rows belong to an agreement; a failure to send is logged
and the next week's run tries again.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from documents.attachments import VerifyReport
    from documents.service import Wiring

log = logging.getLogger("hamkor.files")


def describe(report: VerifyReport) -> str:
    lines = [f"{report['checked']} stored files checked: {report['ok']} intact, "
             f"{len(report['missing'])} missing, {len(report['altered'])} altered.", ""]
    for what in ("missing", "altered"):
        for item in report[what]:
            names = ", ".join(f"{u['agreement']} #{u['id']} {u['name']}" for u in item["files"])
            lines.append(f"{what}: {item['sha256']} ({names})")
    lines += ["", "Restore the files from a backup (the hash names the exact bytes), then run "
                  "`hamkor files verify` again."]
    return "\n".join(lines)


def admins(app: Wiring) -> list[str]:
    from sqlalchemy import select

    from models import User

    with app.uow() as uow:
        return list(uow.session.scalars(select(User.email).where(
            User.role == "admin", User.active.is_(True)).order_by(User.email)))


def check_and_alert(app: Wiring) -> VerifyReport:
    """Verify every stored file; on a failure mail the active admins. Returns the report."""
    from documents.attachments import verify
    from documents.service import file_store

    report = verify(app.uow(), file_store(app))
    bad = len(report["missing"]) + len(report["altered"])
    if not bad:
        log.info("file store verified: %d files intact", report["ok"])
        return report
    log.error("file store: %d of %d stored files missing or altered", bad, report["checked"])
    to = admins(app)
    if not to:
        log.error("file store: no active admin to tell")
        return report
    today = app.clock().today.isoformat()
    msg = EmailMessage()
    msg["Subject"] = f"Hamkor: {bad} stored file(s) missing or altered"
    msg["From"] = app.settings.mail_from
    msg["To"] = ", ".join(to)
    msg["X-Hamkor-Key"] = f"files-verify:{today}"
    msg["Message-ID"] = f"<files-verify-{today}@hamkor>"
    msg.set_content(describe(report))
    transport = app.transport()
    try:
        transport.send(msg, app.settings.mail_from, to)
    except Exception as exc:  # noqa: BLE001 - logged; next week's run tries again
        log.error("file store: could not mail the admins: %s", exc)
    finally:
        transport.close()
    return report


def weekly_job(app: Wiring) -> None:
    try:
        check_and_alert(app)
    except Exception:  # noqa: BLE001 - logged; the next run tries again
        log.exception("weekly file check failed")
