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
    max_text_chars: int = typer.Option(2000, help="Longest text (or queried_emotion) a "
                                       "request may send (422 above)"),
    token: Optional[str] = typer.Option(None, envvar="EMOEVAL_TOKEN", show_envvar=True,
                                        help="Require Authorization: Bearer <token> on every "
                                        "request (needed for a non-loopback --host)"),
    insecure: bool = typer.Option(False, help="Allow a non-loopback --host without --token"),
) -> None:
    """Serve POST /v1/similarity, POST /v1/reindex and GET /health (FastAPI + uvicorn).

    Loopback only by default; any other --host needs --token (or EMOEVAL_TOKEN)."""
    from ._shared import _fail, console
    from ..errors import EmoevalError

    try:
        if model and sham or not (model or sham):
            raise EmoevalError("give exactly one of --model SPEC or --sham")
        if not 0 < port < 65536:
            raise EmoevalError(f"--port {port}: give 1-65535")
        if max_request_mb <= 0 or max_batch < 1 or batch_window_ms < 0 or max_text_chars < 1:
            raise EmoevalError("--max-request-mb must be > 0, --max-batch >= 1, "
                               "--batch-window-ms >= 0, --max-text-chars >= 1")
        if token is not None and not token.strip():
            raise EmoevalError("--token / EMOEVAL_TOKEN is empty; give a secret or leave it "
                               "unset")
        if not is_loopback(host) and token is None and not insecure:
            raise EmoevalError(f"--host {host} is reachable from other machines: give --token "
                               "(or EMOEVAL_TOKEN) so requests must carry it, or --insecure "
                               "to serve without one")
        app = build_app(model, sham, data_dir, max_request_mb, max_batch, batch_window_ms,
                        batch_size, max_text_chars=max_text_chars, token=token)
    except EmoevalError as exc:
        _fail(exc)
    import uvicorn

    folder = app.state.data_dir
    if folder is not None:
        reindex_on_hangup(folder)
        if folder.loops:
            console.print(f"skipped {len(folder.loops)} symlink loop(s) in --data-dir, e.g. "
                          f"{folder.loops[0]}", highlight=False)
    access = ("token required" if token else "loopback only" if is_loopback(host)
              else "WARNING: no token, open to the network (--insecure)")
    console.print(f"serving {model or 'sham'} on http://{host}:{port}/v1/similarity "
                  f"(GET /health; {access})", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def reindex_on_hangup(folder) -> None:
    """SIGHUP rescans the data folder, in a thread (never on the event loop)."""
    import signal
    import threading

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
            target=folder.reindex, name="emoeval-reindex", daemon=True).start())


def build_app(model: Optional[str], sham: bool, data_dir: Optional[str], max_request_mb: float,
              max_batch: int, batch_window_ms: float, batch_size: int,
              max_text_chars: int = 2000, token: Optional[str] = None):
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
                      max_batch=max_batch, batch_window_ms=batch_window_ms,
                      max_text_chars=max_text_chars, token=token)
