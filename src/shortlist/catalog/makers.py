"""Makers and their Hub organisations: what counts as a maker's own release rather than a community model."""

from __future__ import annotations

import re
from functools import cache

from shortlist.catalog.loader import load_fact_list
from shortlist.catalog.schema import Maker

# Names that mark a model as someone else's modification, whoever uploaded it.
_COMMUNITY_WORDS = re.compile(r"abliterat|uncensor|jailbr|lorablated|merge|frankenmerge|\bslerp\b|ties-|dare-",
                              re.IGNORECASE)


@cache
def _load() -> dict[str, Maker]:
    return load_fact_list("makers.yaml", "makers", Maker, "maker")


def list_makers() -> list[Maker]:
    return list(_load().values())


@cache
def maker_orgs() -> dict[str, str]:
    """Hub organisation (lower case) -> maker id."""
    return {org.lower(): m.id for m in _load().values() for org in m.orgs}


def maker_of_family(family: str) -> Maker | None:
    for m in _load().values():
        if family in m.families:
            return m
    return None


def community_reason(repo_id: str, is_official: bool = False, is_merged: bool = False,
                     is_flagged: bool = False) -> str | None:
    """Why a leaderboard row is a community model, or None when it is a maker's own release.

    Merged and flagged rows are community whoever uploaded them; otherwise the leaderboard's official-provider
    flag or a maker organisation decides, and a name that says "abliterated", "uncensored" or "merge" overrides.
    """
    if is_flagged:
        return "flagged on the leaderboard"
    if is_merged:
        return "merged model"
    name = repo_id.split("/")[-1]
    if _COMMUNITY_WORDS.search(name):
        return "modified variant (" + _COMMUNITY_WORDS.search(name).group(0).lower() + ")"  # type: ignore[union-attr]
    org = repo_id.split("/")[0].lower() if "/" in repo_id else ""
    if is_official or org in maker_orgs():
        return None
    return f"community fine-tune or upload by '{org or repo_id}'"
