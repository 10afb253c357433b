"""PyPI's upload rules, checked before a single byte is sent.

warehouse (PyPI's code: ``forklift/legacy.py``, ``forklift/metadata.py``, ``constants.py``)
refuses a file for some thirty reasons; a release refused on its third file is left half
published. Each rule here is one of those reasons, decided from the built artifacts and
the index's public PEP 691 JSON, and says what PyPI would say. A rule is a small function
registered with an id (``pypi-license-file-missing``) that ``skip-checks`` can turn off.

The artifacts are opened once (:mod:`releasekit.rules.contents`) and shared by every rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from releasekit.rules.description import DESCRIPTION_CHECKS

if TYPE_CHECKING:
    from packaging.version import Version

    from releasekit.artifacts import Artifact
    from releasekit.index import IndexClient, ProjectPage
    from releasekit.rules.contents import ArtifactContents

__all__ = [
    "CHECK_IDS",
    "RULES",
    "Release",
    "Rule",
    "RulesOutcome",
    "check_pypi_rules",
    "rule",
    "rules_summary",
]

Severity = Literal["failure", "warning"]
ONE_MIB = 1024 * 1024
ONE_GIB = 1024 * ONE_MIB
# warehouse constants.py: the default limits (PyPI can raise both for one project).
MAX_FILE_SIZE = 100 * ONE_MIB
MAX_PROJECT_SIZE = 10 * ONE_GIB


@dataclass(frozen=True)
class Finding:
    """One way an artifact (or the release, when ``filename`` is "") breaks a rule."""

    filename: str
    message: str


@dataclass(frozen=True)
class Release:
    """Everything the rules look at: the artifacts, read once, and the index's page."""

    name: str
    version: Version
    files: tuple[ArtifactContents, ...]
    page: ProjectPage | None = None  # None: the index has no such project yet, or unread
    max_file_size: int = MAX_FILE_SIZE
    now: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )

    @property
    def wheels(self) -> tuple[ArtifactContents, ...]:
        return tuple(f for f in self.files if f.is_wheel)

    @property
    def sdists(self) -> tuple[ArtifactContents, ...]:
        return tuple(f for f in self.files if not f.is_wheel)


RuleCheck = Callable[[Release], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    pypi_says: str  # PyPI's own wording, as in its refusal
    what_to_do: str
    check: RuleCheck


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, pypi_says: str, what_to_do: str, *, severity: Severity = "failure"
) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated function as the rule ``rule_id``."""

    def register(check: RuleCheck) -> RuleCheck:
        RULES[rule_id] = Rule(rule_id, severity, pypi_says, what_to_do, check)
        return check

    return register


def all_rules() -> dict[str, Rule]:
    """Every rule, by id, in the order they run."""
    from releasekit.rules import files, metadata, project  # noqa: F401 - they register, in this order

    return RULES


@dataclass(frozen=True)
class RulesOutcome:
    failures: list[str]
    warnings: list[str]
    notes: list[str]


# check's own checks that skip-checks can turn off too, with what leaving each out costs:
# twine-check is all of twine check --strict; each of its parts has an id of its own.
CHECK_IDS = {
    "twine-check": (
        "all of twine check --strict: every twine-* id below (leaving it out skips the "
        "rendering PyPI refuses on, too)"
    ),
    **{check_id: what for check_id, (_, what) in DESCRIPTION_CHECKS.items()},
}


def check_rule_ids(ids: Sequence[str], source: str = "") -> None:
    """Refuse ids (from ``skip-checks``, set in ``source``) that name no rule: a typo
    would silently skip."""
    from releasekit.errors import ConfigError

    unknown = sorted(set(ids) - set(all_rules()) - set(CHECK_IDS))
    if unknown:
        where = f" (set in {source})" if source else ""
        raise ConfigError(
            f"skip-checks{where} names unknown rule(s): {', '.join(unknown)}.",
            "See the ids with: releasekit check --list-rules.",
        )


def check_pypi_rules(
    artifacts: Sequence[Artifact],
    name: str,
    version: Version,
    *,
    index: IndexClient | None = None,
    skip: Sequence[str] = (),
    max_file_size: int = MAX_FILE_SIZE,
    now: datetime.datetime | None = None,
) -> RulesOutcome:
    """Apply every rule but those in ``skip`` to ``artifacts`` of ``name`` ``version``.

    ``index`` (the target's client) gives the project's page for the time, status and size
    rules; without it, or if it cannot be read, those rules are skipped with a note.
    """
    from releasekit.errors import ReleaseError
    from releasekit.rules.contents import read_contents

    rules = all_rules()
    check_rule_ids(skip)
    notes: list[str] = []
    page = None
    if index is not None:
        try:
            page = index.project_page(name)
        except ReleaseError as exc:
            notes.append(f"PyPI rules on the index's history skipped: {exc.message}")
    release = Release(
        name,
        version,
        tuple(read_contents(a) for a in artifacts),
        page,
        max_file_size,
        now or datetime.datetime.now(datetime.timezone.utc),
    )
    failures: list[str] = []
    warnings: list[str] = []
    for found in rules.values():
        if found.id in skip:
            continue
        for finding in found.check(release):
            where = f"{finding.filename}: " if finding.filename else ""
            if found.severity == "failure":
                failures.append(f"{where}PyPI would refuse it: {finding.message} [{found.id}]")
            else:
                warnings.append(f"{where}{finding.message} [{found.id}]")
    skipped = [rule_id for rule_id in skip if rule_id in rules]
    if skipped:
        notes.append(f"PyPI rules skipped by skip-checks: {', '.join(skipped)}.")
    if not {"pypi-classifier-unknown", "pypi-classifier-deprecated"} <= set(skip):
        from releasekit.rules.metadata import trove_classifiers_version

        if trove_classifiers_version() is None:
            notes.append(
                "classifiers not checked against PyPI's list: trove-classifiers is not "
                "installed next to releasekit (pip install trove-classifiers)."
            )
    return RulesOutcome(failures, warnings, notes)


def rules_summary() -> tuple[dict[str, Any], str]:
    """``releasekit check --list-rules``: the JSON summary and the text table."""
    rules = list(all_rules().values())
    width = max(len(i) for i in [*(r.id for r in rules), *CHECK_IDS])
    lines = [
        f"{r.id:<{width}}  {r.severity:<7}  PyPI: {r.pypi_says}\n"
        f"{'':<{width}}           fix: {r.what_to_do}"
        for r in rules
    ]
    lines += [
        f"{check_id:<{width}}  {_check_severity(check_id):<7}  check: {what}"
        for check_id, what in CHECK_IDS.items()
    ]
    summary = {
        "step": "check",
        "ok": True,
        "rules": [
            {
                "id": r.id,
                "severity": r.severity,
                "pypi_says": r.pypi_says,
                "what_to_do": r.what_to_do,
            }
            for r in rules
        ],
        "checks": [
            {"id": check_id, "severity": _check_severity(check_id), "checks": what}
            for check_id, what in CHECK_IDS.items()
        ],
    }
    return summary, "\n".join(lines)


def _check_severity(check_id: str) -> str:
    # twine-check is the failures and the warnings below it.
    return DESCRIPTION_CHECKS[check_id][0] if check_id in DESCRIPTION_CHECKS else "mixed"
