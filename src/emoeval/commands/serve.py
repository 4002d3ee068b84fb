"""``emoeval serve``: a model (or the sham) behind the similarity endpoint contract."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    model: Optional[str] = typer.Option(None, help="clap:<dir|hub id> or an audio classifier "
                                        "(hf:, onnx:, python:)"),
    sham: bool = typer.Option(False, help="Serve emolia-bench's sham scores (no model)"),
    port: int = typer.Option(8765, help="Port to listen on"),
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)"),
    data_dir: Optional[str] = typer.Option(None, help="Folder the server may read clips from "
                                           "when a request sends only a file name or stem"),
    max_request_mb: float = typer.Option(20.0, help="Largest request body, in MiB (413 above)"),
    max_batch: int = typer.Option(16, help="Most pairs scored in one batch"),
    batch_window_ms: float = typer.Option(5.0, help="How long a request waits for others to "
                                          "share its batch"),
    batch_size: int = typer.Option(8, help="clap: clips or texts per forward pass"),
) -> None:
    """Serve POST /v1/similarity and GET /health (FastAPI + uvicorn)."""
    from ..cli import _fail, console
    from ..errors import EmoevalError

    try:
        if model and sham or not (model or sham):
            raise EmoevalError("give exactly one of --model SPEC or --sham")
        if not 0 < port < 65536:
            raise EmoevalError(f"--port {port}: give 1-65535")
        if max_request_mb <= 0 or max_batch < 1 or batch_window_ms < 0:
            raise EmoevalError("--max-request-mb must be > 0, --max-batch >= 1, "
                               "--batch-window-ms >= 0")
        app = build_app(model, sham, data_dir, max_request_mb, max_batch, batch_window_ms,
                        batch_size)
    except EmoevalError as exc:
        _fail(exc)
    import uvicorn

    console.print(f"serving {model or 'sham'} on http://{host}:{port}/v1/similarity "
                  "(GET /health)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def build_app(model: Optional[str], sham: bool, data_dir: Optional[str], max_request_mb: float,
              max_batch: int, batch_window_ms: float, batch_size: int):
    import os

    from ..errors import EmoevalError
    from ..extras import require

    require("fastapi", "serve", "emoeval serve")
    require("uvicorn", "serve", "emoeval serve")
    from ..serve import create_app
    from ..similarity.pair_scoring import load_pair_scorer

    if data_dir and not os.path.isdir(data_dir):
        raise EmoevalError(f"--data-dir {data_dir}: not a directory")
    scorer = load_pair_scorer(model, sham=sham,
                              **({"batch_size": batch_size} if model and model.startswith("clap:")
                                 else {}))
    return create_app(scorer, data_dir=data_dir,
                      max_request_bytes=int(max_request_mb * 1024 * 1024),
                      max_batch=max_batch, batch_window_ms=batch_window_ms)
