"""Text formatting shared by every report: numbers, percentages, intervals, Markdown tables.

Every helper takes whatever a results dict holds (a float, an int, None, NaN, a string) and
returns text; a missing or non-finite value reads ``n/a``, never raises. Scores in 0-1 are shown
either as percentages (:func:`pct`, :func:`ci_text`: classification) or as decimals
(:func:`decimal_text`, :func:`interval_text`: multi-label, dimensional).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

NA = "n/a"
ALIGN_MARKS = {"l": ":---", "r": "---:", "c": ":---:"}


def finite(value: Any) -> float | None:
    """A finite float, or None for None/NaN/inf/non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def field(mapping: Any, key: str) -> Any:
    """``mapping[key]`` when ``mapping`` is a mapping that has it, else None (results blocks
    are optional and may be null)."""
    return mapping.get(key) if isinstance(mapping, Mapping) else None


# --------------------------------------------------------------------------- numbers


def pct(value: Any, digits: int = 1) -> str:
    """0.645 -> "64.5%"; missing -> "n/a"."""
    number = finite(value)
    return NA if number is None else f"{number * 100:.{digits}f}%"


def decimal_text(value: Any, digits: int = 3) -> str:
    """0.8613 -> "0.861"; missing -> "n/a"."""
    number = finite(value)
    return NA if number is None else f"{number:.{digits}f}"


def count_text(value: Any) -> str:
    """1234.0 -> "1,234"; missing -> "n/a"."""
    number = finite(value)
    return NA if number is None else f"{int(round(number)):,}"


def duration_text(seconds: Any) -> str:
    """83.4 -> "1 min 23 s"; under a minute "12.3 s"; over an hour "2 h 5 min"."""
    s = finite(seconds)
    if s is None:
        return NA
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(int(round(s)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def parameters_text(n: Any) -> str:
    """94568711 -> "94.6M (94,568,711)"; under a thousand just the count."""
    number = finite(n)
    if number is None:
        return NA
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= scale:
            return f"{number / scale:.1f}{suffix} ({int(number):,})"
    return f"{int(number):,}"


def megabytes_text(size_bytes: Any) -> str:
    """378274816 -> "378.3 MB" (decimal megabytes, as file managers show them)."""
    number = finite(size_bytes)
    return NA if number is None else f"{number / 1e6:,.1f} MB"


def plural(word: str) -> str:
    """speaker -> speakers, city -> cities; a word already ending in s is kept."""
    if word.endswith("s"):
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"


# --------------------------------------------------------------------------- intervals


def interval_bounds(interval: Any) -> tuple[float, float] | None:
    """(low, high) of a ``{"low": ..., "high": ...}`` block, or None when either is missing."""
    low, high = finite(field(interval, "low")), finite(field(interval, "high"))
    return None if low is None or high is None else (low, high)


def ci_text(interval: Mapping[str, Any] | None) -> str:
    """{"low": 0.612, "high": 0.678} -> "[61.2, 67.8]" (percent points); no interval -> "n/a"."""
    bounds = interval_bounds(interval)
    return NA if bounds is None else f"[{bounds[0] * 100:.1f}, {bounds[1] * 100:.1f}]"


def metric_with_ci(value: Any, interval: Mapping[str, Any] | None) -> str:
    """0.645 with its CI -> "64.5% [61.2, 67.8]"; without an interval just "64.5%"."""
    band = ci_text(interval)
    return pct(value) if band == NA else f"{pct(value)} {band}"


def interval_text(interval: Any, digits: int = 3) -> str:
    """{"low": 0.861, "high": 0.889} -> "[0.861, 0.889]" (decimals); no interval -> "n/a"."""
    bounds = interval_bounds(interval)
    return NA if bounds is None else f"[{bounds[0]:.{digits}f}, {bounds[1]:.{digits}f}]"


def decimal_with_interval(value: Any, interval: Any, digits: int = 3) -> str:
    """0.712 with its CI -> "0.712 [0.690, 0.731]"; without an interval just "0.712"."""
    text = decimal_text(value, digits)
    band = interval_text(interval, digits)
    return text if band == NA else f"{text} {band}"


def ci_unit_text(interval: Mapping[str, Any] | None) -> str:
    """'95% CI over speakers (cluster bootstrap, 1,000 resamples)'; no interval -> ""."""
    if not isinstance(interval, Mapping):
        return ""
    unit = str(interval.get("unit") or "sample")
    n = finite(interval.get("n_resamples"))
    method = "bootstrap" if unit == "sample" else "cluster bootstrap"
    resamples = f", {int(n):,} resamples" if n is not None else ""
    return f"95% CI over {plural(unit)} ({method}{resamples})"


# --------------------------------------------------------------------------- markdown


def table_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, no line breaks)."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def code_span(value: Any) -> str:
    """Inline code span that survives backticks in the value."""
    text = str(value).replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_table(header: list[str], rows: Iterable[list[Any]],
                   align: list[str] | None = None) -> str:
    """A Markdown table; ``align`` per column ``"l"``, ``"r"`` or ``"c"`` (default: first
    column left, the others right, as numbers read best)."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    lines = ["| " + " | ".join(table_cell(h) for h in header) + " |",
             "|" + "|".join(ALIGN_MARKS[a] for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(table_cell(v) for v in row) + " |")
    return "\n".join(lines)


def fenced_block(text: Any) -> list[str]:
    """A fenced code block as lines (a ``` inside the text is defused, never closes it)."""
    return ["```", str(text).replace("```", "'''"), "```"]
