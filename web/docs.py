"""`/api/docs`: the OpenAPI schema as a plain page (no Swagger UI from a CDN).

The machine-readable schema is `/api/openapi.json`; this page lists each
operation, its parameters and body, from that same schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.render import render

router = APIRouter(include_in_schema=False)


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items'))}"
    if "anyOf" in schema:
        return " or ".join(_ref_name(s) for s in schema["anyOf"])
    return str(schema.get("type", ""))


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok: dict[str, Any] = next((r for code, r in op.get("responses", {}).items() if code.startswith("2")), {})
            out.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
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
        out.append({"name": name, "description": schema.get("description", ""), "fields": [
            {"name": f, "type": _ref_name(s), "required": f in required,
             "description": s.get("description", "")}
            for f, s in schema.get("properties", {}).items()]})
    return out


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    return render(request, "api_docs.html", {"info": spec["info"], "ops": operations(spec),
                                             "schemas": schemas(spec), "nav": "api"})
