"""`rareflow serve`: the API, dashboard and worker pool in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rareflow.web.db import DEFAULT_DB_URL


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8000,
    db: Annotated[
        str,
        typer.Option("--db", help="database URL: sqlite:///file.db or postgresql://user@host/db"),
    ] = DEFAULT_DB_URL,
    workers: Annotated[int, typer.Option("--workers", min=0, help="worker processes")] = 2,
    data: Annotated[
        Path | None, typer.Option("--data", help="directory of reference tables to override")
    ] = None,
    runs: Annotated[Path, typer.Option("--runs", help="directory for run results")] = Path(
        "rareflow-runs"
    ),
) -> None:
    """Start the web service and dashboard (http://HOST:PORT/) with its worker pool."""
    import uvicorn

    from rareflow.web.app import create_app

    try:
        app = create_app(db, workers=workers, data_dir=data, runs_dir=runs)
    except Exception as exc:  # a wrong URL or an unreachable database: one line, status 2
        typer.echo(f"error: cannot open the database {db}: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(app, host=host, port=port)
