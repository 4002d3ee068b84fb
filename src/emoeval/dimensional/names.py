"""Dimension names: which model output is which dataset dimension.

Corpora name their dimensions tersely (EmoBank ``V``, ``A``, ``D``), model heads spell them
out (``valence``, ``arousal``, ``dominance``; MSP-Podcast models also ``activation``), and
some heads carry only ``LABEL_0..2``. An output matches a dimension when both names mean the
same dimension: equal ignoring case, or members of one family below. Generic names match
nothing: the user names the outputs in order (``--output-names valence,arousal,dominance``).
"""

from __future__ import annotations

from ..errors import EmoevalError

#: one family per dimension: every name in it means that dimension
DIMENSION_FAMILIES: dict[str, tuple[str, ...]] = {
    "valence": ("valence", "v", "val", "pleasure", "pleasantness", "p"),
    "arousal": ("arousal", "a", "aro", "activation", "act", "energy"),
    "dominance": ("dominance", "d", "dom", "potency", "power", "control"),
}


def dimension_family(name: str) -> str | None:
    """``"V"`` -> ``"valence"``; None for a name outside every family."""
    key = name.strip().lower()
    for family, names in DIMENSION_FAMILIES.items():
        if key in names:
            return family
    return None


def match_dimensions(output_names: list[str], dimensions: list[str]) -> dict[str, str]:
    """``{dataset dimension: model output}`` for every dimension of the dataset.

    Exact (case-insensitive) names first, then families. A dimension no output matches, or
    one two outputs match, is an error naming the fix.
    """
    matched: dict[str, str] = {}
    for dimension in dimensions:
        exact = [o for o in output_names if o.strip().lower() == dimension.strip().lower()]
        family = dimension_family(dimension)
        candidates = exact or [o for o in output_names
                               if family is not None and dimension_family(o) == family]
        if len(candidates) > 1:
            raise EmoevalError(f"model outputs {', '.join(candidates)} all match dimension "
                               f"{dimension!r}; name the outputs in order with --output-names")
        if candidates:
            matched[dimension] = candidates[0]
    missing = [d for d in dimensions if d not in matched]
    if missing:
        raise EmoevalError(
            f"no model output matches dimension(s) {', '.join(missing)} (model outputs: "
            f"{', '.join(output_names) or 'none'}); name the outputs in order with "
            f"--output-names, e.g. --output-names valence,arousal,dominance")
    return matched


class DimensionMapping:
    """How a model's outputs become the dataset's dimensions in ``emoeval evaluate``: by
    name for a regression model (``output == "values"``), by reading the answer for a model
    that answers in text. Plays the part of :class:`emoeval.labels.LabelMapping` in the
    results (``label_mapping``) and the model fingerprint."""

    def __init__(self, output: str, output_names: list[str], dimensions: list[str]):
        self.output = output
        self.dimensions = list(dimensions)
        self.output_names = list(output_names)
        if output == "values":
            # a python: model names its outputs only when it first answers: matched then
            self.dataset_to_model = (match_dimensions(output_names, dimensions)
                                     if output_names else {})
        elif output == "text":
            self.dataset_to_model = {}
        else:
            shown = ", ".join(output_names[:8]) + (", ..." if len(output_names) > 8 else "")
            raise EmoevalError(
                f"the model is a classifier (outputs: {shown}): it predicts classes, not values "
                f"for {', '.join(dimensions)}; evaluate a regression head (problem_type "
                "regression), a ridge probe (`emoeval train --head ridge`) or an llm: model")
        self.model_to_dataset = {o: d for d, o in self.dataset_to_model.items()}
        #: the classification mapping's warning hook: every dimension is predicted or refused
        self.unpredictable_dataset_labels: list[str] = []

    def to_dict(self) -> dict:
        if self.output == "text":
            return {"dimensions": self.dimensions, "from": "answer text",
                    "note": "values read from the model's answers (see answers in results)"}
        return {"dimensions": self.dimensions, "from": "model outputs",
                "dimension_to_output": self.dataset_to_model,
                "unused_outputs": [o for o in self.output_names
                                   if o not in self.model_to_dataset]}
