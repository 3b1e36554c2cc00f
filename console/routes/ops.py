"""``/healthz`` and ``/metrics`` for operators and their monitoring: no login, no customer data."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.ops.health import check_health
from pipeline.ops.metrics import render_metrics


def healthz(request: Request) -> Response:
    """200 when everything works, 503 with the failing parts named otherwise."""
    console = request.app.state.console
    health = check_health(console.factory, console.settings)
    return JSONResponse(health.to_json(), status_code=200 if health.ok else 503,
                        headers={"Cache-Control": "no-store"})


def metrics(request: Request) -> Response:
    """The Prometheus text format, counted from the database at this scrape."""
    return Response(render_metrics(request.app.state.metrics),
                    media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
