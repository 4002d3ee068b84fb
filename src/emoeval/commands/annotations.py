"""``emoeval anonymize`` and ``emoeval agreement``: human annotations (see
:mod:`emoeval.annotations`)."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from ._shared import _command_line, _fail, _split_list, out_console
    from ..errors import EmoevalError

    @app.command()
    def anonymize(
        raw: str = typer.Argument(..., help="Raw ratings (CSV or TSV) with rater names"),
        out: str = typer.Option(..., help="Anonymised copy of RAW"),
        map_file: str = typer.Option(..., "--map", help="Map file raw_name,anonymous_id: reused "
                                "when it exists, so ids stay stable; the only file holding "
                                "the raw names"),
        rater_col: str = typer.Option("user", help="Column(s) with rater names, a,b"),
        also: list[str] = typer.Option([], help="Another file to anonymise with the same map "
                                       "(e.g. users.csv; FILE:COLUMN when its rater column "
                                       "differs); written next to --out. Repeatable"),
        map_format: str = typer.Option("auto", help="auto (the existing map's) | emoeval "
                                       "(raw_name,anonymous_id) | emolia (emolia-bench's "
                                       "raw_username,anon_username; rater tables sorted by "
                                       "id as theirs)"),
    ) -> None:
        """Replace rater names with user_0, user_1, ... (sorted; stable across reruns), in the
        rater columns and wherever a name appears in free text; every output is checked."""
        from ..annotations import anonymise_files

        try:
            result = anonymise_files(raw, out, map_file, _split_list(rater_col) or [], also,
                                     map_format)
        except EmoevalError as exc:
            _fail(exc)
        out_console.print(f"{result['n_raters']} raters ({result['new_raters']} new, "
                          f"{result['known_raters']} in the map) -> "
                          f"{', '.join(result['files'])}; map: {result['map']}",
                          highlight=False)
        for path, encoding in result["encodings"].items():
            out_console.print(f"read {path} as {encoding} (written as UTF-8)", highlight=False)

    @app.command()
    def agreement(
        source: str = typer.Argument(..., help="Ratings file (long or vote counts), or "
                                     "crema-d-votes:<tabulatedVotes.csv>"),
        out: str = typer.Option(..., help="Output folder"),
        item_cols: Optional[str] = typer.Option(None, help="Long shape: columns naming an "
                                                "item, e.g. file_name,queried_emotion,task_type"),
        item_col: Optional[str] = typer.Option(None, help="Counts shape: the item id "
                                               "column(s)"),
        rater_col: str = typer.Option("user", help="Long shape: the rater column"),
        rating_col: str = typer.Option("rating", help="Long shape: the rating column"),
        scale: Optional[str] = typer.Option(None, help="binary | nominal[:a,b,c] | "
                                            "ordinal:low<mid<high (default nominal)"),
        present_from: Optional[str] = typer.Option(None, help="Binary: the present answer; "
                                                   "ordinal: the lowest present level "
                                                   "(default: the second level)"),
        expected_raters: Optional[int] = typer.Option(None, help="Items with fewer raters go "
                                                      "to incomplete_items.csv (default 2)"),
        count_cols: Optional[str] = typer.Option(None, help="Counts shape: one vote-count "
                                                 "column per category, e.g. A,D,F,H,N,S"),
        intended_col: Optional[str] = typer.Option(None, help="Column with the intended "
                                                   "(acted) label"),
        modality: Optional[str] = typer.Option(None, help="crema-d-votes: voice | face | "
                                               "audiovisual"),
        group_col: Optional[str] = typer.Option(None, help="Items sharing a value stay in one "
                                                "split (and, with --ci-unit auto, one "
                                                "bootstrap draw; default: the first item "
                                                "column, the audio file)"),
        ci_unit: str = typer.Option("auto", help="What intervals resample: auto (the "
                                    "grouping the data knows: the actor for crema-d-votes, "
                                    "else --group-col), sample (items) or an item or "
                                    "metadata column"),
        slice_by: list[str] = typer.Option([], help="Column for a per_<column>_summary.csv "
                                           "(default: every item column that groups items)"),
        dev_share: float = typer.Option(0.5, help="Share of groups in the dev split"),
        seed: int = typer.Option(0, help="Seed for the split and the bootstrap"),
        n_resamples: int = typer.Option(1000, help="Bootstrap resamples (0: no intervals)"),
        min_shared_items: int = typer.Option(2, help="Rater pairs sharing fewer items are left "
                                             "out of the pairwise averages"),
        rater_info: Optional[str] = typer.Option(None, help="Long shape: a rater table (e.g. "
                                                 "users.csv with the same rater column) whose "
                                                 "columns are summarised in the report"),
        preset: Optional[str] = typer.Option(None, help="emolia-emo | emolia-dim: "
                                             "emolia-bench's item columns, rater column "
                                             "(username), scale and 3 expected raters"),
        flags: Optional[str] = typer.Option(None, help="Flagged items (emolia-bench's "
                                            "flags.csv, with the item columns); default: "
                                            "flags.csv beside an emolia-dim ratings file"),
        exclude_flagged: bool = typer.Option(False, help="Leave flagged items out of "
                                             "everything (default: keep them, flagged=True)"),
        extra_rater: list[str] = typer.Option([], help="Ratings of a non-human rater (a "
                                              "model) in the ratings' shape: placed among "
                                              "the humans (panel numbers with and without "
                                              "it). Repeatable"),
        preselection_prior: bool = typer.Option(False, help="emolia-bench: add the "
                                                "preselection prior as an extra rater"),
    ) -> None:
        """Agreement, human ceiling and benchmark labels from human ratings."""
        from ..annotations import AgreementOptions, run_agreement
        from ..annotations.agreement import headline

        if item_cols and item_col:
            _fail(EmoevalError("give --item-cols (long shape) or --item-col (counts shape), "
                               "not both"))
        options = AgreementOptions(
            item_cols=_split_list(item_cols or item_col) or [], rater_col=rater_col,
            rating_col=rating_col, scale=scale, present_from=present_from,
            expected_raters=expected_raters, count_cols=_split_list(count_cols) or [],
            intended_col=intended_col, modality=modality, group_col=group_col,
            ci_unit=ci_unit,
            slice_by=[c for value in slice_by for c in (_split_list(value) or [])] or None,
            dev_share=dev_share, seed=seed, n_resamples=n_resamples,
            min_shared_items=min_shared_items, rater_info=rater_info, command=_command_line(),
            preset=preset, flags=flags, exclude_flagged=exclude_flagged,
            extra_raters=list(extra_rater), preselection_prior=preselection_prior)
        try:
            summary = run_agreement(source, out, options)
        except EmoevalError as exc:
            _fail(exc)
        out_console.print(f"{headline(summary)} -> {out}/report.md", highlight=False)

    @app.command("agreement-report")
    def agreement_report(
        folders: list[str] = typer.Argument(..., help="Output folders of `emoeval agreement` "
                                            "(e.g. analysis_outputs/emolia-emo "
                                            "analysis_outputs/emolia-dim)"),
        out: str = typer.Option(..., help="Folder for the combined report.md"),
    ) -> None:
        """One paper-ready report.md over several agreement runs (emolia-bench's combined
        report over its two subsets)."""
        from ..annotations.combined import write_combined

        try:
            path = write_combined(folders, out)
        except EmoevalError as exc:
            _fail(exc)
        out_console.print(f"-> {path}", highlight=False)
