"""License classes for filtering: what a license lets you do, and the clause that decides it.

Unknown spellings never raise: they map to the "other" license (class needs-review), because a
leaderboard row with an odd license string should be flagged, not dropped or crash an import.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from shortlist.catalog.loader import load_fact_list
from shortlist.catalog.schema import LicenseSpec
from shortlist.errors import BadInput
from shortlist.names import build_index, normalize

Wanted = Literal["commercial", "non-commercial", "research", "any"]
WANTED: tuple[str, ...] = ("commercial", "non-commercial", "research", "any")
UNKNOWN_ID = "other"

# Which license classes permit each intended use: commercial > non-commercial > research.
_PERMITS: dict[str, set[str]] = {
    "commercial": {"commercial"},
    "non-commercial": {"commercial", "non-commercial"},
    "research": {"commercial", "non-commercial", "research"},
    "any": {"commercial", "non-commercial", "research", "needs-review"},
}
_SUFFIX = re.compile(r"(communitylicenseagreement|licenseagreement|communitylicense|license|licence|community)$")


@cache
def _load() -> dict[str, LicenseSpec]:
    specs = load_fact_list("licenses.yaml", "licenses", LicenseSpec, "license")
    if UNKNOWN_ID not in specs:
        raise BadInput(f"licenses.yaml: the '{UNKNOWN_ID}' license (needs-review) is missing")
    return specs


@cache
def _index() -> dict[str, str]:
    return build_index({s.id: s.aliases for s in _load().values()})


@cache
def _exact() -> dict[str, str]:
    """Lower-cased spellings, checked first: normalising drops "+", so "openrail++" would read as "openrail"."""
    return {spelling.strip().lower(): s.id for s in _load().values() for spelling in (s.id, *s.aliases)}


def list_licenses() -> list[LicenseSpec]:
    return list(_load().values())


def find_license(spelling: object) -> LicenseSpec | None:
    """The license for an id or a Hub/leaderboard spelling, or None when it is not recognised.

    Spellings come from user files (config.json, GGUF metadata, leaderboard rows), so anything that
    is not a plain string of sane length (NaN, a number, a list, a megabyte of text) is unrecognised.
    """
    if not isinstance(spelling, str) or len(spelling) > 500:
        return None
    exact = _exact().get(spelling.strip().lower())
    if exact is not None:
        return _load()[exact]
    key = normalize(spelling)
    index = _index()
    if key in index:
        return _load()[index[key]]
    trimmed = _SUFFIX.sub("", key)
    if trimmed and trimmed != key and trimmed in index:
        return _load()[index[trimmed]]
    return None


def get_license(id_or_spelling: object) -> LicenseSpec:
    """The license for an id or spelling ("Apache 2.0", "Llama 3.1 Community"); unknown -> "other"."""
    return find_license(id_or_spelling) or _load()[UNKNOWN_ID]


def license_class(id_or_spelling: object) -> str:
    """commercial, non-commercial, research or needs-review."""
    return get_license(id_or_spelling).license_class


def _check_wanted(wanted: str) -> None:
    if wanted not in _PERMITS:
        raise BadInput(f"unknown license use '{wanted}'", f"use one of: {', '.join(WANTED)}")


def allowed(license_id: str | None, wanted: str, allow_unknown: bool = False) -> bool:
    """Whether a model under this license may be used as `wanted`; unknown licenses only if allow_unknown."""
    _check_wanted(wanted)
    cls = license_class(license_id)
    if cls == "needs-review":
        return allow_unknown or wanted == "any"
    return cls in _PERMITS[wanted]


def explain(license_id: str | None, wanted: str | None = None) -> str:
    """One line: the license, its class, the deciding conditions, and the verdict for `wanted`."""
    spec = get_license(license_id)
    shown = spec.id if find_license(license_id) else f"{license_id!r} (unrecognised)"
    line = f"{shown}: {spec.name}, {spec.license_class}"
    if spec.conditions:
        line += " - " + "; ".join(spec.conditions)
    if wanted is not None:
        _check_wanted(wanted)
        if spec.license_class == "needs-review":
            verdict = "review the license before relying on it"
        elif allowed(spec.id, wanted):
            verdict = f"allowed for {wanted} use"
        else:
            verdict = f"not allowed for {wanted} use"
        line += f" => {verdict}"
    return line
