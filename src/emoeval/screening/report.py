"""``screening.md``: the verdicts grouped as the hand-written screening logs were (usable,
wrong task, cannot load, not emotion models), the evidence under each, then the final pool."""

from __future__ import annotations

from typing import Any

from .verdict import GROUPS, chance_text


def human_bytes(value: int | None) -> str:
    if value is None:
        return "unknown"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover - loop always returns


def human_count(value: int | None) -> str:
    if value is None:
        return "unknown"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}k"
    return str(value)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def label_line(evidence: dict[str, Any]) -> str:
    emotions = evidence.get("label_emotions") or {}
    if not emotions:
        return "none declared (takes the data's labels)" if evidence.get("open_vocabulary") \
            else "none"
    return ", ".join(f"{label} -> {emotion or '(no emotion)'}"
                     for label, emotion in emotions.items())


def probe_lines(evidence: dict[str, Any]) -> list[str]:
    probe = evidence.get("probe")
    if not probe:
        skipped = evidence.get("probe_skipped")
        return [f"- Probe: {skipped}"] if skipped else []
    n = probe.get("n_scored") or 0
    lines = [f"- Probe: {n} of {probe['n']} samples scored ({probe['n_errors']} failed)"]
    if n:
        spread = ", ".join(f"{label} {count} ({100 * count / n:.0f}%)"
                           for label, count in (probe.get("distribution") or {}).items())
        lines.append(f"- Predicted labels: {spread}")
        top = probe.get("top_probability") or {}
        confidence = ("one-hot (the model answers with label names)" if probe.get("hard_labels")
                      else f"mean {top.get('mean', 0):.3f}, std {top.get('std', 0):.4f}")
        lines.append(f"- Top probability: {confidence}")
    if probe.get("accuracy") is not None:
        lines.append(f"- Accuracy {percent(probe['accuracy'])}, balanced accuracy "
                     f"{percent(probe['balanced_accuracy'])}, macro F1 "
                     f"{percent(probe.get('f1_macro'))}")
        test = evidence.get("chance")
        if test:
            lines.append(f"- Against chance: {chance_text(test)}; usable needs p < "
                         f"{test['alpha']:g}")
        mapping = (probe.get("label_mapping") or {}).get("model_to_dataset") or {}
        lines.append("- Model labels onto probe labels: " + ", ".join(
            f"{m} -> {d or '(none)'}" for m, d in mapping.items()))
    return lines


def entry_section(number: int, entry: dict[str, Any]) -> list[str]:
    evidence = entry["evidence"]
    candidate = entry["candidate"]
    lines = [f"### {number}. `{entry['spec']}`", "",
             f"- Status: **{entry['status']}**; recommendation: **{entry['recommendation']}**",
             f"- Reason: {entry['reason']}"]
    for name in ("language", "task", "notes"):
        if candidate.get(name):
            lines.append(f"- {name.capitalize()} (from the candidates file): {candidate[name]}")
    if evidence.get("architecture") or evidence.get("model_class"):
        lines.append(f"- Architecture: {evidence.get('architecture') or 'not declared'}; "
                     f"head: {evidence.get('head_type') or 'unknown'}; loaded as "
                     f"{evidence.get('model_class') or evidence.get('adapter')}")
    loading = evidence.get("loading") or {}
    if loading.get("head_newly_initialised"):
        lines.append("- Newly initialised (not in the checkpoint): "
                     + ", ".join(loading["head_newly_initialised"]))
    if "labels" in evidence:
        lines.append(f"- Labels: {label_line(evidence)}")
    if "load_seconds" in evidence:
        lines.append(f"- Parameters: {human_count(evidence.get('n_parameters'))}; size on "
                     f"disk: {human_bytes(evidence.get('size_bytes'))}; load time: "
                     f"{evidence['load_seconds']:.1f} s")
    lines += probe_lines(evidence)
    failure = evidence.get("failure")
    if failure and failure.get("message") != entry["reason"]:
        lines.append(f"- Error ({failure.get('stage')}): {failure.get('message')}")
    worker = evidence.get("worker") or {}
    lines.append(f"- Screened in {worker.get('seconds', 0):.1f} s"
                 + (" (reused from an earlier run)" if worker.get("reused") else ""))
    for warning in entry.get("warnings") or []:
        lines.append(f"- Warning: {warning}")
    return lines + [""]


def pool_line(number: int, entry: dict[str, Any]) -> str:
    probe = entry["evidence"].get("probe") or {}
    facts = [entry["candidate"].get("language") or "language not given"]
    if probe.get("accuracy") is not None:
        facts.append(f"probe accuracy {percent(probe['accuracy'])}, balanced "
                     f"{percent(probe['balanced_accuracy'])}")
    if entry["status"] == "unprobed":
        facts.append("not probed")
    return f"{number}. `{entry['spec']}` ({'; '.join(facts)})"


def render_markdown(entries: list[dict[str, Any]], context: dict[str, Any]) -> str:
    lines = [f"# Screening of {len(entries)} candidate models", "",
             f"Candidates: `{context['candidates_file']}`; time limit {context['timeout_s']:g} s "
             "per candidate."]
    probe = context.get("probe")
    if probe:
        lines.append(f"Probe: `{probe['dataset']}`"
                     + (f" split {probe['split']}" if probe.get("split") else "")
                     + f", {probe['n']} samples (stratified by label, seed {probe['seed']})"
                     + (f", labels {', '.join(probe['labels'])}" if probe["labels"] else
                        ", unlabelled")
                     + (f", language {', '.join(probe['languages'])}"
                        if probe["languages"] else "") + ".")
        lines += [f"Probe warning: {w}" for w in probe.get("warnings") or []]
    else:
        lines.append("No probe data: loadable emotion classifiers are `unprobed`.")
    if context.get("command"):
        lines += ["", f"Command: `{context['command']}`"]
    lines += ["", "| # | spec | status | recommendation | reason |", "|---|---|---|---|---|"]
    for i, entry in enumerate(entries, 1):
        lines.append(f"| {i} | `{cell(entry['spec'])}` | {entry['status']} | "
                     f"{entry['recommendation']} | {cell(entry['reason'])} |")
    lines.append("")
    number = 0
    for title, statuses in GROUPS.items():
        members = [e for e in entries if e["status"] in statuses]
        lines += [f"## {title} ({len(members)})", ""]
        if not members:
            lines += ["None.", ""]
        for entry in members:
            number += 1
            lines += entry_section(number, entry)
    pool = [e for e in entries if e["recommendation"] == "keep"]
    lines += [f"## Final pool ({len(pool)} of {len(entries)})", ""]
    lines += [pool_line(i, e) for i, e in enumerate(pool, 1)] or ["No candidate is usable."]
    lines += ["", "`candidates.usable.yaml` lists the pool for `emoeval evaluate --models`: "
              "models that load, name emotions, do not collapse and beat the probe's "
              "majority-class rate (or were not probed)."]
    retry = [e for e in entries if e["recommendation"] == "retry"]
    if retry:
        lines += [f"`candidates.retry.yaml` lists the {len(retry)} candidates the Hub could "
                  "not be asked about (offline, refused, rate-limited): screen it again "
                  "later."]
    lines.append("")
    return "\n".join(lines)
