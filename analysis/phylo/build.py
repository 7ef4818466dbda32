"""Distance trees: neighbour joining (exact Saitou–Nei), UPGMA and WPGMA.

All three take a checked :class:`~analysis.phylo.matrix.DistanceMatrix` and return Newick.

Neighbour joining
-----------------
The exact algorithm: at every step the pair with the smallest
``Q(i, j) = (m - 2) d(i, j) - S(i) - S(j)`` is joined. Scanning the whole Q matrix every step
(what scikit-bio does, in Cython) is O(n^3) memory traffic. Here the scan is cut short with
RapidNJ's bound (Simonsen, Mailund & Pedersen 2008), which prunes but never approximates:

- each cluster keeps a row of its distances to the clusters *older* than itself, sorted
  ascending (distances between two living clusters never change, so a row stays sorted;
  every living pair sits in exactly one row, the younger cluster's);
- scanning row ``i`` in that order, ``Q(i, j) >= (m - 2) d(i, j) - S(i) - max S``, and the
  right-hand side only grows along the row, so the scan stops as soon as it exceeds the best
  Q found so far. Rounding cannot break this: the bound is computed from a rounded-down
  copy of the distance (the sort key) with the same operations as Q up to the last
  subtraction, and rounding is monotone, so the bound computed in floating point is never
  above the Q computed in floating point, and never decreases along the row;
- entries of clusters that have since been joined are skipped (and rows compacted when they
  pile up);
- when the bound stops pruning (lines a few mutations from one ancestor: near-equal, often
  tied distances, so the rows' sums differ more than their distances), the sorted rows cost
  more than they save; after two steps that looked at more than a tenth of the pairs, every
  later step scans all pairs in order instead (:func:`_full_scan`), as scikit-bio does.

Ties in Q are broken as scikit-bio breaks them (the first pair in row-major order of its
working matrix): the working matrix here is laid out as scikit-bio's (the joined cluster
takes the smaller slot, the last row moves into the freed one) and the distance and sum
updates are the same arithmetic. (scikit-bio rounds Q through a slightly different
expression, so an exact tie can still go the other way. On small integer matrices the tests
find the same trees; on large clonal matrices (counts of differences, thousands of exact
ties) the two may join tied pairs in another order and give another, equally valid NJ
tree; with the ties broken by a 1e-9 jitter they agree.)

Why this design (``bench/tree_building.py``, random matrices, this 2-core machine): the
plain full scan compiled with numba is 1.1-1.4x *slower* than scikit-bio's Cython (the scan
is memory-bound; a float32 shadow could at best halve that traffic), while the bound cuts
the scanned pairs so far that the O(n^2 log n) sorting dominates: 0.75x scikit-bio's time
at 500 taxa, 0.4x at 1,000, 0.2x at 2,000. On clonal matrices, where the full scan takes over,
it takes 1-2x scikit-bio's time (the same memory-bound scan over a matrix that is not
compacted). Sorting int64 keys (distance bits with the
cluster id in the low bits, see :func:`_sort_keys`) halved the sorting time against
``argsort``.

UPGMA and WPGMA
---------------
UPGMA joins the closest pair and averages over *all tip pairs* (size-weighted:
``d(u, k) = (|a| d(a, k) + |b| d(b, k)) / (|a| + |b|)``); WPGMA takes the plain mean of the two
rows. Biopython's ``DistanceTreeConstructor.upgma`` computes the latter under the former's
name (Biopython issues #1208, #4648); here they are separate, correctly named methods. Both
keep each row's nearest neighbour, so a step costs O(n) plus the rows whose neighbour was
joined: O(n^2) in practice.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .errors import PhyloInputError
from .matrix import DistanceMatrix
from .newick import Node, write_newick

METHODS = ("nj", "upgma", "wpgma")
METHOD_NAMES = {
    "nj": "Neighbour joining",
    "upgma": "UPGMA (size-weighted average)",
    "wpgma": "WPGMA (simple average)",
}
DIGITS = 10  # significant digits of the lengths written


_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)


@njit(cache=True)
def _sort_keys(values: np.ndarray, ids: np.ndarray, out: np.ndarray, mask: np.int64) -> None:
    """Sortable int64 keys: the float's bits made monotone (negative floats flipped), the low
    bits replaced by the cluster id, sorted. np.sort on int64 is about twice as fast as
    np.argsort on float64, and the sort dominates the run time on 500 taxa."""
    bits = values.view(np.int64)
    for p in range(values.shape[0]):
        b = bits[p]
        if b < 0:
            b ^= _FLIP
        out[p] = (b & ~mask) | ids[p]
    out.sort()


@njit(cache=True)
def _full_scan(
    dm: np.ndarray, sums: np.ndarray, m: int, coef: float
) -> tuple[float, int, int]:  # pragma: no cover - compiled
    """The smallest Q over every living pair, the first in row-major order on ties, computed
    as scikit-bio's scan computes it. One thread: numba's default threading layer aborts
    when two web threads run a parallel kernel at once."""
    best = np.inf
    bi = -1
    bj = -1
    for r in range(m - 1):
        s_r = sums[r]
        best_plus = best + s_r  # scikit-bio's hoisting: one subtraction less a pair
        for s in range(r + 1, m):
            q = coef * dm[r, s] - sums[s]
            if q < best_plus:
                best_plus = q
                best = q - s_r
                bi = r
                bj = s
    return best, bi, bj


@njit(cache=True)
def _bounded_scan(
    dm: np.ndarray,
    sums: np.ndarray,
    m: int,
    coef: float,
    keys: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    row_of: np.ndarray,
    slot_of: np.ndarray,
    mask: np.int64,
    decoded: np.ndarray,
    lower: np.ndarray,
) -> tuple[int, int, int]:  # pragma: no cover - compiled
    """The pair with the smallest Q, each sorted row scanned only while RapidNJ's bound can
    still beat the best (see the module's notes); and how many living entries it looked at."""
    scanned = 0
    smax = sums[0]
    for r in range(1, m):
        if sums[r] > smax:
            smax = sums[r]
    # A good first candidate (each row's nearest living cluster) tightens the bound
    # before the scan starts.
    best = np.inf
    bi = -1
    bj = -1
    for r in range(m):
        row = row_of[r]
        for p in range(start[row], length[row]):
            s = slot_of[keys[row, p] & mask]
            if s >= 0:
                q = coef * dm[r, s] - sums[r] - sums[s]
                if q < best:
                    best = q
                    bi = min(r, s)
                    bj = max(r, s)
                break
    for r in range(m):
        row = row_of[r]
        s_r = sums[r]
        p = start[row]
        end = length[row]
        leading = True
        dead = 0
        while p < end:
            key = keys[row, p]
            s = slot_of[key & mask]
            if s < 0:
                if leading:
                    start[row] = p + 1
                else:
                    dead += 1
                p += 1
                continue
            leading = False
            scanned += 1
            g = key & ~mask
            if g < 0:
                g ^= _FLIP
            decoded[0] = g
            if (coef * lower[0] - s_r) - smax > best:
                break
            q = (coef * dm[r, s] - s_r) - sums[s]
            lo = min(r, s)
            hi = max(r, s)
            if q < best or (q == best and (lo < bi or (lo == bi and hi < bj))):
                best = q
                bi = lo
                bj = hi
            p += 1
        if dead > 32 and dead * 2 > p - start[row]:
            # Joined clusters pile up inside the scanned part: drop them once.
            w = start[row]
            for p2 in range(start[row], end):
                if slot_of[keys[row, p2] & mask] >= 0:
                    keys[row, w] = keys[row, p2]
                    w += 1
            length[row] = w
    return bi, bj, scanned


@njit(cache=True)
def _nj_linkage(dm: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Neighbour joining on ``dm`` (modified in place): rows ``(a, b, length a, length b)``
    joining clusters ``a`` and ``b`` into cluster ``n + step`` (scikit-bio's linkage)."""
    n = dm.shape[0]
    sums = np.zeros(n)
    for r in range(n):
        total = 0.0
        for k in range(n):
            total += dm[k, r]
        sums[r] = total
    lm = np.empty((n - 1, 4))
    cid = np.arange(n)  # cluster in each slot
    slot_of = np.full(2 * n, -1, dtype=np.int64)
    slot_of[:n] = np.arange(n)
    # Sorted rows of keys (see _sort_keys): the distance rounded down (the low bits hold the
    # older cluster's id), so a key decodes to a lower bound of the distance and the bound
    # stays monotone along the row; Q itself is computed from the exact distance in dm.
    shift = 1
    while (1 << shift) < 2 * n:
        shift += 1
    mask = np.int64((1 << shift) - 1)
    keys = np.empty((n, n), dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    row_of = np.arange(n)  # storage row of each slot
    values = np.empty(n)
    ids = np.empty(n, dtype=np.int64)
    for r in range(1, n):
        for p in range(r):
            ids[p] = p
        _sort_keys(dm[r, :r], ids[:r], keys[r, :r], mask)
        length[r] = r
    decoded = np.empty(1, dtype=np.int64)
    lower = decoded.view(np.float64)
    m = n
    crowded = 0  # consecutive steps in which the bound pruned less than half the pairs
    full = False  # the bound no longer pays: every pair is scanned (see _full_scan)
    while m > 3:
        coef = m - 2.0
        if full:
            _best, bi, bj = _full_scan(dm, sums, m, coef)
        else:
            bi, bj, scanned = _bounded_scan(
                dm, sums, m, coef, keys, start, length, row_of, slot_of, mask, decoded, lower
            )
            # Many tied or near-equal distances (clonal lines from one ancestor) leave the
            # bound nothing to prune: the sorted rows then cost more than they save.
            crowded = crowded + 1 if 20 * scanned > m * (m - 1) else 0
            full = crowded >= 2
        i = bi
        j = bj
        half = dm[i, j] / 2
        delta = (sums[i] - sums[j]) / (2 * m - 4)
        lm[n - m, 0] = cid[i]
        lm[n - m, 1] = cid[j]
        lm[n - m, 2] = half + delta
        lm[n - m, 3] = half - delta
        # scikit-bio's update, operation for operation: row i <- (d(i,k) + d(j,k)) / 2,
        # sums -= that and d(i,j) / 2, then row i -= d(i,j) / 2.
        for k in range(m):
            dm[i, k] = (dm[i, k] + dm[j, k]) / 2
        for k in range(m):
            sums[k] -= dm[i, k]
            sums[k] -= half
        for k in range(m):
            dm[i, k] -= half
            dm[k, i] = dm[i, k]
        last = m - 1
        for k in range(m):
            dm[j, k] = dm[last, k]
        for k in range(m):
            dm[k, j] = dm[k, last]
        sums[j] = sums[last]
        total = 0.0
        for k in range(last):
            total += dm[i, k]
        sums[i] = total
        u = 2 * n - m
        slot_of[cid[i]] = -1
        slot_of[cid[j]] = -1
        cid[i] = u
        slot_of[u] = i
        row_i = row_of[i]
        if j != last:
            cid[j] = cid[last]
            slot_of[cid[j]] = j
            row_of[j] = row_of[last]
        m = last
        if not full:  # the sorted rows serve only the bounded scan
            # The new cluster's row: every other living cluster, sorted by distance.
            w = 0
            for k in range(m):
                if k != i:
                    values[w] = dm[i, k]
                    ids[w] = cid[k]
                    w += 1
            _sort_keys(values[:w], ids[:w], keys[row_i, :w], mask)
            start[row_i] = 0
            length[row_i] = w
    # The last three clusters meet at the (unrooted) root, as in scikit-bio.
    l0 = (dm[0, 1] + dm[0, 2] - dm[1, 2]) / 2
    lm[n - 3, 0] = cid[1]
    lm[n - 3, 1] = cid[2]
    lm[n - 3, 2] = dm[0, 1] - l0
    lm[n - 3, 3] = dm[0, 2] - l0
    lm[n - 2, 0] = cid[0]
    lm[n - 2, 1] = 2 * n - 3
    lm[n - 2, 2] = l0
    lm[n - 2, 3] = 0.0
    return lm


@njit(cache=True)
def _rescan(dm: np.ndarray, r: int, m: int, nn_d: np.ndarray, nn_j: np.ndarray) -> None:
    best = np.inf
    bj = -1
    for k in range(m):
        if k != r and dm[r, k] < best:
            best = dm[r, k]
            bj = k
    nn_d[r] = best
    nn_j[r] = bj


@njit(cache=True)
def _average_linkage(dm: np.ndarray, weighted: bool) -> np.ndarray:  # pragma: no cover
    """UPGMA (``weighted=False``: size-weighted mean of all tip pairs) or WPGMA (mean of
    the two rows) on ``dm`` (modified in place); rows ``(a, b, length a, length b)``."""
    n = dm.shape[0]
    lm = np.empty((n - 1, 4))
    cid = np.arange(n)
    size = np.ones(n)
    height = np.zeros(n)
    nn_d = np.empty(n)
    nn_j = np.empty(n, dtype=np.int64)
    needs = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        _rescan(dm, r, n, nn_d, nn_j)
    m = n
    step = 0
    while m > 1:
        a = 0
        for r in range(1, m):
            if nn_d[r] < nn_d[a]:
                a = r
        i = min(a, nn_j[a])
        j = max(a, nn_j[a])
        top = dm[i, j] / 2
        lm[step, 0] = cid[i]
        lm[step, 1] = cid[j]
        lm[step, 2] = top - height[i]
        lm[step, 3] = top - height[j]
        wi = 0.5 if weighted else size[i] / (size[i] + size[j])
        wj = 0.5 if weighted else size[j] / (size[i] + size[j])
        for k in range(m):
            dm[i, k] = wi * dm[i, k] + wj * dm[j, k]
        dm[i, i] = 0.0
        for k in range(m):
            dm[k, i] = dm[i, k]
        size[i] += size[j]
        height[i] = top
        cid[i] = n + step
        for r in range(m):
            needs[r] = r != i and r != j and (nn_j[r] == i or nn_j[r] == j)
        last = m - 1
        if j != last:
            for k in range(m):
                dm[j, k] = dm[last, k]
            for k in range(m):
                dm[k, j] = dm[k, last]
            dm[j, j] = 0.0
            size[j] = size[last]
            height[j] = height[last]
            cid[j] = cid[last]
            nn_d[j] = nn_d[last]
            nn_j[j] = nn_j[last]
            needs[j] = needs[last]
        m = last
        for r in range(m):
            if nn_j[r] == last:
                nn_j[r] = j
        for r in range(m):
            if r == i:
                continue
            if needs[r]:
                _rescan(dm, r, m, nn_d, nn_j)
            elif dm[r, i] < nn_d[r]:
                nn_d[r] = dm[r, i]
                nn_j[r] = i
        if m > 1:
            _rescan(dm, i, m, nn_d, nn_j)
        step += 1
    return lm


def _tree(lm: np.ndarray, labels: tuple[str, ...], *, rooted: bool) -> Node:
    """Nodes from a linkage (scikit-bio's layout); negative lengths become 0."""
    nodes = [Node(name=label) for label in labels]
    rows = lm if rooted else lm[:-2]
    for c1, c2, l1, l2 in rows.tolist():
        a, b = nodes[int(c1)], nodes[int(c2)]
        a.length, b.length = max(l1, 0.0), max(l2, 0.0)
        nodes.append(Node(children=[a, b]))
    if rooted:
        return nodes[-1]
    (c0, _, l0, _), (c1, c2, l1, l2) = lm[-1].tolist(), lm[-2].tolist()
    trio = [nodes[int(c0)], nodes[int(c1)], nodes[int(c2)]]
    for node, value in zip(trio, (l0, l1, l2), strict=True):
        node.length = max(value, 0.0)
    return Node(children=trio)


def neighbor_joining_tree(dm: DistanceMatrix) -> Node:
    """The neighbour-joining tree as :class:`Node` (unrooted: a root with three children)."""
    if len(dm) < 3:
        raise PhyloInputError(
            "matrix", f"has {len(dm)} taxa; neighbour joining needs at least 3 (try UPGMA)"
        )
    work = np.array(dm.values, dtype=np.float64, order="C", copy=True)
    return _tree(_nj_linkage(work), dm.labels, rooted=False)


def neighbor_joining(dm: DistanceMatrix) -> str:
    """Neighbour-joining tree (Saitou & Nei 1987) as Newick, unrooted (a root trifurcation,
    as scikit-bio writes it), negative branch lengths set to 0.

    >>> from analysis.phylo.matrix import check_matrix
    >>> neighbor_joining(check_matrix(list("abcd"), [[0, 3, 5, 6], [3, 0, 6, 7],
    ...                                              [5, 6, 0, 5], [6, 7, 5, 0]]))
    '((a:1,b:2):2,d:3,c:2);'
    """
    return write_newick(neighbor_joining_tree(dm), digits=DIGITS)


def upgma(dm: DistanceMatrix) -> str:
    """UPGMA (size-weighted average linkage) tree as rooted, ultrametric Newick.

    >>> from analysis.phylo.matrix import check_matrix
    >>> upgma(check_matrix(list("abc"), [[0, 2, 4], [2, 0, 6], [4, 6, 0]]))
    '((a:1,b:1):1.5,c:2.5);'
    """
    return build_tree(dm, "upgma")


def wpgma(dm: DistanceMatrix) -> str:
    """WPGMA (simple average linkage) tree as rooted, ultrametric Newick."""
    return build_tree(dm, "wpgma")


def tree_nodes(dm: DistanceMatrix, method: str) -> Node:
    """The tree of ``dm`` by ``method`` (one of :data:`METHODS`) as :class:`Node`."""
    if method == "nj":
        return neighbor_joining_tree(dm)
    if method in ("upgma", "wpgma"):
        work = np.array(dm.values, dtype=np.float64, order="C", copy=True)
        return _tree(_average_linkage(work, method == "wpgma"), dm.labels, rooted=True)
    raise PhyloInputError("method", f"{method!r} is not one of {', '.join(METHODS)}")


def build_tree(dm: DistanceMatrix, method: str) -> str:
    """The tree of ``dm`` by ``method`` (one of :data:`METHODS`) as Newick."""
    return write_newick(tree_nodes(dm, method), digits=DIGITS)
