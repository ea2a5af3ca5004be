"""Pairwise preference: private blind arenas on your own prompts, and Bradley-Terry ratings with honest intervals.

The rating code (ratings.py) is shared by the built-in LMArena evidence (scripts/build_arena_ratings.py)
and the user's own arenas, so both read the same way: Elo-scale ratings, 95% CIs, CI-aware ranks.

The arena API (every function takes the Store first; results are pydantic models with schema_version,
shared by the CLI's --json, the web app and the report):

    arenas     create_arena, list_arenas, get_arena, add_contestant, remove_contestant, add_voter,
               list_voters, voter_for_token
    prompts    add_prompts (JSONL/CSV/YAML), add_prompt (one typed prompt)
    generate   generate (pre-generate answers, resumable), add_answer (bring your own)
    battles    next_battle, start_battle, get_battle, continue_battle, regenerate, skip_battle
    stream     stream_pair (both answers generated live, as events)
    votes      record_vote (one transaction, idempotent)
    board      leaderboard, compare_judge (human and judge boards side by side)
    judge      judge_battles
    interop    import_votes, export_votes, export_battles

A Store (one SQLite connection) belongs to the thread that opened it: give each thread or request its
own; stream_pair opens its own connections, so it may be advanced from any thread.
"""

from shortlist.arena.arenas import (
    add_contestant,
    add_voter,
    create_arena,
    get_arena,
    list_arenas,
    list_voters,
    remove_contestant,
    voter_for_token,
)
from shortlist.arena.battles import (
    continue_battle,
    get_battle,
    next_battle,
    regenerate,
    skip_battle,
    start_battle,
)
from shortlist.arena.board import compare_judge, leaderboard
from shortlist.arena.generate import add_answer, generate
from shortlist.arena.interop import export_battles, export_votes, import_votes
from shortlist.arena.judge import judge_battles
from shortlist.arena.prompts import add_prompt, add_prompts
from shortlist.arena.ratings import (
    OUTCOMES,
    CountTable,
    Ratings,
    count_table,
    count_table_from_codes,
    fit_bradley_terry,
    rate,
)
from shortlist.arena.schemas import SCHEMA_VERSION, Sampling
from shortlist.arena.stream import stream_pair
from shortlist.arena.votes import record_vote

__all__ = [
    "OUTCOMES", "SCHEMA_VERSION", "CountTable", "Ratings", "Sampling", "add_answer", "add_contestant", "add_prompt",
    "add_prompts", "add_voter", "compare_judge", "continue_battle", "count_table", "count_table_from_codes",
    "create_arena", "export_battles", "export_votes", "fit_bradley_terry", "generate", "get_arena", "get_battle",
    "import_votes", "judge_battles", "leaderboard", "list_arenas", "list_voters", "next_battle", "rate",
    "record_vote", "regenerate", "remove_contestant", "skip_battle", "start_battle", "stream_pair", "voter_for_token",
]
