"""Lasso with K-fold cross-validation for many simulated data sets at once: a batched LARS homotopy.

Objective per data set: ``(1/2n)||y - Xβ||² + λ||β||₁`` (scikit-learn's scaling). Its solution is
piecewise linear in ``λ``; the LARS-lasso homotopy (Efron et al. 2004, Ann. Statist. 32:407, §3.1)
walks the path knot by knot: with active set ``A`` and signs ``s``, ``dβ_A/d(-λ) = (Q_AA)⁻¹ s`` where
``Q = X'X/n``; a knot is where an inactive correlation reaches ``λ`` (a variable joins) or an active
coefficient reaches 0 (it leaves). Every data set of a batch (all simulations × all folds plus the
full-data fit) takes its own knots, in lockstep; only ``O(p·|A|)`` work per knot, on the Gram: one
product ``Q_{:,A} w`` per knot; the direction ``w`` follows from the bordering of the inverse and the
correlations move linearly along each segment (as in LARS, Efron et al. §2), both recomputed exactly
every ``_REFRESH`` knots; the inverse's rank-1 terms are applied ``_PENDING`` at a time.

Cross-validation as in scikit-learn's ``LassoCV`` / glmnet's ``cv.glmnet``: a grid of ``L``
penalties log-spaced from the full data's ``λ_max = max|X'y|/n`` down to ``eps·λ_max``; each
fold's path is read at the grid (exactly, by interpolating between knots) and scored by the
validation mean squared error; the penalty minimising the mean over folds is refitted on all the
data (read off the full-data path). Optional early stop (``patience``): a simulation's paths stop
once its cross-validation error has not improved for ``patience`` consecutive grid points (all
folds past them) — a speed-up that changes the choice only where the CV curve has a later, lower
minimum; ``patience=None`` walks the whole grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_TINY = 1e-12
_REFRESH = 64  # steps between exact re-inversions of Q_AA (bounds rounding drift)
_PENDING = 8  # rank-1 updates of the inverse held back and applied together (one matrix product)


@dataclass(frozen=True)
class LassoCVResult:
    """Per-simulation result of :func:`lasso_cv`.

    Attributes
    ----------
    coef : ndarray (B, p)
        Coefficients refitted on all the data at the chosen penalty.
    alpha : ndarray (B,)
        Chosen penalty ``λ`` (units of ``X'y/n``).
    alpha_index : ndarray (B,)
        Its index in the grid.
    cv_error : ndarray (B, L)
        Mean validation MSE over folds per grid point (NaN where not reached).
    path_flop : ndarray (B,)
        FLOP of all the homotopy steps of this simulation (all folds and the full fit), counted
        per step from the active-set sizes actually met (see :func:`step_flop`).
    knots : ndarray (B,)
        Homotopy steps taken, all paths of the simulation together.
    """

    coef: np.ndarray
    alpha: np.ndarray
    alpha_index: np.ndarray
    cv_error: np.ndarray
    path_flop: np.ndarray
    knots: np.ndarray


def step_flop(m: np.ndarray, p: int, validated: np.ndarray) -> np.ndarray:
    """FLOP of one homotopy step with ``m`` active variables among ``p``.

    The bordering update of the maintained inverse ``(Q_AA)⁻¹`` when a variable joins or leaves
    (``v = H u`` and the rank-1 term: ``4m²``), the direction of the correlations ``a = Q_{:,A} w``
    (``2pm``), the correlations moved along the segment ``r -= t a`` (``2p``), step lengths to the next
    join (``6p``) and drop (``2m``), the coefficient update (``2m``) and the direction's own update
    from the bordering (``4m``); a fold with a validation set adds ``G_v β_A``, ``G_v w`` and the
    quadratic error terms (``4m² + 6m``). The periodic exact refresh (every ``_REFRESH`` steps:
    re-inverting ``Q_AA``, ``2m³``; the direction, ``2m²``; the correlations, ``2pm``) is counted
    where it happens.
    """
    m = m.astype(float)
    base = 4.0 * m**2 + 2.0 * p * m + 8.0 * p + 8.0 * m
    return base + np.where(validated, 4.0 * m**2 + 6.0 * m, 0.0)


class _Batch:
    """State of the lockstep homotopy for E data sets (internal)."""

    def __init__(self, full_gram, folds_gram, sim, fold, ntrain, q_xty, val_xty, nval, cap):
        e, p = q_xty.shape
        # Q of entry e is (full - fold)/ntrain, read lazily: folds_gram[K] is all zeros (the full fit).
        self.full, self.folds = full_gram, folds_gram
        self.sim, self.fold, self.ntrain = sim, fold, ntrain
        self.q, self.cv, self.nval, self.cap = q_xty, val_xty, nval, cap
        self.p = p
        self.ids = np.arange(e)
        self.M = int(min(64, cap.max() + 1))  # most batches reach 33+ active: one big grow saved
        self._alloc(e, self.M)
        self.m = np.zeros(e, dtype=np.int64)
        self.active = np.zeros((e, p), dtype=bool)
        self.just_dropped = np.full(e, -1)
        self.frozen = np.zeros(e, dtype=bool)
        self.r = q_xty.copy()  # correlations q - Q_{:,A} β_A, moved along each segment (exact at refreshes)

    def _alloc(self, e, size):
        self.idx = np.zeros((e, size), dtype=np.int64)
        self.bs = np.zeros((e, size))
        self.sg = np.zeros((e, size))
        self.GA = np.zeros((e, size, size))
        self.HA = np.broadcast_to(np.eye(size), (e, size, size)).copy()
        self.QR = np.zeros((e, size, self.p))
        self.cA = np.zeros((e, size))
        self.w = np.zeros((e, size))  # the direction (Q_AA)⁻¹ s, kept current by every join and drop
        # Pending rank-1 terms: the inverse is HA + Σ_k VD[:, k] VT[:, k] VT[:, k]' (k < npend).
        self.VT = np.zeros((e, _PENDING, size))
        self.VD = np.zeros((e, _PENDING))
        self.npend = 0

    def gram_block(self, mm):
        """``Q_AA`` (E, mm, mm) read off the stored rows ``Q_{A,:}``, identity on padded slots."""
        live = np.arange(mm)[None, :] < self.m[:, None]
        block = np.take_along_axis(self.QR[:, :mm], self.idx[:, None, :mm], axis=2)  # padded rows are 0
        block *= live[:, None, :]
        block[:, np.arange(mm), np.arange(mm)] += ~live
        return block

    def hmul(self, x):
        """``H x`` for x (E, mm): the stored inverse plus the pending rank-1 terms."""
        mm = x.shape[1]
        out = np.matmul(self.HA[:, :mm, :mm], x[:, :, None])[:, :, 0]
        if self.npend:
            vt = self.VT[:, : self.npend, :mm]
            c = np.matmul(vt, x[:, :, None])[:, :, 0]
            c *= self.VD[:, : self.npend]
            out += np.matmul(c[:, None, :], vt)[:, 0]
        return out

    def _pending_sum(self, rows, mm):
        """``Σ_k VD_k VT_k VT_k'`` (len(rows), mm, mm) of the pending terms of ``rows`` (one batched product)."""
        vt = self.VT[rows, : self.npend, :mm]
        return np.matmul(np.swapaxes(vt, 1, 2) * self.VD[rows, None, : self.npend], vt)

    def flush(self):
        """Apply the pending rank-1 terms to the stored inverse."""
        if self.npend:
            mm = int(self.m.max())  # pending vectors are 0 beyond every entry's active slots
            self.HA[:, :mm, :mm] += self._pending_sum(slice(None), mm)
            self.npend = 0

    def refresh(self, mm):
        """Recompute ``(Q_AA)⁻¹``, the direction ``w`` and the correlations ``r`` exactly (no drift)."""
        self.HA[:, :mm, :mm] = np.linalg.inv(self.gram_block(mm))
        self.npend = 0
        self.w[:, :mm] = self.hmul(self.sg[:, :mm])
        self.r = self.q - np.matmul(self.bs[:, None, :mm], self.QR[:, :mm])[:, 0]

    def grow(self):
        self.flush()
        old, size = self.M, min(2 * self.M, int(self.cap.max()) + 1)
        keep = {k: getattr(self, k) for k in ("idx", "bs", "sg", "GA", "HA", "QR", "cA", "w")}
        self._alloc(len(self.ids), size)
        self.M = size
        self.idx[:, :old], self.bs[:, :old], self.sg[:, :old] = keep["idx"], keep["bs"], keep["sg"]
        self.GA[:, :old, :old] = keep["GA"]
        self.HA[:, :old, :old], self.QR[:, :old], self.cA[:, :old] = keep["HA"], keep["QR"], keep["cA"]
        self.w[:, :old] = keep["w"]

    def take(self, keep):
        for k in (
            "sim",
            "fold",
            "ntrain",
            "q",
            "cv",
            "nval",
            "cap",
            "ids",
            "idx",
            "bs",
            "sg",
            "GA",
            "HA",
            "QR",
            "cA",
            "w",
            "r",
            "VT",
            "VD",
            "m",
            "active",
            "just_dropped",
            "frozen",
        ):
            setattr(self, k, getattr(self, k)[keep])

    def add(self, ev, j):
        """Variable ``j[i]`` joins the active set of entry ``ev[i]``."""
        if len(ev) == 0:
            return
        if int(self.m[ev].max()) + 1 > self.M:
            self.grow()
        e_all = len(self.ids)
        sel = slice(None) if len(ev) == e_all else ev  # rows alone: a view when every entry joins
        slot = self.m[ev]
        self.idx[ev, slot] = j
        self.bs[ev, slot] = 0.0
        mm = int(slot.max()) + 1
        cols = self.idx[sel, :mm]
        b1, f1 = self.sim[sel], self.fold[sel]
        # Row j of the fold's Gram and of Q, gathered once; the active block's row is read off them.
        grow_j = self.folds[f1, b1, j, :]
        qrow_j = (self.full[b1, j, :] - grow_j) / self.ntrain[sel][:, None]
        live = np.arange(mm)[None, :] <= slot[:, None]
        rowq = np.where(live, np.take_along_axis(qrow_j, cols, axis=1), 0.0)
        rowg = np.where(live, np.take_along_axis(grow_j, cols, axis=1), 0.0)
        sj = np.sign(self.r[ev, j])  # the joining variable's sign is that of its correlation (|r_j| = λ)
        self.sg[ev, slot] = sj
        self.GA[ev, slot, :mm] = rowg
        self.GA[ev, :mm, slot] = rowg
        # One flat index (numpy's fast scatter); QR is always C-contiguous (_alloc, take), so this is a view.
        self.QR.reshape(-1, self.p)[ev * self.M + slot] = qrow_j
        self.cA[ev, slot] = self.cv[ev, j]
        # Bordering: inverse of [[Q_AA, u], [u', d]] from H = Q_AA⁻¹ (identity on padded slots): the old
        # block gains v v'/σ (v = H u, σ = d - u'v), held back as a pending term; the new row and column
        # are -v/σ and 1/σ. On the whole batch: rows not joining get u = 0, so v = 0 (a zero term).
        rows = np.arange(len(ev))
        d = rowq[rows, slot]
        rowq[rows, slot] = 0.0
        if sel is ev:
            u = np.zeros((e_all, mm))
            u[ev] = rowq
        else:
            u = rowq
        v = self.hmul(u)  # v[slot] = 0: padded slots are identity rows and u[slot] = 0
        vj = v[sel]
        schur = np.ones(e_all)
        schur[sel] = d - np.einsum("ei,ei->e", rowq, vj)
        schur_j = schur[sel]
        k = self.npend
        self.VT[:, k, :mm] = v
        self.VT[:, k, mm:] = 0.0
        self.VD[:, k] = 1.0 / schur
        self.npend += 1
        # The direction follows without a product: w_A += c v, w_j = -c, with c = (v's - s_j)/σ.
        c = (np.einsum("ei,ei->e", vj, self.sg[sel, :mm]) - sj) / schur_j
        self.w[sel, :mm] += c[:, None] * vj
        self.w[ev, slot] = -c
        border = vj / -schur_j[:, None]
        h = self.HA
        h[ev, :mm, slot] = border
        h[ev, slot, :mm] = border
        h[ev, slot, slot] = 1.0 / schur_j
        if self.npend == _PENDING:
            self.flush()
        self.m[sel] += 1
        self.active[ev, j] = True

    def drop(self, ev, slot):
        """Slot ``slot[i]`` leaves the active set of entry ``ev[i]`` (the last slot moves into it)."""
        if len(ev) == 0:
            return
        rows = np.arange(len(ev))
        last = self.m[ev] - 1
        j = self.idx[ev, slot]
        if self.npend:  # these entries' pending terms go into their stored inverse first
            self.HA[ev] += self._pending_sum(ev, self.M)
            self.VT[ev, : self.npend] = 0.0
            self.VD[ev, : self.npend] = 0.0
        # Remove the leaving variable from the inverse first: H_rest - h h' / h_ii.
        h = self.HA[ev, :, slot]
        hii = h[rows, slot]
        h[rows, slot] = 0.0
        # The direction without the leaving variable: w_rest = w - h w_slot / h_ii (same inverse identity).
        self.w[ev] -= h * (self.w[ev, slot] / hii)[:, None]
        self.HA[ev] -= h[:, :, None] * h[:, None, :] / hii[:, None, None]
        for name in ("idx", "bs", "sg", "cA", "w"):
            arr = getattr(self, name)
            arr[ev, slot] = arr[ev, last]
        self.QR[ev, slot] = self.QR[ev, last]
        for arr in (self.GA, self.HA):
            arr[ev, slot, :] = arr[ev, last, :]
            arr[ev, :, slot] = arr[ev, :, last]
            arr[ev, slot, slot] = arr[ev, last, last]
            arr[ev, last, :] = 0.0
            arr[ev, :, last] = 0.0
        self.HA[ev, last, last] = 1.0
        self.QR[ev, last] = 0.0
        for name in ("bs", "sg", "cA", "w"):
            getattr(self, name)[ev, last] = 0.0
        self.m[ev] -= 1
        self.active[ev, j] = False
        self.just_dropped[ev] = j


@dataclass
class _Walk:
    """The batch's arrays while the paths are walked: entry e is (simulation sim_of[e], fold fold_of[e]), flattened
    sim-major, fold == k the full-data fit; per-entry rows follow ``st.ids`` (the entries still walked)."""

    k: int
    b: int
    p: int
    grid: np.ndarray  # (B, L) penalties per simulation
    egrid: np.ndarray  # (entries total, L) each entry's grid
    sim_of: np.ndarray
    validated: np.ndarray  # entry is a fold fit (scored on its held-out fold)
    vyty: np.ndarray  # y'y of the entry's validation fold
    st: _Batch
    lam: np.ndarray  # each entry's current λ
    val_err: np.ndarray  # (entries total, L)
    beta_grid: np.ndarray  # (B, L, p) the full-data path at the grid
    passed: np.ndarray  # grid points passed per entry
    flop: np.ndarray
    knots: np.ndarray

    @property
    def entries(self) -> int:
        return self.k + 1


class _Segment(NamedTuple):
    """One homotopy segment of every walked entry: its length ``t`` and the event that ends it."""

    a: np.ndarray  # Q_{:,A} w: the correlations' direction
    lam: np.ndarray  # λ at the segment's start
    t: np.ndarray
    t_join: np.ndarray
    t_drop: np.ndarray
    t_stop: np.ndarray
    j_join: np.ndarray
    i_drop: np.ndarray


def _start(folds_gram, folds_xty, folds_yty, fold_n, grid_size: int, eps: float) -> _Walk:
    """The grid, every entry's statistics and its state at its own λ_max (β = 0 above it; first variable in)."""
    k = len(folds_gram)
    b, p, _ = folds_gram[0].shape
    n = int(sum(fold_n))
    folds_aug = np.empty((k + 1, b, p, p))  # the K folds' Grams and zeros for the full-data fit
    for f in range(k):
        folds_aug[f] = folds_gram[f]
    folds_aug[k] = 0.0
    full_xty = np.sum(folds_xty, axis=0)
    lam_top = np.abs(full_xty).max(axis=1) / n
    grid = lam_top[:, None] * eps ** (np.arange(grid_size) / (grid_size - 1))[None, :]  # (B, L)
    entries = k + 1
    total = b * entries
    sim_of = np.repeat(np.arange(b), entries)
    fold_of = np.tile(np.arange(entries), b)
    validated = fold_of < k
    fold_n_all = np.array([*fold_n, 0], dtype=float)
    ntrain = n - fold_n_all
    xty_aug = np.zeros((entries, b, p))
    yty_aug = np.zeros((entries, b))
    for f in range(k):
        xty_aug[f], yty_aug[f] = folds_xty[f], folds_yty[f]
    val_xty = xty_aug[fold_of, sim_of]
    q_xty = (full_xty[sim_of] - val_xty) / ntrain[fold_of][:, None]
    cap = np.minimum(ntrain[fold_of], p).astype(np.int64)
    nval = np.where(validated, fold_n_all[fold_of], 1.0)
    st = _Batch(folds_aug[:k].sum(axis=0), folds_aug, sim_of, fold_of, ntrain[fold_of], q_xty, val_xty, nval, cap)
    walk = _Walk(
        k,
        b,
        p,
        grid,
        grid[sim_of],
        sim_of,
        validated,
        yty_aug[fold_of, sim_of],
        st,
        lam=np.abs(st.q).max(axis=1),
        val_err=np.full((total, grid_size), np.nan),
        beta_grid=np.zeros((b, grid_size, p)),
        passed=np.zeros(total, dtype=np.int64),
        flop=np.zeros(total),
        knots=np.zeros(total, dtype=np.int64),
    )
    above = walk.egrid >= walk.lam[:, None]  # grid points above the entry's own λ_max: β = 0
    walk.passed[:] = above.sum(axis=1)
    scored = above & validated[:, None]
    walk.val_err[scored] = np.broadcast_to((walk.vyty / st.nval)[:, None], above.shape)[scored]
    st.add(np.arange(total), np.abs(st.q).argmax(axis=1))
    return walk


def _segment(walk: _Walk, w: np.ndarray, mm: int) -> _Segment:
    """Each walked entry's step to its next knot (a variable joins or leaves) or to the grid's floor."""
    st, ids = walk.st, walk.st.ids
    a = np.matmul(w[:, None, :], st.QR[:, :mm])[:, 0]  # direction of the correlations, Q_{:,A} w
    r = st.r
    lam_e = walk.lam[ids]
    lim = _TINY * lam_e[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # in place: (λ ∓ r_j) / (1 ∓ a_j)
        t1 = lam_e[:, None] - r
        t1 /= 1.0 - a
        t2 = lam_e[:, None] + r
        t2 /= 1.0 + a
        np.putmask(t1, ~(t1 > lim), np.inf)  # also NaN -> inf
        np.putmask(t2, ~(t2 > lim), np.inf)
    cand = np.minimum(t1, t2, out=t1)
    np.putmask(cand, st.active | (st.m >= st.cap)[:, None], np.inf)
    jd = st.just_dropped
    has_jd = jd >= 0
    # A variable that just left sits at |r_j| = λ: ignore its spurious zero-length rejoin only.
    rj, cj = np.nonzero(has_jd)[0], jd[has_jd]
    cand[rj, cj] = np.where(cand[rj, cj] > 1e-9 * lam_e[rj], cand[rj, cj], np.inf)
    j_join = cand.argmin(axis=1)
    t_join = cand[np.arange(len(ids)), j_join]
    with np.errstate(divide="ignore", invalid="ignore"):
        td = -st.bs[:, :mm] / w
    live_slot = np.arange(mm)[None, :] < st.m[:, None]
    td = np.where(live_slot & (td > _TINY * lam_e[:, None]) & np.isfinite(td), td, np.inf)
    i_drop = td.argmin(axis=1)
    t_drop = td[np.arange(len(ids)), i_drop]
    t_stop = np.maximum(lam_e - walk.egrid[ids, -1], 0.0)
    t = np.where(st.frozen, 0.0, np.minimum(np.minimum(t_join, t_drop), t_stop))
    return _Segment(a, lam_e, t, t_join, t_drop, t_stop, j_join, i_drop)


def _read_grid(walk: _Walk, seg: _Segment, w: np.ndarray, mm: int) -> None:
    """The path at the grid points crossed in this segment: validation MSE for fold fits, β for full fits."""
    st, ids, lam_e, t = walk.st, walk.st.ids, seg.lam, seg.t
    grid_size = walk.egrid.shape[1]
    gsel = (
        (np.arange(grid_size)[None, :] >= walk.passed[ids][:, None])
        & (walk.egrid[ids] >= (lam_e - t)[:, None] * (1 - 1e-12))
        & ~st.frozen[:, None]
    )
    rows, gcols = np.nonzero(gsel)
    if not len(rows):
        return
    tg = lam_e[rows] - walk.egrid[ids[rows], gcols]
    val_rows = walk.validated[ids[rows]]
    if val_rows.any():
        r_v, g_v, t_v = rows[val_rows], gcols[val_rows], tg[val_rows]
        bsv, wv = st.bs[r_v, :mm], w[r_v]
        ga = st.GA[r_v, :mm, :mm]  # only the entries crossing a grid point
        gb = np.einsum("eij,ej->ei", ga, bsv)
        gw = np.einsum("eij,ej->ei", ga, wv)
        ca = st.cA[r_v, :mm]
        quad = (
            np.einsum("ei,ei->e", bsv, gb)
            + 2 * t_v * np.einsum("ei,ei->e", wv, gb)
            + t_v**2 * np.einsum("ei,ei->e", wv, gw)
        )
        lin = np.einsum("ei,ei->e", bsv, ca) + t_v * np.einsum("ei,ei->e", wv, ca)
        walk.val_err[ids[r_v], g_v] = (walk.vyty[ids[r_v]] - 2 * lin + quad) / st.nval[r_v]
    full_rows = ~val_rows
    if full_rows.any():
        r_f, g_f, t_f = rows[full_rows], gcols[full_rows], tg[full_rows]
        coef = st.bs[r_f, :mm] + t_f[:, None] * w[r_f]
        sims = walk.sim_of[ids[r_f]]
        rr, ss = np.nonzero(np.arange(mm)[None, :] < st.m[r_f][:, None])
        walk.beta_grid[sims[rr], g_f[rr], st.idx[r_f[rr], ss]] = coef[rr, ss]
    np.add.at(walk.passed, ids[rows], 1)


def _advance(walk: _Walk, seg: _Segment, w: np.ndarray, mm: int) -> np.ndarray:
    """Move every walked entry along its segment and apply the event that ends it; returns the entries that
    reached the grid's floor."""
    st, ids, t = walk.st, walk.st.ids, seg.t
    moving = ~st.frozen
    walk.flop[ids] += np.where(moving, step_flop(st.m, walk.p, walk.validated[ids]), 0.0)
    walk.knots[ids] += moving
    st.bs[:, :mm] += t[:, None] * w
    st.r -= t[:, None] * seg.a  # r is linear along the segment: exact up to rounding
    walk.lam[ids] = seg.lam - t
    st.just_dropped[:] = -1
    stop = (t >= seg.t_stop) & moving
    dropping = moving & ~stop & (seg.t_drop <= seg.t_join)
    joining = moving & ~stop & ~dropping
    ev = np.nonzero(dropping)[0]
    st.drop(ev, seg.i_drop[ev])
    ev = np.nonzero(joining)[0]
    st.add(ev, seg.j_join[ev])
    return stop


def _result(walk: _Walk) -> LassoCVResult:
    """The penalty with the least mean validation error over the grid points every fold and the full fit reached,
    and the full-data coefficients there."""
    b, k, entries = walk.b, walk.k, walk.entries
    grid_size = walk.grid.shape[1]
    cv_error = walk.val_err.reshape(b, entries, grid_size)[:, :k].mean(axis=1)
    reached = walk.passed.reshape(b, entries)[:, :k].min(axis=1)
    reached = np.minimum(reached, walk.passed.reshape(b, entries)[:, k])
    within = np.arange(grid_size)[None, :] < reached[:, None]
    best = np.where(within, cv_error, np.inf).argmin(axis=1)
    return LassoCVResult(
        coef=walk.beta_grid[np.arange(b), best],
        alpha=walk.grid[np.arange(b), best],
        alpha_index=best,
        cv_error=np.where(within, cv_error, np.nan),
        path_flop=walk.flop.reshape(b, entries).sum(axis=1),
        knots=walk.knots.reshape(b, entries).sum(axis=1),
    )


def lasso_cv(folds_gram, folds_xty, folds_yty, fold_n, *, grid_size=100, eps=1e-3, patience=10):
    """Lasso with K-fold cross-validation for B data sets, from their per-fold sufficient statistics.

    Parameters
    ----------
    folds_gram : list of K ndarrays (B, p, p)
        ``X_f'X_f`` per fold.
    folds_xty : list of K ndarrays (B, p)
        ``X_f'y_f``.
    folds_yty : list of K ndarrays (B,)
        ``y_f'y_f``.
    fold_n : list of K ints
        Rows per fold.
    grid_size, eps : int, float
        ``L`` penalties from ``λ_max`` down to ``eps·λ_max`` (scikit-learn's defaults: 100, 1e-3).
    patience : int or None
        Early stop after this many grid points without improvement of the CV error (None: never).

    Returns
    -------
    LassoCVResult
    """
    walk = _start(folds_gram, folds_xty, folds_yty, fold_n, grid_size, eps)
    st = walk.st
    sim_done = np.zeros(walk.b, dtype=bool)
    step = 0
    while len(st.ids):
        mm = int(st.m.max())
        if step % _REFRESH == _REFRESH - 1:  # exact re-inversion now and then: no drift over long paths
            st.refresh(mm)
            mf = st.m.astype(float)
            walk.flop[st.ids] += np.where(st.frozen, 0.0, 2.0 * mf**3 + 2.0 * mf**2 + 2.0 * walk.p * mf)
        w = st.w[:, :mm]  # a view: read before this step's drop and join update it
        seg = _segment(walk, w, mm)
        _read_grid(walk, seg, w, mm)
        stop = _advance(walk, seg, w, mm)
        step += 1
        if patience is not None and step % 4 == 0:
            sim_done |= _early_stop(walk.val_err, walk.passed, walk.b, walk.entries, walk.k, patience)
        st.frozen |= stop | sim_done[walk.sim_of[st.ids]]
        if st.frozen.all() or st.frozen.mean() > 0.3:
            st.take(~st.frozen)
    return _result(walk)


def _early_stop(val_err, passed, b, entries, k, patience):
    """Simulations whose CV error has not improved for ``patience`` grid points (all folds past)."""
    pas = passed.reshape(b, entries)
    done_g = pas[:, :k].min(axis=1)
    grid_size = val_err.shape[1]
    errs = val_err.reshape(b, entries, grid_size)[:, :k].mean(axis=1)
    valid = np.arange(grid_size)[None, :] < done_g[:, None]
    masked = np.where(valid, errs, np.inf)
    best = masked.argmin(axis=1)
    return (done_g - 1 - best >= patience) & (pas[:, k] > best)
