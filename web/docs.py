"""`/api/docs`: the OpenAPI schema as a plain page (no Swagger UI from a CDN).

The machine-readable schema is `/api/openapi.json`; this page lists each
operation, its parameters and body, from that same schema. Descriptions are
written for both (they come from docstrings): on this page their Markdown code
spans and emphasis are rendered, and mentions of the command line are left out,
since a reader of the web has no command line.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from web.render import render

#: A command of the command line named in a description, and what the web calls it.
_COMMAND = r"`hamkor [^`]*`"
_SAYS = {"activity list": "the Activities page", "activity export": "the activities download",
         "activity add": "the Activities page's form", "agreement list": "the Agreements page",
         "export": "the agreements download"}
_DROP = ((re.compile(rf",?\s*as\s+{_COMMAND}\s+(?:gives|takes|writes)\s+(?:it|them)"), ""),  # "…, as `hamkor x` gives it"
         (re.compile(rf"[;,]\s*{_COMMAND}\s*(?=[.)]|$)"), ""),  # "…; `hamkor files verify`."
         (re.compile(rf"\s*\((?:and |or )?(?:of )?{_COMMAND}\)"), ""),  # "(and of `hamkor agreement list`)"
         (re.compile(rf"\({_COMMAND},?\s*(?:or\s+)?"), "("),  # "(`hamkor …`, or the Account page)"
         (re.compile(rf",?\s*or\s+{_COMMAND}"), ""),  # "(from the Account page, or `hamkor …`)"
         (re.compile(r"\s*\(see README\)"), ""))


def without_command_line(text: str) -> str:
    """`text` without its references to the command line (they mean nothing on the web)."""
    for pattern, replacement in _DROP:
        text = pattern.sub(replacement, text)
    text = re.sub(_COMMAND, lambda m: _SAYS.get(" ".join(m.group(0).strip("`").split()[1:3]))
                  or _SAYS.get(m.group(0).strip("`").split()[1], "the same operation"), text)
    return re.sub(r"(^|[.!?]\s+)(the )", lambda m: m.group(1) + "The ", text)  # a sentence begins upper-case


def prose(text: str | None) -> Markup:
    """A description as HTML: paragraphs, `code` and **strong**; everything else escaped."""
    paragraphs = re.split(r"\n\s*\n", without_command_line(text or "").strip())
    out = []
    for para in paragraphs:
        if not para.strip():
            continue
        html = escape(" ".join(para.split()), quote=False)
        html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
        html = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", html)
        out.append(html.replace("`", "").replace("**", ""))
    return Markup("</p><p>".join(out))

router = APIRouter(include_in_schema=False)


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items'))}]"
    if "anyOf" in schema:
        return " | ".join(_ref_name(s) for s in schema["anyOf"])
    return str(schema.get("type", ""))


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok: dict[str, Any] = next((r for code, r in op.get("responses", {}).items() if code.startswith("2")), {})
            out.append({
                "method": method.upper(), "path": path, "summary": prose(op.get("summary")),
                "description": prose(op.get("description")),
                "params": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                            "type": _ref_name(p.get("schema"))} for p in op.get("parameters", [])],
                "body": _ref_name(body.get("schema")),
                "returns": _ref_name(ok.get("content", {}).get("application/json", {}).get("schema")),
            })
    return out


def schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if name.startswith(("HTTPValidationError", "ValidationError")):
            continue
        required = set(schema.get("required", []))
        out.append({"name": name, "description": prose(schema.get("description")), "fields": [
            {"name": f, "type": _ref_name(s), "required": f in required,
             "description": prose(s.get("description"))}
            for f, s in schema.get("properties", {}).items()]})
    return out


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    info = {**spec["info"], "description": prose(spec["info"].get("description"))}
    return render(request, "api_docs.html", {"info": info, "ops": operations(spec),
                                             "schemas": schemas(spec), "nav": "api"})
