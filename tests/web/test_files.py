"""An agreement's files on the web page and in the JSON API: upload (any file name), download as
an attachment, remove, refusals that leave nothing, and "Generate document"."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from root import App
from tests.documents.samples import EXE, PDF, docx_bytes
from tests.web.conftest import agreement_state, csrf_of, new_draft, sign_in
from tests.web.test_api import token_for


def store_files(app: App) -> list[Path]:
    root = app.settings.files_root(app.db_url)
    return sorted(p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts)


def upload(client: TestClient, ref: str, name: str, data: bytes, **fields: str) -> Any:
    return client.post(f"/agreements/{ref}/files", files={"file": (name, data, "application/pdf")},
                       data={"csrf_token": csrf_of(client, "/"), "kind": "other", **fields},
                       follow_redirects=False)


def test_an_officer_uploads_downloads_and_removes_a_file_on_the_page(
        client: TestClient, hamkor_app: App) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    r = upload(client, ref, "Signed scan.pdf", PDF, kind="signed-copy", note="both signatures")
    assert r.status_code == 303 and r.headers["location"] == f"/agreements/{ref}#files"
    page = client.get(f"/agreements/{ref}").text
    digest = hashlib.sha256(PDF).hexdigest()
    assert "Signed scan.pdf" in page and digest[:16] in page and "both signatures" in page
    assert 'type="file"' in page and "data-dropzone" in page and "/static/upload.js" in page
    assert client.get("/static/upload.js").status_code == 200

    from documents.attachments import list_files

    (f,) = list_files(hamkor_app.uow(), ref)
    got = client.get(f"/agreements/{ref}/files/{f['id']}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "Signed%20scan.pdf" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"

    state_before = agreement_state(hamkor_app, ref)
    r = client.post(f"/agreements/{ref}/files/{f['id']}/remove",
                    data={"csrf_token": csrf_of(client, "/"), "reason": ""}, follow_redirects=False)
    assert r.status_code == 422 and "Reason must not be empty" in r.text
    assert agreement_state(hamkor_app, ref) == state_before
    r = client.post(f"/agreements/{ref}/files/{f['id']}/remove",
                    data={"csrf_token": csrf_of(client, "/"), "reason": "wrong scan"}, follow_redirects=False)
    assert r.status_code == 303
    assert list_files(hamkor_app.uow(), ref) == []
    page = client.get(f"/agreements/{ref}").text
    assert "Removed files (1)" in page and "wrong scan" in page


def test_refused_uploads_leave_no_file_and_no_row_and_say_why(
        make_client: Any, hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    ref = new_draft(officer)
    before = agreement_state(hamkor_app, ref)
    r = upload(officer, ref, "contract.pdf", EXE)
    assert r.status_code == 422 and "it is a program" in r.text and "Nothing was changed" in r.text
    r = upload(officer, ref, "empty.pdf", b"")
    assert r.status_code == 422 and "choose a file" in r.text or "empty" in r.text
    hamkor_app.settings.max_upload_mb = 1
    r = upload(officer, ref, "big.txt", b"a" * (2 * 1024 * 1024))
    assert r.status_code == 422 and "limit of 1 MB" in r.text
    hamkor_app.settings.max_upload_mb = 25
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    page = viewer.get(f"/agreements/{ref}").text
    assert 'type="file"' not in page  # viewers may download, not upload
    r = upload(viewer, ref, "ok.pdf", PDF)
    assert r.status_code == 403 and "viewer" in r.text
    assert store_files(hamkor_app) == []
    assert agreement_state(hamkor_app, ref) == before
    from documents.attachments import list_files

    assert list_files(hamkor_app.uow(), ref, include_removed=True) == []


def test_a_viewer_downloads_what_an_officer_uploaded(make_client: Any, hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    ref = new_draft(officer)
    assert upload(officer, ref, "<b>x</b>.txt", b"hello\n").status_code == 303
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    from documents.attachments import list_files

    (f,) = list_files(hamkor_app.uow(), ref)
    assert f["name"] == "b_.txt"  # the last path component, reserved characters replaced
    got = viewer.get(f"/agreements/{ref}/files/{f['id']}")
    assert got.status_code == 200 and got.content == b"hello\n"
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"].startswith("attachment")


def test_the_api_attaches_lists_gets_and_detaches(client: TestClient, hamkor_app: App) -> None:
    officer, viewer = token_for(hamkor_app, "olga@uni.uz"), token_for(hamkor_app, "vera@uni.uz")
    r = client.post("/api/agreements", headers=officer, json={
        "title": "Exchange", "partners": ["Hiroshima University"], "type": "exchange",
        "owner": "olga@uni.uz"})
    ref = r.json()["ref"]
    data = docx_bytes("partner's marked-up version")
    r = client.post(f"/api/agreements/{ref}/files", headers=officer,
                    files={"file": ("v2 (partner).docx", data)}, data={"kind": "partner-version"})
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["kind"] == "partner-version"
    assert f["media_type"].endswith("wordprocessingml.document")
    # The same bytes again: a second record, one stored file.
    again = client.post(f"/api/agreements/{ref}/files", headers=officer,
                        files={"file": ("copy.docx", data)}).json()
    assert again["sha256"] == f["sha256"] and len(store_files(hamkor_app)) == 1
    assert [x["id"] for x in client.get(f"/api/agreements/{ref}/files", headers=viewer).json()] == [
        f["id"], again["id"]]
    assert client.get(f"/api/agreements/{ref}/files/{f['id']}", headers=viewer).json()["name"] == "v2 (partner).docx"
    content = client.get(f"/api/agreements/{ref}/files/{f['id']}/content", headers=viewer)
    assert content.content == data and content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"].startswith("attachment")
    # Refusals: a viewer uploads or detaches, a program, an unknown file.
    r = client.post(f"/api/agreements/{ref}/files", headers=viewer, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 403 and "viewer" in r.json()["detail"]
    r = client.post(f"/api/agreements/{ref}/files", headers=officer, files={"file": ("a.pdf", EXE)})
    assert r.status_code == 422 and "program" in r.json()["detail"]
    assert client.get(f"/api/agreements/{ref}/files/999", headers=viewer).status_code == 404
    r = client.post(f"/api/agreements/{ref}/files/{again['id']}/detach", headers=viewer, json={"reason": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/agreements/{ref}/files/{again['id']}/detach", headers=officer,
                    json={"reason": "duplicate"})
    assert r.status_code == 200 and r.json()["removed_reason"] == "duplicate"
    assert len(client.get(f"/api/agreements/{ref}/files", headers=viewer).json()) == 1
    assert len(client.get(f"/api/agreements/{ref}/files?all=true", headers=viewer).json()) == 2
    assert len(store_files(hamkor_app)) == 1
    history = client.get(f"/api/agreements/{ref}/history", headers=viewer).json()
    assert [h["event"] for h in history].count("attach") == 2 and history[-1]["event"] == "detach"


def test_generate_document_on_the_page_and_in_the_api(client: TestClient, hamkor_app: App) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    page = client.get(f"/agreements/{ref}").text
    assert "Generate document" in page and 'name="template"' in page and "en+uz" in page
    r = client.post(f"/agreements/{ref}/document", data={"csrf_token": csrf_of(client, "/"),
                    "template": "mou", "lang": "en+ru", "format": "docx"}, follow_redirects=False)
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert r.headers["content-disposition"].startswith("attachment") and f"{ref}-mou-en%2Bru.docx" in \
        r.headers["content-disposition"]
    r = client.post(f"/agreements/{ref}/document", data={"csrf_token": csrf_of(client, "/"),
                    "template": "mou", "lang": "en+uz", "format": "docx", "attach": "1"},
                    follow_redirects=False)
    assert r.status_code == 303
    from documents.attachments import list_files

    (f,) = list_files(hamkor_app.uow(), ref)
    assert f["kind"] == "draft" and f["template"] == "builtin:mou.en+uz.docx"
    r = client.post(f"/agreements/{ref}/document", data={"csrf_token": csrf_of(client, "/"),
                    "template": "erasmus-ka171", "lang": "ru", "format": "docx"}, follow_redirects=False)
    assert r.status_code == 422 and "has no ru version" in r.text
    token = token_for(hamkor_app, "vera@uni.uz")
    r = client.post(f"/api/agreements/{ref}/document", headers=token, json={"lang": "uz"})
    assert r.status_code == 200 and r.content.startswith(b"PK")
    r = client.post(f"/api/agreements/{ref}/document", headers=token, json={"attach": True})
    assert r.status_code == 403
