"""`leaderboard sync`: download the Open LLM Leaderboard `contents` parquet and import it.

The leaderboard was retired in March 2025, so the dataset is frozen; a sync is mostly useful
on a fresh machine. Offline (HF_HUB_OFFLINE=1, or no network) is an Offline error, never a hang.
"""

from __future__ import annotations

from pathlib import Path

from shortlist import hub_access, paths
from shortlist.catalog.importers import ImportReport, Progress, import_file
from shortlist.catalog.importers.base import Options
from shortlist.errors import BadInput, MissingExtra, Offline
from shortlist.store import Store

REPO_ID = "open-llm-leaderboard/contents"


def download_contents() -> tuple[Path, str]:
    """The parquet file's local path and the dataset's last-modified date."""
    if hub_access.offline_by_env("TRANSFORMERS_OFFLINE"):
        raise Offline("HF_HUB_OFFLINE is set, so the leaderboard cannot be downloaded",
                      "unset it, or import a downloaded file with `shortlist leaderboard import FILE`")
    try:
        from huggingface_hub import HfApi, snapshot_download
    except ImportError:
        raise MissingExtra("huggingface_hub", "hub") from None
    try:
        info = HfApi().dataset_info(REPO_ID, timeout=20)
        folder = snapshot_download(REPO_ID, repo_type="dataset", allow_patterns=["*.parquet"],
                                   cache_dir=str(paths.cache_dir() / "hf"))
    except Exception as exc:  # huggingface_hub surfaces requests/httpx/its own errors; all mean "unreachable"
        raise Offline(
            f"cannot reach the Hugging Face Hub ({type(exc).__name__})",
            "check the network, or import a downloaded file with `shortlist leaderboard import FILE`",
        ) from None
    files = sorted(Path(folder).rglob("*.parquet"))
    if not files:
        raise BadInput(f"{REPO_ID} holds no parquet file any more", "import a downloaded CSV instead")
    when = info.last_modified.date().isoformat() if info.last_modified else None
    return files[0], when or ""


def sync_open_llm_leaderboard(store: Store, progress: Progress | None = None) -> ImportReport:
    path, when = download_contents()
    return import_file(store, path, "v2", options=Options(date=when or None), progress=progress)
