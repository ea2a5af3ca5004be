"""Style control: Bradley-Terry with answer length and markdown as covariates (LMArena's method).

Why: voters (and judges) prefer longer, more formatted answers; a board that does not separate style
from substance rewards verbosity. Following LMArena's "Does style matter?" (Aug 2024): per battle four
features, answer tokens, markdown headers, list items and bold spans, each as the normalised difference
(a - b) / (a + b + 1) over the whole conversation, z-scored over the battles; the logit of A beating B is
theta_a - theta_b + beta . f. Only the style coefficients carry an L2 penalty, and a small one (0.5 on the
summed log-likelihood, FastChat's value): on a mean loss LMArena's default reg=1 shrinks the length effect
~15x (arena-notes 1.3). Ties are half a win, as in the plain board. Intervals come from a bootstrap over
battles (the features differ per battle, so the count-table shortcut does not apply).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

import numpy as np

from shortlist.errors import BadInput

FEATURES = ("tokens", "headers", "lists", "bold")
REG = 0.5
_RIDGE = 1e-9
_HEADER = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


def style_counts(text: str, tokens: int | None = None) -> dict[str, int]:
    """Markdown counts of one answer (code blocks excluded); `tokens` when the backend counted them,
    else an estimate of 4 characters per token."""
    prose = _FENCE.sub("", text)
    return {
        "tokens": int(tokens) if tokens is not None else max(len(text) // 4, 1 if text else 0),
        "headers": len(_HEADER.findall(prose)),
        "lists": len(_LIST.findall(prose)),
        "bold": len(_BOLD.findall(prose)),
    }


def add_counts(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {k: total.get(k, 0) + more.get(k, 0) for k in FEATURES}


def battle_styles(conn: sqlite3.Connection, arena_id: int) -> dict[int, tuple[dict, dict]]:
    """Per battle, each side's style counts summed over the turns of the conversation (the vote covers it all)."""
    sums: dict[int, tuple[dict, dict]] = {}
    rows = conn.execute(
        "SELECT t.battle_id, xa.style_json, xb.style_json FROM arena_turns t "
        "JOIN arena_battles b ON b.id = t.battle_id JOIN arena_answers xa ON xa.id = t.answer_a "
        "JOIN arena_answers xb ON xb.id = t.answer_b WHERE b.arena_id = ?",
        (arena_id,))
    for battle, sa, sb in rows:
        prev = sums.get(battle, ({}, {}))
        sums[battle] = (add_counts(prev[0], json.loads(sa) if sa else {}),
                        add_counts(prev[1], json.loads(sb) if sb else {}))
    return sums


def feature_matrix(style_a: list[dict[str, int]], style_b: list[dict[str, int]]) -> np.ndarray:
    """(n, 4) normalised differences, z-scored per column (a constant column stays 0)."""
    a = np.array([[s.get(k, 0) for k in FEATURES] for s in style_a], dtype=float)
    b = np.array([[s.get(k, 0) for k in FEATURES] for s in style_b], dtype=float)
    f = (a - b) / (a + b + 1.0)
    sd = f.std(axis=0)
    return np.where(sd > 0, (f - f.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)


@dataclass
class StyleFit:
    theta: np.ndarray  # (p,) log-strengths, mean 0
    beta: np.ndarray  # (k,) style coefficients, logit per SD of the feature
    stderr: np.ndarray  # (p,) sandwich standard errors of theta
    cov: np.ndarray  # (p, p) sandwich covariance of theta
    boot: np.ndarray | None  # (resamples, p)


def _design(a: np.ndarray, b: np.ndarray, feats: np.ndarray, p: int) -> np.ndarray:
    n = len(a)
    x = np.zeros((n, p + feats.shape[1]))
    x[np.arange(n), a] = 1.0
    x[np.arange(n), b] -= 1.0
    x[:, p:] = feats
    return x


def _penalty(p: int, k: int, reg: float) -> np.ndarray:
    """ones/p completes the mean-zero constraint on theta (no effect on a step within it); a vanishing ridge
    keeps a resample that drew no vote for some model solvable; `reg` is the style coefficients' L2."""
    pen = np.zeros((p + k, p + k))
    pen[:p, :p] = 1.0 / p
    pen[np.diag_indices(p + k)] += _reg_vector(p, k, reg)
    return pen


def _reg_vector(p: int, k: int, reg: float) -> np.ndarray:
    return np.concatenate([np.full(p, _RIDGE), np.full(k, reg)])


def _newton(x: np.ndarray, y: np.ndarray, w: np.ndarray, p: int, pen: np.ndarray, reg_vec: np.ndarray,
            params: np.ndarray, tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    for _ in range(max_iter):
        prob = 1.0 / (1.0 + np.exp(-(x @ params)))
        grad = x.T @ (w * (y - prob)) - reg_vec * params
        hess = (x * (w * prob * (1.0 - prob))[:, None]).T @ x + pen
        step = np.linalg.solve(hess, grad)
        biggest = np.abs(step).max()
        if biggest > 4.0:
            step *= 4.0 / biggest
        params = params + step
        params[:p] -= params[:p].mean()
        if biggest < tol:
            break
    return params


def fit_style(a: np.ndarray, b: np.ndarray, y: np.ndarray, feats: np.ndarray, p: int, resamples: int = 0,
              seed: int = 42, reg: float = REG) -> StyleFit:
    """Contextual BT on per-vote rows: a, b model indices (a shown as side A), y in {1, 0, 0.5}."""
    n, k = feats.shape
    if n == 0:
        raise BadInput("style control needs votes on battles with stored answers",
                       "imported votes without conv_metadata carry no style features")
    x = _design(a, b, feats, p)
    pen = _penalty(p, k, reg)
    reg_vec = _reg_vector(p, k, reg)
    params = _newton(x, y, np.ones(n), p, pen, reg_vec, np.zeros(p + k))
    prob = 1.0 / (1.0 + np.exp(-(x @ params)))
    hess = (x * (prob * (1.0 - prob))[:, None]).T @ x + pen
    hess[:p, :p] -= 1.0 / p  # the objective's own curvature (the L2 terms stay: they are part of it)
    score = x * (y - prob)[:, None]
    meat = score.T @ score
    centre = np.eye(p + k)
    centre[:p, :p] -= 1.0 / p
    h_inv = centre @ np.linalg.pinv(hess) @ centre
    cov = (h_inv @ meat @ h_inv)[:p, :p]
    boot = _bootstrap(x, y, p, pen, reg_vec, params, resamples, seed) if resamples else None
    return StyleFit(theta=params[:p].copy(), beta=params[p:].copy(), stderr=np.sqrt(np.clip(np.diag(cov), 0, None)),
                    cov=cov, boot=boot)


def _bootstrap(x: np.ndarray, y: np.ndarray, p: int, pen: np.ndarray, reg_vec: np.ndarray, params: np.ndarray,
               resamples: int, seed: int, tol: float = 1e-9, max_iter: int = 60) -> np.ndarray:
    """Battles redrawn with replacement (multinomial counts), each resample solved by chord steps with the
    full-data Hessian from the full-data fit, all resamples of a chunk at once; stragglers by Newton."""
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    prob = 1.0 / (1.0 + np.exp(-(x @ params)))
    h0_inv = np.linalg.inv((x * (prob * (1.0 - prob))[:, None]).T @ x + pen)
    out = np.empty((resamples, p))
    chunk = max(1, min(resamples, int(4e6 // max(n, 1))))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        th = np.repeat(params[None, :], size, axis=0)
        active = np.arange(size)
        for _ in range(max_iter):
            pr = 1.0 / (1.0 + np.exp(-(th[active] @ x.T)))
            grad = (w[active] * (y[None, :] - pr)) @ x - reg_vec[None, :] * th[active]
            step = grad @ h0_inv
            new = th[active] + step
            new[:, :p] -= new[:, :p].mean(axis=1, keepdims=True)
            th[active] = new
            active = active[np.abs(step).max(axis=1) >= tol]
            if active.size == 0:
                break
        for i in active:  # slow to converge under the shared metric: finish with its own Newton
            th[i] = _newton(x, y, w[i], p, pen, reg_vec, th[i])
        out[start:start + size] = th[:, :p]
    return out
