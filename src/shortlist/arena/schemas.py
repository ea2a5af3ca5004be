"""The arena's result models: one shape for the CLI's --json, the web app and the report.

Every top-level result carries `schema_version`; a change that renames or removes a field bumps it, a new
optional field does not. Text fields hold raw model output and user input exactly as stored: whoever
renders them escapes them (the web layer), nothing here does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Outcome = Literal["a", "b", "tie", "both_bad"]
Side = Literal["a", "b"]
AnswerStatus = Literal["pending", "running", "ok", "stopped", "failed"]
BattleStatus = Literal["open", "voted", "skipped", "judge"]
ContestantKind = Literal["openai", "hf", "llamacpp", "imported"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Result(_Model):
    """A top-level result: versioned."""

    schema_version: int = SCHEMA_VERSION


class Sampling(_Model):
    """How a contestant samples; stored with every answer so an answer always says how it was made."""

    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(1024, ge=1, le=131072)
    system_prompt: str | None = None
    seed: int | None = None
    timeout_s: float = Field(300.0, gt=0.0)


class Contestant(Result):
    id: int
    arena: str
    name: str
    spec: str  # openai:NAME@URL, hf:PATH, llamacpp:PATH, a .gguf path, or imported:NAME
    kind: ContestantKind
    sampling: Sampling
    api_key_env: str | None = None  # the environment variable holding the API key; the key is never stored
    concurrency: int = 1  # answers generated at once for this contestant
    active: bool = True  # False once removed: no new battles, votes kept
    added_at: str
    removed_at: str | None = None
    answers_ready: int = 0  # finished pre-generated answers
    votes: int = 0


class ArenaInfo(Result):
    id: int
    name: str
    description: str = ""
    created_at: str
    contestants: list[Contestant]
    prompts: int
    tags: dict[str, int]  # tag -> prompts carrying it
    answers_ready: int
    battles: int
    unfinished_battles: int
    votes: int  # human votes, counted or not
    judge_votes: int
    voters: int


class ArenaSummary(_Model):
    name: str
    description: str = ""
    created_at: str
    contestants: int  # active
    prompts: int
    votes: int


class ArenaList(Result):
    arenas: list[ArenaSummary]


class Voter(Result):
    id: int
    arena: str
    name: str
    cap: int | None = None  # most votes this voter may cast; None = no cap
    votes: int = 0
    created_at: str
    token: str | None = None  # only in the answer to add_voter: the secret is stored hashed, never shown again


class PromptsAdded(Result):
    arena: str
    source: str
    read: int
    added: int
    duplicates: int  # prompts already in the arena (the same conversation): left as they were
    total: int
    tags: dict[str, int]


class AnswerView(_Model):
    """One side's answer for one turn. `text` is raw model output: escape it when rendering."""

    id: int
    status: AnswerStatus
    text: str = ""
    finish_reason: str | None = None
    error: str | None = None
    ttft_s: float | None = None  # seconds to the first token
    tokens_per_s: float | None = None  # decode speed after the first token
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    flagged: bool = False  # names a model or vendor (identity-leak guard)
    flagged_words: list[str] = Field(default_factory=list)


class Turn(_Model):
    index: int
    user: str  # the user's message of this turn (turn 0: the prompt's last user message)
    a: AnswerView
    b: AnswerView


class Reveal(_Model):
    model_a: str
    model_b: str


class BattleView(Result):
    """What the voting page shows. Names are absent (`revealed` None) until the battle has its vote."""

    id: int
    arena: str
    prompt_id: int
    tags: list[str]
    context: list[dict[str, str]]  # messages before turn 0's user message (multi-turn prompt sets); raw text
    turns: list[Turn]
    status: BattleStatus
    unfinished: bool  # an answer failed: never votable, never counted
    votable: bool  # both latest answers have started and nothing failed, and no vote yet
    needs_generation: bool  # the latest turn has answers not generated yet: call stream_pair
    outcome: Outcome | None = None
    revealed: Reveal | None = None
    voter: str | None = None
    created_at: str


class StreamEvent(Result):
    """One event of stream_pair: start / delta / done / error per side, then one `end` for the battle."""

    battle_id: int
    kind: Literal["start", "delta", "done", "error", "end"]
    side: Side | None = None
    text: str = ""  # delta: the new text; error: the message
    answer: AnswerView | None = None  # done / error: the stored answer
    votable: bool = False  # whether a vote would be accepted now
    unfinished: bool = False


class VoteAck(Result):
    """Sent only after the vote's transaction committed. `duplicate`: the idempotency key was already recorded,
    and this is that earlier vote (nothing was counted twice)."""

    vote_id: int
    battle_id: int
    outcome: Outcome
    model_a: str
    model_b: str
    voter: str | None
    duplicate: bool
    counted: bool  # False when the battle is unfinished (a backend failed mid-answer)
    recorded_at: str


class ContestantRun(_Model):
    contestant: str
    generated: int
    failed: int
    flagged: int
    mean_ttft_s: float | None = None
    mean_tokens_per_s: float | None = None


class GenerateReport(Result):
    arena: str
    planned: int  # answers missing when the run started
    generated: int
    failed: int
    already_done: int
    flagged: int
    wall_s: float
    contestants: list[ContestantRun]
    errors: list[str]  # the first few failures, one line each


class LeaderboardRow(_Model):
    rank: int  # position by rating
    rank_ub: int  # 1 + models whose lower bound is above this one's upper bound
    tier: int  # tiers anchored at each tier's leader
    model: str
    rating: float
    ci_low: float
    ci_high: float
    stderr: float  # sandwich (or model-based for Davidson) standard error, rating points
    votes: int
    wins: int
    losses: int
    ties: int  # ties and both-bad
    win_rate: float  # (wins + ties / 2) / votes
    provisional: bool  # fewer votes than the board's provisional threshold
    active: bool = True  # False: the contestant was removed (its votes still count)
    rank_ub_unstyled: int | None = None  # with style control: Rank (UB) without it


class Separation(_Model):
    """Neighbours on the board: is the gap real, and if not, about how many more votes would show it."""

    a: str
    b: str
    gap: float
    se_diff: float
    separated: bool  # the 95% interval of the difference excludes 0
    more_votes: int | None  # ≈ further votes in this arena (sampled as so far) to separate them; None if separated
    # or if the gap is too small to ever separate at a practical size


class PositionBias(_Model):
    left_wins: int
    right_wins: int
    left_share: float | None  # share of decisive votes won by the answer shown on the left (side A)
    ci_low: float | None
    ci_high: float | None


class Agreement(_Model):
    """Judge against human votes on the same battles (both-bad counted as a tie)."""

    judge: str
    battles: int
    agree: int
    rate: float | None
    decisive_battles: int  # battles the human decided (a or b)
    decisive_agree: int
    judge_consistency: float | None  # share of battles where the judge's two orders agreed


class StyleInfo(_Model):
    features: list[str]
    coefficients: dict[str, float]  # logit per standard deviation of the feature difference
    reg: float
    battles: int  # votes with features, which the style-controlled fit uses


class Leaderboard(Result):
    arena: str
    method: str
    ties: Literal["half", "davidson"]
    voters: Literal["human", "judge"]
    judge: str | None = None
    tag: str | None = None
    tags: list[str]  # tags present among the counted votes, for per-tag boards
    anchor: str
    level: float
    resamples: int
    seed: int
    provisional_below: int
    votes: int  # votes counted on this board
    excluded: dict[str, int]  # votes left out and why (flagged, unfinished, other tag, self)
    rows: list[LeaderboardRow]
    models: list[str]  # order of the matrices (= rows)
    win_rate: list[list[float | None]]  # [i][j]: i's score against j, ties half; None where they never met
    battles: list[list[int]]  # [i][j]: votes between i and j
    tie_rate: float
    both_bad_rate: float
    position: PositionBias
    separations: list[Separation]
    davidson_tie: float | None = None  # Davidson's nu, when ties="davidson"
    style: StyleInfo | None = None
    agreement: Agreement | None = None
    notes: list[str] = Field(default_factory=list)


class JudgeComparison(Result):
    """Human and judge boards side by side (same options), with their agreement on shared battles."""

    arena: str
    human: Leaderboard
    judge: Leaderboard
    agreement: Agreement | None = None


class ImportReport(Result):
    arena: str
    file: str
    rows: int
    imported: int
    duplicates: int  # rows whose id was already imported
    self_votes: int  # a model against itself: skipped
    not_blind: int = 0  # rows with anony = false (names shown before the vote): skipped
    contestants_created: list[str]


class ExportReport(Result):
    arena: str
    file: str
    format: Literal["csv", "jsonl"]
    rows: int


class JudgeReport(Result):
    arena: str
    judge: str
    battles: int  # judged in this run
    already_judged: int
    failed: int
    votes: dict[str, int]  # outcome -> count
    consistency: float | None  # share of battles whose two orders agreed
    wall_s: float
    errors: list[str]
    agreement: Agreement | None = None
