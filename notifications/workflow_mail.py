"""Workflow mail: the messages a manual event sends (README "Mail").

Plugged into the services by the composition root as `Office.on_event`, so the domain
itself imports no mail package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models import Agreement, Event, User
    from workflow.agreements import Office
    from workflow.clock import Clock


def queue_workflow_mail(s: Session, a: Agreement, ev: Event, version: int, who: User,
                         clock: Clock, office: Office) -> None:
    """Workflow mail for `ev`, queued in the event's own transaction (see README "Mail")."""
    from notifications import outbox
    from notifications.compose import templates
    from notifications.links import Links
    from notifications.messages import workflow_rows

    rows = workflow_rows(s, a, ev, version=version, actor=who,
                         compose=templates(office.mail.templates_dir),
                         links=Links(office.mail.base_url), institution=office.institution)
    outbox.enqueue(s, rows, clock.now)
