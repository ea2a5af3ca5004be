"""Where shortlist keeps its files: --db, then SHORTLIST_DB, then the platform user-data dir."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("SHORTLIST_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("shortlist", appauthor=False))


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHORTLIST_DB")
    if env:
        return Path(env)
    return data_dir() / "shortlist.db"


def db_given_explicitly(explicit: str | os.PathLike[str] | None = None) -> bool:
    return bool(explicit) or bool(os.environ.get("SHORTLIST_DB"))


def check_db(path: Path, explicit: bool, reading: bool) -> None:
    """One validation of --db / SHORTLIST_DB for every command (raises BadInput with the fix).

    A directory is never a database; a reader given a path whose folder does not exist has been given a
    typo, not an empty store (writers create the folder, as on first use).
    """
    from shortlist.errors import BadInput

    if path.is_dir():
        raise BadInput(f"--db {path} is a directory, not a database file",
                       f"give a file path such as {path / 'shortlist.db'}")
    if reading and explicit and not path.parent.is_dir():
        raise BadInput(f"--db {path}: folder {path.parent} does not exist",
                       "check the path, or import something first (`shortlist leaderboard import`)")


def cache_dir() -> Path:
    env = os.environ.get("SHORTLIST_CACHE")
    return Path(env) if env else data_dir() / "cache"


def shared_data_dir() -> Path | None:
    """The public reference data beside a checkout (../shared/data), or SHORTLIST_SHARED_DATA."""
    env = os.environ.get("SHORTLIST_SHARED_DATA")
    if env:
        p = Path(env)
        return p if p.is_dir() else None
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data"
        if (parent / "pyproject.toml").exists() and candidate.is_dir():
            return candidate
    return None
