"""What the adapters (the command line, the web, the demo) and the worker's weekly check
share for an agreement's documents: the file store of the configured database, a document
generated with its EWP conditions table, and a generated document kept as a `draft`.

They take the composition root's `App` through the `Wiring` protocol below, so this
package imports no adapter and not the root itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from config import Settings
    from documents.attachments import FileRow
    from documents.generate import Document
    from documents.storage import FileStore
    from ewp.identity import Home
    from notifications.transports import Transport
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork


class Wiring(Protocol):
    """What documents take from the composition root (`root.App`)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db_url(self) -> str: ...

    def uow(self, *, immediate: bool = False) -> UnitOfWork: ...

    def clock(self, now: datetime | None = None) -> Clock: ...

    def office(self) -> Office: ...

    def home(self) -> Home: ...

    def transport(self) -> Transport: ...


def file_store(app: Wiring) -> FileStore:
    """The file store of the database `app` uses (HAMKOR_FILES_DIR or beside it)."""
    from documents.attachments import store_from

    return store_from(app.settings, app.db_url)


def render_document(app: Wiring, ref: str, *, template: str | None, lang: str,
                    fmt: str) -> Document:
    """The document for REF (the EWP conditions table included), as `documents.generate`
    builds it."""
    from documents.generate import generate
    from ewp.conditions import list_conditions

    conditions = list_conditions(app.uow(), app.home(), ref)
    return generate(app.uow(), app.clock(), app.office(), ref, template=template, lang=lang,
                    fmt=fmt, templates_dir=app.settings.templates_dir, conditions=conditions)


def check_may_attach(app: Wiring, by: str | None) -> None:
    """Refuse (PermissionDenied), before a document is rendered to be kept, an actor who
    may not attach files (officers and above); `attach_document` checks again."""
    from workflow.lifecycle import Role
    from workflow.registry import check_role

    check_role(app.uow(), by, Role.OFFICER, "attach files")


def attach_document(app: Wiring, ref: str, doc: Document, *, by: str | None) -> FileRow:
    """Keep a generated document with the agreement as a `draft`, naming its template."""
    import io

    from documents.attachments import Upload, attach

    upload = Upload(name=doc.filename, kind="draft",
                    note=f"generated from {doc.template.name} ({doc.lang}, {doc.format})",
                    template=doc.template.name, template_sha256=doc.template.sha256)
    return attach(app.uow(), app.clock(), file_store(app), ref, io.BytesIO(doc.data), upload,
                  by=by, limit_mb=app.settings.max_upload_mb)
