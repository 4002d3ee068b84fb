"""``emoeval human-ceiling``: leave-one-rating-out agreement from individual ratings."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("human-ceiling")(human_ceiling_command)


def human_ceiling_command(
    ratings: list[str] = typer.Argument(..., help="CSV(s) of single ratings: id + one column "
                                        "per dimension (e.g. individual_reader_ratings.csv); "
                                        "several files are pooled"),
    out: str = typer.Option(..., help="Output folder"),
    dims: str = typer.Option("", help="Dimensions V,A,D (default: V, A, D when present)"),
    ids_from: Optional[str] = typer.Option(None, help="A CSV with an id column (e.g. the "
                                           "predictions file): only those items count"),
) -> None:
    """Human ceiling per dimension: each rating against the mean of the others (CCC, MAE)."""
    import pandas as pd

    from ._shared import _fail, out_console
    from ..dimensional.ceiling import human_ceiling, write_ceiling
    from ..errors import EmoevalError

    try:
        ids = None
        if ids_from is not None:
            try:
                ids = pd.read_csv(ids_from, dtype={"id": str}, usecols=["id"])["id"].tolist()
            except (OSError, ValueError) as exc:
                raise EmoevalError(f"--ids-from {ids_from}: cannot read an 'id' column "
                                   f"({exc})") from None
        ceiling = human_ceiling(ratings, [d.strip() for d in dims.split(",") if d.strip()]
                                or None, ids=ids)
        paths = write_ceiling(ceiling, out, ", ".join(ratings)
                              + (f" (items of {ids_from})" if ids_from else ""))
    except EmoevalError as exc:
        _fail(exc)
    for dim, values in ceiling["dimensions"].items():
        out_console.print(f"{dim}: CCC {values['ccc']:.3f}, MAE {values['mae']:.3f} "
                          f"({values['n_items']} items)", highlight=False)
    for path in paths:
        out_console.print(path, highlight=False)
