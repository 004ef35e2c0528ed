"""The API's documentation as a page of the application (`/api`, public like the sign-in page
that links to it): every endpoint of the OpenAPI description the application generates, with
its method, summary, parameters and answers, and the description itself (`/openapi.json`) for
tools. Drawn on the server: no script or stylesheet from another host (Swagger UI's would be)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sped.web.pages import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def endpoints(spec: dict) -> list[dict]:
    """The endpoints of an OpenAPI description, in path order."""
    out = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "parameters": [
                        (p["name"], p.get("in", ""), bool(p.get("required")))
                        for p in op.get("parameters", [])
                    ],
                    "answers": sorted(op.get("responses", {})),
                }
            )
    return out


@router.get("/api")
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    return render(
        request,
        "api_docs.html",
        {"info": spec.get("info", {}), "endpoints": endpoints(spec)},
    )
