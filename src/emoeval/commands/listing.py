"""``emoeval models`` and ``emoeval datasets``: what the registry offers."""

from __future__ import annotations

import typer
from rich.table import Table

from ._shared import out_console


def register(app: typer.Typer) -> None:
    app.command()(models)
    app.command()(datasets)


def _registry_table(title: str, table: dict[str, tuple[str, str]]) -> None:
    grid = Table(title=title, show_lines=False)
    grid.add_column("name")
    grid.add_column("what it is and needs")
    for name, (_, help_text) in table.items():
        grid.add_row(name, help_text)
    out_console.print(grid)


def models() -> None:
    """List the registered model adapters."""
    from ..registry import MODEL_ADAPTERS

    _registry_table("model adapters", MODEL_ADAPTERS)


def datasets() -> None:
    """List the registered dataset sources and corpus presets."""
    from ..registry import DATASET_SOURCES

    _registry_table("dataset sources", DATASET_SOURCES)
