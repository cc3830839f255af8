"""HTTP service: ``voc serve`` (FastAPI + uvicorn) for other services.

Endpoints:

* ``POST /analyze``: ``{"text": "..."}`` or ``{"texts": ["...", ...]}`` ->
  ``{"results": [Result.to_json(), ...]}``, one result per input, in order.
* ``POST /customers/profile``: ``{"feedback": [{...}, ...], "contacts": [...], "events": [...],
  "customers": [...], "as_of": "..."}`` (rows as JSON objects; only ``feedback`` required) ->
  ``{"as_of", "invalid_rows", "profiles": [...]}``: the tables are checked once as a
  :class:`voc.History` (the one way into the customer half), the feedback is analyzed
  once, one profile per customer (:func:`voc.profile_customers`). More than ``max_batch``
  feedback rows -> **413**; a table the schema refuses -> **422** naming the table and column.
* ``GET /health``: ``{"status": "ok", "model_loaded": bool, "version": "..."}``.
* ``GET /labels``: the analyzer's taxonomy (codes, Chinese names, kinds).
* ``GET /openapi.json``: the OpenAPI schema.
* ``GET /docs``: documentation that works offline: Swagger UI served from the local
  ``swagger-ui-bundle`` package when it is installed, otherwise a small HTML page listing
  the endpoints (no CDN is ever used; ``/redoc`` is off).

Limits and status codes:

* A request body over ``max_body_bytes`` -> **413** (checked on ``Content-Length``
  before reading, and on the bytes actually received).
* More than ``max_batch`` texts -> **413**.
* A single ``text`` over ``max_text_chars`` characters -> **422**. Inside a batch, a
  too-long item gets a result with ``error`` set instead, like every other bad item
  (``null``, numbers, empty strings): a batch never fails because of one item.
* Wrong types (``text`` not a string, ``texts`` not a list, both or neither given,
  unknown fields, invalid JSON) -> **422** with a ``detail`` list of ``{loc, msg, type}``.

Error answers never contain request text: the ``input`` and ``ctx`` values pydantic adds
to validation errors are dropped, field names that are not ours become
``"<unknown field>"``, and any unexpected exception is a plain **500**
``{"detail": "internal server error"}`` logged by exception type only. The access log
written through ``uvicorn.access`` shows paths without their query string.

The analyzer is loaded once per app (at startup, or on the first request when the
app runs without its lifespan) and shared by all worker threads: it is read-only
after loading. FastAPI and uvicorn are imported only by this module, so
``import voc`` does not need them.

Example:
    >>> from fastapi.testclient import TestClient
    >>> from voc.service import create_app
    >>> client = TestClient(create_app())
    >>> client.post("/analyze", json={"text": "物流太慢了"}).json()["results"][0]["sentiment"]["label"]
    'negative'
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from voc import __version__

__all__ = ["create_app", "AnalyzeRequest", "AnalyzeResponse", "AnalysisResult", "CustomersRequest",
           "CustomersResponse", "HealthResponse"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("voc.service")


# ------------------------------------------------------------------ pydantic models
class AnalyzeRequest(BaseModel):
    """Body of ``POST /analyze``: exactly one of ``text`` and ``texts``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "客服电话一直打不通，算了不投诉了"},
                                        {"texts": ["物流超快，点赞", "退款三天了还没到账"]}]},
    )

    text: StrictStr | None = Field(default=None, description="One text to analyze.")
    texts: list[Any] | None = Field(
        default=None,
        description="A batch of texts. Items that are not usable texts (null, numbers, empty or "
                    "too long strings) get a result with `error` set; the others are analyzed.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> AnalyzeRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("send exactly one of 'text' (a string) or 'texts' (a list of strings)")
        return self


class CustomersRequest(BaseModel):
    """Body of ``POST /customers/profile``: the customer tables as lists of rows (docs/customers.md)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "feedback": [{"customer_id": "C1", "timestamp": "2024-05-01", "channel": "app", "text": "退款还没到账"}],
            "events": [{"customer_id": "C1", "timestamp": "2024-05-02", "type": "return", "detail": "damaged"}],
        }]},
    )

    feedback: list[dict[str, Any]] = Field(description="Feedback rows: text, timestamp, channel, customer_id.")
    contacts: list[dict[str, Any]] | None = Field(default=None, description="Contacts: customer_id, channel, "
                                                  "timestamp (+ topic, resolved).")
    events: list[dict[str, Any]] | None = Field(default=None, description="Events: customer_id, timestamp, type "
                                                "(+ amount, score, detail).")
    customers: list[dict[str, Any]] | None = Field(default=None, description="Customers: customer_id "
                                                   "(+ signup_date, verified).")
    as_of: StrictStr | None = Field(default=None, description="Reference time (default: the latest timestamp).")


class CustomersResponse(BaseModel):
    """Answer of ``POST /customers/profile``."""

    as_of: str
    invalid_rows: dict[str, int] = Field(description="Rows flagged per table (kept out of the profiles).")
    profiles: list[dict[str, Any]] = Field(description="One profile per customer (columns: docs/customers.md).")


class EvidenceSpan(BaseModel):
    """A span of the normalized text that supports a label."""

    text: str
    start: int
    end: int
    source: str = Field(description="'lexicon' (cue table) or 'model' (strong n-gram).")


class SinglePrediction(BaseModel):
    """A single-label task's answer; ``label`` is null when the item had an error."""

    label: str | None
    score: float = Field(description="Probability of the label; for sentiment P(pos) - P(neg) in [-1, 1].")
    scores: dict[str, float]
    evidence: list[EvidenceSpan]


class MultiLabel(BaseModel):
    """One label of a multi-label task."""

    label: str
    score: float
    evidence: list[EvidenceSpan]


class AnalysisResult(BaseModel):
    """``Result.to_json()``: everything voc says about one text."""

    text: str = Field(description="The normalized text (PII masked).")
    sentiment: SinglePrediction
    emotion: SinglePrediction
    intent: SinglePrediction
    complaint_stage: SinglePrediction
    journey_stage: SinglePrediction
    temperament: SinglePrediction
    non_complaint_reasons: list[MultiLabel]
    behaviors: list[MultiLabel]
    aspects: list[MultiLabel]
    error: str | None = Field(description="Why the item could not be analyzed (labels are then empty).")
    truncated: bool
    changes: list[str]


class AnalyzeResponse(BaseModel):
    """Answer of ``POST /analyze``: one result per input text, in order."""

    results: list[AnalysisResult]


class HealthResponse(BaseModel):
    """Answer of ``GET /health``."""

    status: Literal["ok"]
    model_loaded: bool
    version: str


class LabelSpec(BaseModel):
    """One label code and its Chinese display name."""

    model_config = ConfigDict(extra="allow")

    code: str
    name_zh: str | None = None


class TaskSpec(BaseModel):
    """Label set of one task."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["single", "multi"]
    labels: list[LabelSpec]


class LabelsResponse(BaseModel):
    """Answer of ``GET /labels``: the taxonomy file format."""

    model_config = ConfigDict(extra="allow")

    version: str
    tasks: dict[str, TaskSpec]


class ErrorResponse(BaseModel):
    """Body of 413 answers."""

    detail: str


# ------------------------------------------------------------------ shared analyzer
class _AnalyzerHolder:
    """Loads the analyzer once (double-checked lock) and hands out the shared instance."""

    def __init__(self, nlp: Any = None, model: str | Path | None = None) -> None:
        self._nlp = nlp
        self._model = model
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    def get(self) -> Any:
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    from voc.pipeline import load

                    self._nlp = load(self._model)
        return self._nlp


# ------------------------------------------------------------------ body size limit
class BodySizeLimitMiddleware:
    """Pure ASGI middleware: 413 for request bodies over ``max_body_bytes``.

    The declared ``Content-Length`` is checked before anything is read; the body is
    then read (and counted, which also covers chunked uploads) and replayed to the app.

    Args:
        app: The wrapped ASGI app.
        max_body_bytes: Largest accepted body.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = int(max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                await JSONResponse({"detail": "invalid Content-Length header"}, 400)(scope, receive, send)
                return
            if n > limit:
                await self._too_large(scope, receive, send,
                                      f"request body is {n} bytes; the limit is {limit} bytes")
                return
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                await self._too_large(scope, receive, send,
                                      f"request body is larger than the limit of {limit} bytes")
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))
        data = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, what: str) -> None:
        detail = f"{what} (send smaller batches)"
        await JSONResponse({"detail": detail}, 413, headers={"Connection": "close"})(scope, receive, send)


# ------------------------------------------------------------------ no request text in errors or logs
#: Validation error types whose pydantic message is a fixed template without the input value.
_SAFE_MSG_TYPES = frozenset({
    "missing", "extra_forbidden", "string_type", "list_type", "dict_type", "model_type",
    "model_attributes_type", "json_invalid", "json_type", "value_error", "bool_type", "int_type",
    "float_type", "none_required", "too_long", "too_short", "string_too_long", "string_too_short",
})
_LOC_ROOTS = frozenset({"body", "query", "path", "header", "cookie"})


def _safe_errors(errors: Any, fields: frozenset[str]) -> list[dict[str, Any]]:
    """Validation errors as ``{loc, msg, type}`` without any value taken from the request.

    Drops ``input``, ``ctx`` and ``url``; keeps ``loc`` items that are list positions, the
    location root (``body``...) or one of ``fields``; other names (an unknown key chosen by the
    caller) become ``"<unknown field>"``; a message that may quote the input is replaced by a
    generic one.
    """
    out = []
    for err in errors if isinstance(errors, (list, tuple)) else []:
        if not isinstance(err, dict):
            continue
        kind = str(err.get("type", "invalid"))
        loc = []
        for i, part in enumerate(err.get("loc") or ()):
            if isinstance(part, int) and not isinstance(part, bool):
                loc.append(part)
            elif (i == 0 and part in _LOC_ROOTS) or part in fields:
                loc.append(str(part))
            else:
                loc.append("<unknown field>")
        msg = str(err.get("msg", "")) if kind in _SAFE_MSG_TYPES else f"invalid value ({kind})"
        out.append({"loc": loc, "msg": msg, "type": kind})
    return out


class InternalErrorMiddleware:
    """Pure ASGI middleware: an unexpected exception becomes a plain 500 with no request text.

    The exception is logged by type only (its message or traceback could quote the text
    being analyzed) and is not re-raised, so the server does not log the traceback either.

    Args:
        app: The wrapped ASGI app.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:  # noqa: BLE001 - every error must be answered without request text
            logger.error("internal error on %s %s: %s", scope.get("method"), _route_or_other(scope),
                         type(exc).__name__)
            if not started:
                await JSONResponse({"detail": "internal server error"}, 500)(scope, receive, send)


_KNOWN_PATHS: set[str] = set()


def _route_or_other(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    return path if path in _KNOWN_PATHS else "<other path>"


class AccessLogFilter(logging.Filter):
    """Rewrites uvicorn access log records: no query string, unknown paths as ``<other path>``.

    A query string or a made-up path is text chosen by the caller and may hold personal data.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (args[0], args[1], path if path in _KNOWN_PATHS else "<other path>", args[3], args[4])
        return True


def _install_access_log_filter() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in access.filters):
        access.addFilter(AccessLogFilter())


# ------------------------------------------------------------------ app factory
def _profiles_answer(req: CustomersRequest, nlp: Any) -> dict[str, Any]:
    """``POST /customers/profile``: one History, its profiles as JSON rows (customer ids PII-masked)."""
    import json
    import warnings

    import pandas as pd

    from voc.history import History
    from voc.privacy import mask_value

    frames = {name: (pd.DataFrame(rows) if rows is not None else None)
              for name, rows in (("feedback", req.feedback), ("contacts", req.contacts), ("events", req.events),
                                 ("customers", req.customers))}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = History.from_frames(frames["feedback"], frames["contacts"], frames["events"], frames["customers"],
                                    as_of=req.as_of, nlp=nlp)
            prof = h.profiles
    except (ValueError, TypeError) as e:  # the schema's message names table and column, never a value
        raise HTTPException(422, str(e).split(";")[0]) from None
    out = prof.reset_index()
    out["customer_id"] = out["customer_id"].map(mask_value)
    rows = json.loads(out.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str))
    return {"as_of": h.as_of.isoformat(), "invalid_rows": h.invalid_rows, "profiles": rows}


def create_app(nlp: Any = None, max_batch: int = 256, max_text_chars: int = 10_000,
               max_body_bytes: int = 2_000_000, *, model: str | Path | None = None) -> FastAPI:
    """Build the FastAPI app.

    Args:
        nlp: A loaded :class:`voc.pipeline.Analyzer` to serve; ``None`` loads one at startup
            (or on the first request if the app is used without its lifespan).
        max_batch: Most texts per ``POST /analyze`` (more -> 413).
        max_text_chars: Longest text in characters (a single ``text`` over it -> 422; a batch
            item over it -> a result with ``error``).
        max_body_bytes: Largest request body in bytes (more -> 413).
        model: Model directory to load when ``nlp`` is ``None`` (default: the shipped models).

    Returns:
        The app; run it with ``uvicorn.run(app)`` or ``voc serve``.

    Raises:
        ValueError: A limit is not a positive integer.
    """
    for name, value in (("max_batch", max_batch), ("max_text_chars", max_text_chars),
                        ("max_body_bytes", max_body_bytes)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    holder = _AnalyzerHolder(nlp, model)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _install_access_log_filter()  # again: the server may have reconfigured logging since create_app
        await anyio.to_thread.run_sync(holder.get)
        yield

    app = FastAPI(
        title="voc",
        version=__version__,
        description="Chinese voice-of-customer analysis: sentiment, emotion, intent, why customers "
                    "do not complain, complaint stage, behaviours, aspects, journey stage and "
                    f"temperament, with evidence spans. Limits: {max_batch} texts per request, "
                    f"{max_text_chars} characters per text, {max_body_bytes} bytes per body.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI / ReDoc from a CDN: blank offline
        redoc_url=None,
    )
    app.state.analyzer = holder
    app.state.limits = {"max_batch": max_batch, "max_text_chars": max_text_chars,
                        "max_body_bytes": max_body_bytes}
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=max_body_bytes)
    app.add_middleware(InternalErrorMiddleware)  # added last: outermost, also covers the size check
    fields = frozenset(AnalyzeRequest.model_fields) | frozenset(CustomersRequest.model_fields)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _safe_errors(exc.errors(), fields)}, 422)

    too_large = {413: {"model": ErrorResponse, "description": "Body or batch too large."}}

    @app.post("/analyze", response_model=AnalyzeResponse, responses=too_large,
              summary="Analyze one text or a batch of texts")
    def analyze(req: AnalyzeRequest) -> dict[str, Any]:
        """Analyze ``text`` or ``texts``; one result per input text, in order."""
        if req.text is not None:
            if len(req.text) > max_text_chars:
                raise HTTPException(422, f"text has {len(req.text)} characters; the limit is {max_text_chars}")
            items: list[Any] = [req.text]
        else:
            items = list(req.texts or [])
            if len(items) > max_batch:
                raise HTTPException(413, f"batch has {len(items)} texts; the limit is {max_batch}")
        too_long = {i for i, t in enumerate(items) if isinstance(t, str) and len(t) > max_text_chars}
        nlp = holder.get()
        todo = [t for i, t in enumerate(items) if i not in too_long]
        done = iter(nlp.pipe(todo) if todo else [])
        results = []
        for i, t in enumerate(items):
            if i in too_long:
                results.append(_error_result(f"ValueError: text has {len(t)} characters; the limit is "
                                             f"{max_text_chars}"))
            else:
                results.append(next(done).to_json())
        if req.text is not None and results[0]["error"]:
            raise HTTPException(422, f"text cannot be analyzed: {results[0]['error']}")
        return {"results": results}

    @app.post("/customers/profile", response_model=CustomersResponse, responses=too_large,
              summary="Customer profiles (silent customers, problem levels) from the customer tables")
    def customers_profile(req: CustomersRequest) -> dict[str, Any]:
        """Check the tables once as a ``voc.History`` and profile every customer."""
        if len(req.feedback) > max_batch:
            raise HTTPException(413, f"feedback has {len(req.feedback)} rows; the limit is {max_batch}")
        return _profiles_answer(req, holder.get())

    @app.get("/health", response_model=HealthResponse, summary="Liveness and model status")
    def health() -> dict[str, Any]:
        """``status`` is always ``ok`` while the process answers; ``model_loaded`` tells readiness."""
        return {"status": "ok", "model_loaded": holder.loaded, "version": __version__}

    @app.get("/labels", response_model=LabelsResponse, summary="The label taxonomy")
    def labels() -> dict[str, Any]:
        """Every task's kind and labels (``code``, Chinese ``name_zh``) of the served analyzer."""
        return holder.get().taxonomy.to_dict()

    _add_docs(app)
    _KNOWN_PATHS.update(r.path for r in app.routes if isinstance(getattr(r, "path", None), str))
    _install_access_log_filter()
    return app


def _swagger_assets() -> Path | None:
    """The Swagger UI files of the ``swagger-ui-bundle`` package, if it is installed."""
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
    needed = ("swagger-ui-bundle.js", "swagger-ui.css")
    return path if all((path / f).is_file() for f in needed) else None


def _add_docs(app: FastAPI) -> None:
    """``GET /docs`` without any CDN: local Swagger UI files, or a plain list of endpoints."""
    assets = _swagger_assets()
    if assets is not None:
        from fastapi.openapi.docs import get_swagger_ui_html
        from fastapi.staticfiles import StaticFiles

        app.mount("/docs/static", StaticFiles(directory=str(assets)), name="swagger-ui")
        favicon = "/docs/static/favicon-32x32.png" if (assets / "favicon-32x32.png").is_file() else ""

        @app.get("/docs", include_in_schema=False)
        def swagger_docs() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                       title=f"{app.title} - API docs",
                                       swagger_js_url="/docs/static/swagger-ui-bundle.js",
                                       swagger_css_url="/docs/static/swagger-ui.css",
                                       swagger_favicon_url=favicon)
        return

    @app.get("/docs", include_in_schema=False)
    def plain_docs() -> HTMLResponse:
        return HTMLResponse(_endpoints_page(app.openapi(), app.openapi_url or "/openapi.json"))


def _endpoints_page(spec: dict[str, Any], openapi_url: str) -> str:
    """A self-contained HTML page listing the endpoints of ``spec`` (no external resources)."""
    e = html.escape
    info = spec.get("info", {})
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            codes = ", ".join(sorted(op.get("responses", {})))
            rows.append(f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                        f"<td>{e(op.get('summary', ''))}<br><small>{e(op.get('description', ''))}</small></td>"
                        f"<td>{e(codes)}</td></tr>")
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<title>{e(info.get('title', 'API'))} - API docs</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}</style>"
        "</head><body>"
        f"<h1>{e(info.get('title', 'API'))} {e(info.get('version', ''))}</h1>"
        f"<p>{e(info.get('description', ''))}</p>"
        f"<p>Full schema (OpenAPI JSON): <a href=\"{e(openapi_url)}\">{e(openapi_url)}</a>. "
        "Install <code>swagger-ui-bundle</code> for the interactive Swagger UI (served locally).</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Status codes</th></tr>"
        + "".join(rows) + "</table></body></html>"
    )


def _error_result(error: str) -> dict[str, Any]:
    from voc.results import Result

    return Result(text="", error=error).to_json()
