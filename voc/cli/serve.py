"""``voc serve``: the HTTP service (FastAPI + uvicorn)."""

from __future__ import annotations

from pathlib import Path

import click

from voc.cli._tables import _fail

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--max-batch", default=256, show_default=True, type=click.IntRange(min=1),
              help="Most texts per POST /analyze (more: 413).")
@click.option("--max-text-chars", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Longest text in characters (single text over it: 422).")
@click.option("--max-body-bytes", default=2_000_000, show_default=True, type=click.IntRange(min=1),
              help="Largest request body in bytes (more: 413).")
def serve(host: str, port: int, model: str | None, max_batch: int, max_text_chars: int,
          max_body_bytes: int) -> None:
    """Run the HTTP service (FastAPI + uvicorn): POST /analyze, GET /health, GET /labels, /docs."""
    if model and not (Path(model) / "config.json").is_file():
        _fail(f"{model}: not a voc model directory (no config.json)")
    try:
        import uvicorn

        from voc.service import create_app
    except ImportError as e:
        from voc._extras import install_hint

        _fail(f"voc serve needs fastapi and uvicorn ({e.name} is missing): {install_hint('serve')}")
    app = create_app(max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                     model=model)
    click.echo(f"voc service on http://{host}:{port} (docs: /docs); Ctrl+C to stop", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
