"""The command line's text output: one function per result, each returning the lines to
print. ``--json`` prints the results' ``to_json()`` instead; both come from the same
values."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Mapping

    from releasekit.comparison import CheckResult
    from releasekit.pipeline import PipelineResult
    from releasekit.preflight import PreflightResult
    from releasekit.steps.build import BuildResult
    from releasekit.steps.bump import BumpResult
    from releasekit.steps.upload import UploadResult
    from releasekit.steps.verify import VerifyResult
    from releasekit.trust.doctor import TokenCheck


def bump(result: BumpResult) -> str:
    verb = "would bump" if result.dry_run else "bumped"
    diff = result.diff().rstrip("\n") if result.dry_run else ""
    lines = [diff] if diff else []  # a version in git tags alone changes no file
    lines.append(f"{verb} {result.project} {result.previous} -> {result.version}")
    lines += [f"  {c.shown(result.root)}: {c.what}" for c in result.changes]
    if result.commit:
        lines.append(f"  commit: {result.commit_sha or '(would commit)'}")
    if result.tag:
        lines.append(f"  tag: {result.tag}")
    lines += [f"  note: {note}" for note in result.notes]
    if result.dry_run:
        lines.append("dry run: nothing was changed")
    return "\n".join(lines)


def build(result: BuildResult) -> str:
    from releasekit.steps.build import format_artifacts

    if result.dry_run:
        lines = [f"would run: {' '.join(result.command)}", f"into: {result.outdir}"]
        lines += [f"would remove: {p.name}" for p in result.removed]
    else:
        lines = [
            f"built {result.project} {result.version} into {result.outdir}:",
            format_artifacts(result),
        ]
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


def check(result: CheckResult) -> str:
    lines = [f"check {result.project} {result.version} for {result.repository}:"]
    lines += [f"  ok: {name}" for name in result.passed]
    lines += [
        f"  already on {result.repository} (same sha256): {name}"
        for name in result.already_uploaded
    ]
    lines += [f"  warning: {warning}" for warning in result.warnings]
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


def upload(result: UploadResult) -> str:
    verb = "would upload" if result.dry_run else "uploaded"
    headline = verb if result.uploaded else "nothing to upload of"
    lines = [
        f"{headline} {result.project} {result.version} to {result.repository} "
        f"({result.upload_url}), credentials: {result.credentials}"
    ]
    if result.files:
        width = max(len(f.filename) for f in result.files)
        lines += [
            f"  {f.filename:<{width}}  {f.state:<13}  HTTP {f.status or '-'}  "
            f"{f.attempts} attempt{'s' * (f.attempts != 1)}  {f.seconds:.2f} s"
            for f in result.files
        ]
    else:
        lines += [f"  {verb}: {name}" for name in result.uploaded]
    lines += [f"  skipped (already there, same sha256): {name}" for name in result.skipped]
    lines += [f"  with attestation: {name}" for name in result.attestations]
    if not result.uploaded:
        lines.append("  nothing to upload: every file is already there")
    return "\n".join(lines)


def verify(result: VerifyResult) -> str:
    lines = [
        f"verified {result.project} {result.version} on {result.repository} "
        f"({result.index_url}) after {result.waited:.1f} s:"
    ]
    lines += [f"  ok: {f.filename} sha256:{f.expected_sha256}" for f in result.files]
    lines += [f"  provenance verified: {v.filename}: {v.detail}" for v in result.provenance]
    if result.install:
        lines.append(
            f"  installed with {result.install.installer} in a fresh venv: version "
            f"{result.install.installed_version}, imported "
            f"{', '.join(result.install.imported) or 'nothing'}"
        )
    return "\n".join(lines)


def preflight(result: PreflightResult) -> list[str]:
    lines = [f"  ok: {name}" for name in result.passed]
    lines += [f"  FAILED: {failure}" for failure in result.failures]
    lines += [f"  note: {note}" for note in result.notes]
    return lines


def pipeline(result: PipelineResult) -> str:
    if result.dry_run:
        plan = result.plan
        lines = [
            f"{result.pipeline} {plan.name} {plan.current}"
            + (f" -> {plan.version}" if plan.version != plan.current else "")
            + " (dry run: nothing was changed)",
            "plan:",
        ]
        width = max((len(s.name) + len(s.repository) for s in plan.steps), default=0) + 3
        digits = len(str(len(plan.steps)))
        for number, step in enumerate(plan.steps, 1):
            where = f"{step.name} ({step.repository})" if step.repository else step.name
            lines.append(f"  {f'{number}.':<{digits + 1}} {where:<{width}}  {step.does}")
        if result.preflight is not None:
            lines += ["pre-flight:", *preflight(result.preflight)]
        return "\n".join(lines)
    width = max((len(s.name) for s in result.steps), default=0)
    lines = [f"{result.pipeline}: {result.project} {result.version}"]
    lines += [f"  {s.name:<{width}}  {s.seconds:6.1f} s  {s.outcome}" for s in result.steps]
    said = pipeline_notes(result)
    if said:
        lines += ["notes:", *(f"  {kind}: {text}" for kind, text in said)]
    return "\n".join(lines)


def pipeline_notes(result: PipelineResult) -> list[tuple[str, str]]:
    """Every warning and note of the pre-flight and of each step, once each (check says
    the same of each repository), warnings first: what --json holds in each step's
    summary, so that a plain run hides none of it."""
    warnings: dict[str, None] = {}
    notes: dict[str, None] = {}
    if result.preflight is not None:
        notes.update(dict.fromkeys(result.preflight.notes))
    for step in result.steps:
        warnings.update(dict.fromkeys(str(w) for w in step.summary.get("warnings") or ()))
        notes.update(dict.fromkeys(str(n) for n in step.summary.get("notes") or ()))
    return [("warning", w) for w in warnings] + [("note", n) for n in notes if n not in warnings]


def token_check(check: TokenCheck) -> str:
    lines = [f"This job's OIDC token matches the trusted publisher ({check.provider}):"]
    lines += [f"  {name}: {value}" for name, value in check.claims.items() if value]
    return "\n".join(lines)


def settings(rows: list[tuple[str, Any, str]]) -> str:
    width = max(len(key) + len(json.dumps(value)) for key, value, _ in rows) + 3
    return "\n".join(
        f"{f'{key} = {json.dumps(value)}':<{width}}  # {source}" for key, value, source in rows
    )


# --- colour -------------------------------------------------------------------------------

_COLOURS = {"ok": "32", "already": "32", "warning": "33", "FAILED": "31", "error": "31"}
# The verdict words render's own lines start with ("  ok: ...", "releasekit: error: ...").
_VERDICT = re.compile(r"^(\s*(?:releasekit: )?)(ok|already|warning|FAILED|error)\b", re.MULTILINE)


def colour_wanted(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal; never with ``NO_COLOR`` (https://no-color.org), always with
    ``FORCE_COLOR`` otherwise; off for ``TERM=dumb``, a pipe or a file (CPython's order)."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def paint(text: str, stream: TextIO) -> str:
    """``text`` with its verdicts coloured (green ok, yellow warning, red error) when
    ``stream`` wants colour; unchanged otherwise."""
    if not colour_wanted(stream):
        return text
    return _VERDICT.sub(lambda m: f"{m[1]}\x1b[{_COLOURS[m[2]]}m{m[2]}\x1b[0m", text)
