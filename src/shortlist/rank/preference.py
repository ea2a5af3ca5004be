"""Your own blind-arena ratings in `pick`: preference evidence, marked as yours.

An arena's Bradley–Terry ratings are relative to its own field (the mean contestant sits at 1000), so they
say which of *these* models your voters preferred, not how any of them compares with a model outside the
arena. pick therefore shows them beside the benchmark evidence, names where the two disagree, and mixes
them into the task score only when asked (`--arena-weight`). Mixed in, a rating becomes the win
probability against the arena's average contestant, with its sandwich standard error, like any other
Elo-scale evidence (rank.evidence). Models outside the arena simply lack that evidence: it is never
predicted for them, since nothing else measures your voters' taste.

Contestants are matched to catalog models by their name, then by the model named in their spec
(`openai:NAME@URL`, `hf:ID`, a GGUF file's stem); `--arena-map CONTESTANT=MODEL` settles the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shortlist import paths
from shortlist.errors import BadInput, NotFound, ShortlistError
from shortlist.rank.result import ArenaUse, Entry, Preference

PREFIX = "own-arena:"
_QUANT_SUFFIX = re.compile(r"[.-](?:i?q\d\w*|f16|f32|bf16|fp16|gguf|awq|gptq(?:-int\d)?|int[48]|fp8)$",
                           re.IGNORECASE)


@dataclass(frozen=True)
class ArenaBenchmark:
    """The arena as a benchmark on the Elo scale (what rank.evidence needs to normalise a rating)."""

    id: str
    reference_rating: float
    name: str = ""
    n_items: int | None = None
    random_baseline: float = 0.0
    scale: str = "elo"
    setup_noise: float | None = None


@dataclass
class ArenaEvidence:
    """One arena's board, matched to candidate models."""

    arena: str
    board: Any  # arena.schemas.Leaderboard
    model_of: dict[str, str]  # contestant -> candidate id
    unmatched: list[str]
    duplicates: list[str] = field(default_factory=list)
    weight: float = 0.0

    @property
    def benchmark(self) -> ArenaBenchmark:
        return ArenaBenchmark(id=PREFIX + self.arena, reference_rating=self.reference, name=f"your arena {self.arena}")

    @property
    def reference(self) -> float:
        rows = self.board.rows
        return sum(r.rating for r in rows) / len(rows) if rows else 1000.0

    def rows_by_model(self) -> dict[str, Any]:
        by_name = {r.model: r for r in self.board.rows}
        return {m: by_name[c] for c, m in self.model_of.items() if c in by_name}

    def score_rows(self) -> dict[str, tuple]:
        """Per candidate, the rating as a stored score tuple (catalog.scores.ScoreRow)."""
        bench = self.benchmark.id
        source = f"your arena '{self.arena}' ({self.board.votes} votes, {self.board.method})"
        return {m: (m, bench, r.rating, r.stderr, r.votes, source, "", "own", None, "blind pairwise votes", False)
                for m, r in self.rows_by_model().items()}


class OverlayTable:
    """A score table with the arena's ratings added (pick's ranking reads these; the factor model never does)."""

    def __init__(self, table: Any, rows: Mapping[str, tuple]) -> None:
        self.table, self.rows = table, rows

    def raw(self, model: str) -> dict[str, tuple]:
        base = self.table.raw(model)
        extra = self.rows.get(model)
        return {**base, extra[1]: extra} if extra else base

    def for_model(self, model: str) -> dict[str, Any]:
        from shortlist.catalog.scores import Score

        return {b: Score(*row) for b, row in self.raw(model).items()}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def share_to_weight(share: float, weights: Mapping[str, float]) -> float:
    """--arena-weight is the arena's share of the task score: the relative weight that gives it that share."""
    if not 0.0 <= share < 1.0:
        raise BadInput(f"--arena-weight must be a share from 0 to below 1, got {share}",
                       "e.g. 0.3 makes your voters 30% of the task score; 0 shows the ratings beside it")
    total = sum(w for w in weights.values() if w > 0)
    return share / (1.0 - share) * total


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """`CONTESTANT=MODEL` strings as a mapping; a malformed pair is one line."""
    out: dict[str, str] = {}
    for pair in pairs:
        contestant, sep, model = pair.partition("=")
        if not sep or not contestant.strip() or not model.strip():
            raise BadInput(f"--arena-map '{pair}' is not CONTESTANT=MODEL", "e.g. --arena-map finetune=Qwen/Qwen3-8B")
        out[contestant.strip()] = model.strip()
    return out


def spec_names(spec: str) -> list[str]:
    """The model names a contestant spec carries, most specific first (quantization suffixes cut last)."""
    kind, sep, rest = spec.partition(":")
    if not sep or len(kind) == 1:  # a bare path (maybe a Windows drive letter)
        kind, rest = "file", spec
    if kind == "openai":
        return [rest.rsplit("@", 1)[0]]
    rest = rest.rstrip("/")
    names = [rest] if kind in ("hf", "imported") else []
    names.append(Path(rest).name)
    return _dedupe(n for name in names for n in without_quant(name))


def without_quant(name: str) -> list[str]:
    """A file or repo name, then the same with its quantization and format suffixes cut (".Q4_K_M", "-GGUF")."""
    out = [name]
    while (cut := _QUANT_SUFFIX.sub("", out[-1])) != out[-1] and cut:
        out.append(cut)
    return out


def _dedupe(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


def _matcher(candidate_ids: Iterable[str]) -> Any:
    from shortlist.catalog.hosted import find_hosted
    from shortlist.catalog.models import get_model
    from shortlist.names import normalize

    known = {normalize(c): c for c in candidate_ids}

    def match(name: str) -> str | None:
        if not name:
            return None
        hit = known.get(normalize(name))
        if hit is not None:
            return hit
        hosted = find_hosted(name)
        if hosted is not None and hosted.id in known.values():
            return hosted.id
        try:
            key = get_model(name).id
        except ShortlistError:
            return None
        return key if normalize(key) in known else None

    return match


def load_arena(db: str | Path | None, arena: str, candidate_ids: Iterable[str], mapping: Mapping[str, str],
               weight: float = 0.0) -> ArenaEvidence:
    """The arena's human-vote board with each contestant matched to a candidate (see module docstring)."""
    share_to_weight(weight, {})
    path = paths.db_path(db)
    if not path.is_file():
        raise BadInput(f"no database at {path}, so no arena '{arena}'",
                       "create one with `shortlist arena create`, or pass --db")
    from shortlist import arena as ar
    from shortlist.store import Store

    store = Store(path)
    try:
        info = ar.get_arena(store, arena)
        board = ar.leaderboard(store, arena)
    finally:
        store.close()
    names = [c.name for c in info.contestants]
    unknown = sorted(set(mapping) - set(names))
    if unknown:
        raise NotFound(f"--arena-map names no contestant of arena '{arena}': {', '.join(unknown)}",
                       f"its contestants: {', '.join(names)}")
    ids = list(candidate_ids)
    match = _matcher(ids)
    model_of: dict[str, str] = {}
    unmatched: list[str] = []
    for c in info.contestants:
        if c.name in mapping:
            target = match(mapping[c.name])
            if target is None:
                raise NotFound(f"--arena-map {c.name}={mapping[c.name]}: no such model among pick's candidates",
                               "use a catalog id, an API model id or an imported leaderboard name")
        else:
            names = _dedupe([*without_quant(c.name), *spec_names(c.spec)])
            target = next((t for n in names if (t := match(n))), None)
        if target is None:
            unmatched.append(c.name)
        else:
            model_of[c.name] = target
    duplicates = _drop_duplicates(model_of, {r.model: r.votes for r in board.rows})
    return ArenaEvidence(arena=arena, board=board, model_of=model_of, unmatched=unmatched, duplicates=duplicates,
                         weight=weight)


def _drop_duplicates(model_of: dict[str, str], votes: Mapping[str, int]) -> list[str]:
    """Two contestants of one model (a base and its quantization): the one with more votes speaks for it."""
    by_model: dict[str, list[str]] = {}
    for contestant, model in model_of.items():
        by_model.setdefault(model, []).append(contestant)
    notes = []
    for model, contestants in by_model.items():
        if len(contestants) < 2:
            continue
        keep = max(contestants, key=lambda c: (votes.get(c, 0), c))
        for c in contestants:
            if c != keep:
                del model_of[c]
        others = ", ".join(sorted(c for c in contestants if c != keep))
        notes.append(f"{others} also match {model}; using {keep} (most votes); --arena-map to choose")
    return notes


def annotate(entries: Sequence[Entry], ev: ArenaEvidence, others: Sequence[Entry] = ()) -> ArenaUse:
    """Attach each contestant's rating to its entry; say where voters and benchmarks disagree.

    `others`: entries of matched contestants that are not on the shortlist (ranked on their own, so their
    rank and tier are not the shortlist's); they are compared by task score, like the shortlisted ones.
    """
    rows = ev.rows_by_model()
    contestant_of = {m: c for c, m in ev.model_of.items()}
    total = len(ev.board.rows)
    for e in [*entries, *others]:
        r = rows.get(e.model)
        if r is not None:
            e.preference = Preference(
                arena=ev.arena, contestant=contestant_of[e.model], rating=r.rating, ci_low=r.ci_low,
                ci_high=r.ci_high, stderr=r.stderr, votes=r.votes, rank=r.rank, rank_ub=r.rank_ub, of=total,
                provisional=r.provisional, in_score=ev.weight > 0)
    shown = {e.model for e in entries}
    scored = {e.model for e in others}
    return ArenaUse(
        arena=ev.arena, votes=ev.board.votes, method=ev.board.method, weight=ev.weight,
        matched=dict(ev.model_of), unmatched=list(ev.unmatched),
        not_shortlisted=sorted(c for c, m in ev.model_of.items() if m not in shown),
        others=[e for e in others if e.model not in shown],
        unscored=sorted(c for c, m in ev.model_of.items() if m not in shown and m not in scored),
        disagreements=disagreements([*entries, *(e for e in others if e.model not in shown)]),
        notes=[*ev.duplicates, *ev.board.notes],
    )


def disagreements(entries: Sequence[Entry], z: float = 1.96) -> list[str]:
    """Pairs your voters separate (95%) that the benchmarks cannot separate, or order the other way."""
    rated = [e for e in entries if e.preference is not None]
    out = []
    for i, a in enumerate(rated):
        for b in rated[i + 1:]:
            pa, pb = a.preference, b.preference
            assert pa is not None and pb is not None
            gap = pa.rating - pb.rating
            se = (pa.stderr ** 2 + pb.stderr ** 2) ** 0.5
            if se <= 0 or abs(gap) <= z * se:
                continue
            liked, other = (a, b) if gap > 0 else (b, a)
            bench_gap = liked.task_score - other.task_score
            bench_se = (liked.task_score_stderr ** 2 + other.task_score_stderr ** 2) ** 0.5
            votes = f"your voters prefer {liked.model} over {other.model} by {abs(gap):.0f} points (95% separated)"
            if bench_se > 0 and bench_gap < -z * bench_se:
                out.append(f"{votes}, but the task score ranks {other.model} higher "
                           f"({other.task_score * 100:.1f} vs {liked.task_score * 100:.1f}, separated)")
            elif bench_se > 0 and abs(bench_gap) <= z * bench_se:
                out.append(f"{votes}; the task scores cannot separate them "
                           f"({liked.task_score * 100:.1f} vs {other.task_score * 100:.1f})")
    return out
