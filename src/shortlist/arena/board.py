"""The leaderboard: Bradley-Terry ratings of an arena's counted votes, with everything needed to read them.

What counts: human votes (or, with `judge`, the LLM judge's), minus votes on unfinished battles (always),
minus battles whose answers named a model (with exclude_flagged), restricted to one prompt tag (with tag).
Then, on the Elo scale: ratings with 95% intervals from the seeded bootstrap (or the sandwich when
resamples=0), the sandwich standard error, Rank (UB) and tiers, win-rate and battle-count matrices, tie
and both-bad rates, the left side's share of decisive wins, and for each pair of neighbours whether they
are separated and about how many more votes would separate them. The anchor (a model at a rating) shifts
the estimates and the interval bounds by one constant, once.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shortlist.arena.agreement import agreement, judges
from shortlist.arena.common import arena_row
from shortlist.arena.davidson import davidson_bootstrap, fit_davidson
from shortlist.arena.migrations import ready
from shortlist.arena.ratings import (
    CENTRE,
    ELO_PER_LOGIT,
    CountTable,
    bootstrap_thetas,
    count_table_from_codes,
    fit_bradley_terry,
    is_connected,
    prior_wins,
    sandwich_cov,
)
from shortlist.arena.schemas import JudgeComparison, Leaderboard, LeaderboardRow, PositionBias, Separation, StyleInfo
from shortlist.arena.style import FEATURES, REG, battle_styles, feature_matrix, fit_style
from shortlist.errors import BadInput
from shortlist.stats import z_for_level
from shortlist.store import Store

PROVISIONAL_BELOW = 100  # votes per model (arena-notes 4.3: ±70 Elo or wider below this)
PRIOR = 0.5  # virtual wins each way per pair when the MLE does not exist (one tied vote)
_CODE = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}


@dataclass
class _Votes:
    """Counted votes, aggregated: one entry per (a, b, outcome, battle) group."""

    a: list[int]
    b: list[int]
    k: list[int]
    n: list[int]
    battle: list[int | None]
    style: list[dict | None]  # imported conv_metadata as {"a": counts, "b": counts}
    excluded: dict[str, int]
    tags: set[str]


def _load(store: Store, arena_id: int, judge: bool | str, tag: str | None, exclude_flagged: bool,
          per_vote: bool) -> _Votes:
    who = "v.judge IS NULL" if not judge else ("v.judge IS NOT NULL" if judge is True else "v.judge = ?")
    params: list = [arena_id] + ([judge] if isinstance(judge, str) else [])
    flag = ("(v.flagged = 1 OR EXISTS (SELECT 1 FROM arena_turns t JOIN arena_answers x ON x.id IN (t.answer_a, "
            "t.answer_b) WHERE t.battle_id = v.battle_id AND x.flagged = 1))")
    cols = (f"v.contestant_a, v.contestant_b, v.outcome, {flag}, COALESCE(v.tags_json, '[]'), "
            "COALESCE(b.unfinished, 0)")
    extra = ", v.battle_id, v.style_json, 1" if per_vote else ", NULL, NULL, COUNT(*)"
    group = "" if per_vote else " GROUP BY 1, 2, 3, 4, 5, 6"
    sql = (f"SELECT {cols}{extra} FROM arena_votes v LEFT JOIN arena_battles b ON b.id = v.battle_id "
           f"WHERE v.arena_id = ? AND {who}{group}")
    out = _Votes([], [], [], [], [], [], {"unfinished": 0, "flagged": 0, "other_tag": 0, "self": 0}, set())
    tag_cache: dict[str, list[str]] = {}
    for ca, cb, outcome, flagged, tags_json, unfinished, battle, style, n in store.conn.execute(sql, params):
        if unfinished:
            out.excluded["unfinished"] += n
            continue
        tags = tag_cache.get(tags_json)
        if tags is None:
            tags = tag_cache[tags_json] = json.loads(tags_json)
        out.tags.update(tags)
        if tag is not None and tag not in tags:
            out.excluded["other_tag"] += n
            continue
        if exclude_flagged and flagged:
            out.excluded["flagged"] += n
            continue
        if ca == cb:
            out.excluded["self"] += n
            continue
        out.a.append(ca)
        out.b.append(cb)
        out.k.append(_CODE[outcome])
        out.n.append(n)
        out.battle.append(battle)
        out.style.append(json.loads(style) if style else None)
    return out


def leaderboard(store: Store, arena: str, *, tag: str | None = None, exclude_flagged: bool = False,
                judge: bool | str = False, anchor: tuple[str, float] | None = None, ties: str = "half",
                style_control: bool = False, resamples: int = 1000, seed: int = 42, level: float = 0.95,
                provisional_below: int = PROVISIONAL_BELOW) -> Leaderboard:
    """The arena's board. `judge`: False = human votes, True = all LLM-judge votes, a name = that judge's.
    `anchor`: (model, rating) pins a model, default the field mean at 1000. `ties`: "half" (LMArena's
    convention) or "davidson". `style_control`: length and markdown as covariates (ties half).

    With fewer than two models with votes the board has no rows and says so in `notes`.
    """
    ready(store)
    if ties not in ("half", "davidson"):
        raise BadInput(f"unknown ties option '{ties}'", "use half or davidson")
    if style_control and ties == "davidson":
        raise BadInput("style control uses ties as half a win", "drop --ties davidson or --style-control")
    if resamples < 0 or resamples > 100_000:
        raise BadInput(f"resamples must be 0..100000, got {resamples}")
    if not 0.5 <= level < 1.0:
        raise BadInput(f"level must be in [0.5, 1), got {level}")
    a_row = arena_row(store, arena)
    votes = _load(store, a_row["id"], judge, tag, exclude_flagged, per_vote=style_control)
    names = {r["id"]: (r["name"], bool(r["active"])) for r in
             store.conn.execute("SELECT id, name, active FROM arena_contestants WHERE arena_id = ?", (a_row["id"],))}
    # models in name order, not id order: the same votes in another arena (an export re-imported) then give
    # the same table, the same bootstrap draws and so identical intervals
    ids = sorted(set(votes.a) | set(votes.b), key=lambda c: names[c][0])
    index = {c: i for i, c in enumerate(ids)}
    models = [names[c][0] for c in ids]
    judge_name = judge if isinstance(judge, str) else None
    all_judges = judges(store.conn, a_row["id"])
    if judge is True and all_judges:
        judge_name = all_judges[0] if len(all_judges) == 1 else None
    agree = None
    if all_judges:
        agree = agreement(store.conn, a_row["id"], judge_name or all_judges[0])
        if agree.battles == 0:
            agree = None
    board = Leaderboard(
        arena=arena, method="bradley-terry" + (" + style control" if style_control else "") +
        (" (davidson ties)" if ties == "davidson" else ""), ties=ties,  # type: ignore[arg-type]
        voters="judge" if judge else "human", judge=judge_name, tag=tag, tags=sorted(votes.tags),
        anchor=f"mean {CENTRE:g}", level=level, resamples=resamples, seed=seed, provisional_below=provisional_below,
        votes=int(sum(votes.n)), excluded={k: v for k, v in votes.excluded.items() if v}, rows=[], models=[],
        win_rate=[], battles=[], tie_rate=0.0, both_bad_rate=0.0,
        position=PositionBias(left_wins=0, right_wins=0, left_share=None, ci_low=None, ci_high=None),
        separations=[], agreement=agree,
    )
    unvoted = [n for c, (n, active) in names.items() if active and c not in index]
    if unvoted:
        board.notes.append(f"no counted votes yet: {', '.join(sorted(unvoted))}")
    if len(ids) < 2:
        board.notes.insert(0, "fewer than two models have counted votes: no ratings yet")
        return board
    table = count_table_from_codes([index[c] for c in votes.a], [index[c] for c in votes.b], votes.k, models,
                                   weights=votes.n)
    fit = _fit(store, a_row["id"], table, votes, index, ties, style_control, resamples, seed, board)
    _fill(board, table, fit, [names[c][1] for c in ids], anchor, level, provisional_below)
    return board


def compare_judge(store: Store, arena: str, judge: bool | str = True, **options: object) -> JudgeComparison:
    """The human board and the judge board with the same options, and their agreement."""
    human = leaderboard(store, arena, **options)  # type: ignore[arg-type]
    judged = leaderboard(store, arena, judge=judge, **options)  # type: ignore[arg-type]
    if not judged.rows and not judged.votes:
        raise BadInput(f"arena '{arena}' has no judge votes", f"run one: shortlist arena judge {arena} SPEC")
    return JudgeComparison(arena=arena, human=human, judge=judged, agreement=judged.agreement)


@dataclass
class _Fit:
    theta: np.ndarray
    cov: np.ndarray
    boot: np.ndarray | None
    unstyled: _Fit | None = None


def _fit(store: Store, arena_id: int, table: CountTable, votes: _Votes, index: dict[int, int], ties: str,
         style_control: bool, resamples: int, seed: int, board: Leaderboard) -> _Fit:
    p = len(table.models)
    wins = table.wins(0.5)
    prior = 0.0 if is_connected(wins) else PRIOR
    if prior:
        board.notes.append("a model never lost or never won (or groups never met): ratings use one virtual tie "
                           "per pair to stay finite, which pulls them slightly together")
    if ties == "davidson":
        if prior:
            raise BadInput("Davidson ratings need every model to win and lose at least once", "use --ties half")
        theta, nu, cov = fit_davidson(table)
        board.davidson_tie = round(nu, 4)
        x_hat = np.concatenate([theta, [math.log(nu)]])
        boot = davidson_bootstrap(table, x_hat, resamples, seed) if resamples else None
        return _Fit(theta, cov, boot)
    theta = fit_bradley_terry(wins + prior_wins(p, prior))
    cov = sandwich_cov(table.counts, theta)
    boot = (bootstrap_thetas(table, resamples, seed, theta_hat=theta, prior=prior, prior_if_separated=PRIOR)
            if resamples else None)
    if prior and boot is not None:
        cov = np.cov(boot, rowvar=False)
    plain = _Fit(theta, cov, boot)
    if not style_control:
        return plain
    if prior:
        raise BadInput("style control needs ratings that exist without help", "collect more votes first")
    styles = battle_styles(store.conn, arena_id)
    rows_a, rows_b, y, sa, sb = [], [], [], [], []
    skipped = 0
    for ca, cb, k, n, battle, imported in zip(votes.a, votes.b, votes.k, votes.n, votes.battle, votes.style,
                                              strict=True):
        pair = styles.get(battle) if battle is not None else None
        if pair is None and imported:
            pair = (imported.get("a", {}), imported.get("b", {}))
        if pair is None or not pair[0] or not pair[1]:
            skipped += n
            continue
        for _ in range(n):
            rows_a.append(index[ca])
            rows_b.append(index[cb])
            y.append((1.0, 0.0, 0.5, 0.5)[k])
            sa.append(pair[0])
            sb.append(pair[1])
    if skipped:
        board.notes.append(f"style control leaves out {skipped} votes without answer texts or style metadata")
    feats = feature_matrix(sa, sb)
    sf = fit_style(np.array(rows_a, dtype=np.int64), np.array(rows_b, dtype=np.int64), np.array(y), feats, p,
                   resamples=resamples, seed=seed)
    board.style = StyleInfo(features=list(FEATURES), coefficients={f: round(float(c), 4) for f, c in
                                                                   zip(FEATURES, sf.beta, strict=True)},
                            reg=REG, battles=len(y))
    return _Fit(sf.theta, sf.cov, sf.boot, unstyled=plain)


def _intervals(fit: _Fit, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    points = CENTRE + ELO_PER_LOGIT * fit.theta
    se = ELO_PER_LOGIT * np.sqrt(np.clip(np.diag(fit.cov), 0.0, None))
    if fit.boot is not None:
        tail = (1.0 - level) / 2.0 * 100.0
        low, high = np.percentile(CENTRE + ELO_PER_LOGIT * fit.boot, [tail, 100.0 - tail], axis=0)
    else:
        z = z_for_level(level)
        low, high = points - z * se, points + z * se
    return points, low, high, se


def _rank_ub(low: np.ndarray, high: np.ndarray) -> list[int]:
    return [1 + int(np.sum(low > high[i])) for i in range(len(low))]


def _fill(board: Leaderboard, table: CountTable, fit: _Fit, active: Sequence[bool], anchor: tuple[str, float] | None,
          level: float, provisional_below: int) -> None:
    models = list(table.models)
    points, low, high, se = _intervals(fit, level)
    shift = 0.0
    if anchor is not None:
        name, value = anchor
        if name not in models:
            raise BadInput(f"anchor model '{name}' has no counted votes on this board", f"on it: {', '.join(models)}")
        shift = value - points[models.index(name)]
        board.anchor = f"{name} = {value:g}"
    points, low, high = points + shift, low + shift, high + shift
    order = [int(i) for i in np.argsort(-points, kind="stable")]
    rank_ub = _rank_ub(low, high)
    unstyled_rank = None
    if fit.unstyled is not None:
        _, ulow, uhigh, _ = _intervals(fit.unstyled, level)
        unstyled_rank = _rank_ub(ulow, uhigh)
    c = table.counts.astype(float)
    won = c[..., 0] + c[..., 1].T  # [i, j]: i beat j from either side
    tied = c[..., 2] + c[..., 3]
    tied = tied + tied.T
    met = won + won.T + tied
    tier_of = _tiers(order, low, high)
    for pos, i in enumerate(order):
        n = int(met[i].sum())
        wins, losses, ties = int(won[i].sum()), int(won[:, i].sum()), int(tied[i].sum())
        board.rows.append(LeaderboardRow(
            rank=pos + 1, rank_ub=rank_ub[i], tier=tier_of[i], model=models[i], rating=round(float(points[i]), 2),
            ci_low=round(float(low[i]), 2), ci_high=round(float(high[i]), 2), stderr=round(float(se[i]), 2),
            votes=n, wins=wins, losses=losses, ties=ties, win_rate=round((wins + ties / 2) / n, 4) if n else 0.0,
            provisional=n < provisional_below, active=active[i],
            rank_ub_unstyled=unstyled_rank[i] if unstyled_rank is not None else None))
    board.models = [models[i] for i in order]
    board.win_rate = [[round(float((won[i, j] + tied[i, j] / 2) / met[i, j]), 4) if met[i, j] else None
                       for j in order] for i in order]
    board.battles = [[int(met[i, j]) for j in order] for i in order]
    total = c.sum()
    board.tie_rate = round(float(c[..., 2:].sum() / total), 4) if total else 0.0
    board.both_bad_rate = round(float(c[..., 3].sum() / total), 4) if total else 0.0
    board.position = _position(int(c[..., 0].sum()), int(c[..., 1].sum()), level)
    board.separations = _separations(order, models, points, fit, int(total), level)


def _tiers(order: list[int], low: np.ndarray, high: np.ndarray) -> dict[int, int]:
    """Tiers anchored at each tier's leader (ComparIA's design): a model joins the current tier while its
    upper bound reaches the leader's lower bound; the first that does not starts the next tier. Chaining
    A~B, B~C into one tier would over-merge."""
    tier_of: dict[int, int] = {}
    tier, leader = 0, None
    for i in order:
        if leader is None or high[i] < low[leader]:
            tier, leader = tier + 1, i
        tier_of[i] = tier
    return tier_of


def _position(left: int, right: int, level: float) -> PositionBias:
    """Share of decisive votes won by the left answer, with a Wilson interval (0.5 = no position bias)."""
    n = left + right
    if n == 0:
        return PositionBias(left_wins=left, right_wins=right, left_share=None, ci_low=None, ci_high=None)
    z = z_for_level(level)
    share = left / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return PositionBias(left_wins=left, right_wins=right, left_share=round(share, 4),
                        ci_low=round(centre - half, 4), ci_high=round(centre + half, 4))


def _separations(order: list[int], models: list[str], points: np.ndarray, fit: _Fit, total: int,
                 level: float) -> list[Separation]:
    """For each pair of neighbours: separated when the interval of their difference excludes 0. Otherwise,
    since the standard error shrinks as 1/sqrt(votes), about N * ((z * se / gap)^2 - 1) more votes, sampled
    like the ones so far, would separate them (None when the gap is too small for any practical number)."""
    z = z_for_level(level)
    out = []
    for i, j in itertools.pairwise(order):
        gap = float(points[i] - points[j])
        if fit.boot is not None:
            se = float(np.std(fit.boot[:, i] - fit.boot[:, j], ddof=1)) * ELO_PER_LOGIT
        else:
            var = fit.cov[i, i] + fit.cov[j, j] - 2 * fit.cov[i, j]
            se = math.sqrt(max(float(var), 0.0)) * ELO_PER_LOGIT
        separated = gap > z * se
        more = None
        if not separated and gap > 1e-9 and total > 0:
            need = total * ((z * se / gap) ** 2 - 1.0)
            more = max(1, math.ceil(need)) if need <= 1000 * total else None
        out.append(Separation(a=models[i], b=models[j], gap=round(gap, 2), se_diff=round(se, 2), separated=separated,
                              more_votes=more))
    return out
