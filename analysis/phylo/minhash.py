"""MinHash sketches and Mash distances between unaligned genomes (Ondov et al. 2016).

Defaults are Mash's: k-mers of :data:`K` = 21 bases and sketches of :data:`SKETCH_SIZE` =
1000 hashes. Each k-mer is taken in canonical form (the lexically smaller of the k-mer and its
reverse complement), k-mers holding anything but A/C/G/T (either case) are skipped, k-mers do
not span two records, and the k-mer's upper-case ASCII text is hashed with MurmurHash3_x64_128
under seed 42, keeping the first 64-bit word, exactly as ``mash sketch`` does for k > 16: the
sketches hold the same hashes as Mash's (the tests compare them with ``mash info -d``). For
k <= 16 Mash switches to a 32-bit hash; here the 64-bit hash is kept for every k, so sketches
with k <= 16 are valid MinHash sketches but not Mash's.

A sketch keeps the ``size`` smallest distinct hashes (bottom-s). Two sketches are compared as
Mash does: Jaccard ``j`` is estimated on the ``s`` smallest hashes of their union (the shared
ones among those, over their number), and the Mash distance is
``D = -1/k ln(2j / (1 + j))``, 1 when nothing is shared, capped at 1. Its standard error
from sketching is about ``1/sqrt(s)`` in ``j``.

The k-mer loop (2-bit rolling encoding of both strands, the hash, the threshold test) is
compiled with numba; sequences are processed in bounded chunks, so memory stays at the
sequence plus a few MB whatever the genome size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from .errors import PhyloInputError
from .matrix import DistanceMatrix, check_matrix

K = 21  # Mash's default k-mer size
SKETCH_SIZE = 1000  # Mash's default sketch size (hashes kept per genome)
SEED = 42  # Mash's default hash seed
K_MAX = 32  # a k-mer's 2-bit code fills at most one 64-bit word

U64 = npt.NDArray[np.uint64]
_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_CHUNK = 1 << 20  # windows per call afterwards (8 MB of hashes at most)

# A, C, G, T (either case) -> 0..3; anything else 4 (breaks k-mers).
_BASE_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _BASE_CODE[ord(_b)] = _BASE_CODE[ord(_b.lower())] = _i


def _lane_table() -> U64:
    """For every 4-base 2-bit code (first base in the top bits), its 4 ASCII bytes as a
    little-endian word: two lookups in this 2 KB table lay out 8 bases of the text Mash hashes
    (a table per 8 bases would be 512 KB, and its cache misses cost more)."""
    codes = np.arange(1 << 8, dtype=np.uint64)
    ascii_bases = np.frombuffer(b"ACGT", dtype=np.uint8).astype(np.uint64)
    table = np.zeros(1 << 8, dtype=np.uint64)
    for position in range(4):  # byte `position` holds base `position`
        base = (codes >> np.uint64(2 * (3 - position))) & np.uint64(3)
        table |= ascii_bases[base] << np.uint64(8 * position)
    return table


_LANES = _lane_table()

_C1 = np.uint64(0x87C37B91114253D5)
_C2 = np.uint64(0x4CF5AD432745937F)
_F1 = np.uint64(0xFF51AFD7ED558CCD)
_F2 = np.uint64(0xC4CEB9FE1A85EC53)
_M5 = np.uint64(5)
_N1 = np.uint64(0x52DCE729)
_N2 = np.uint64(0x38495AB5)
_S2 = np.uint64(2)
_S3 = np.uint64(3)
_S8 = np.uint64(8)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S33 = np.uint64(33)
_BYTE = np.uint64(0xFF)
_S37 = np.uint64(37)
_S64 = np.uint64(64)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@numba.njit(cache=True, nogil=True, inline="always")
def _rotl(x: np.uint64, r: np.uint64) -> np.uint64:
    return (x << r) | (x >> (_S64 - r))


@numba.njit(cache=True, nogil=True, inline="always")
def _fmix(h: np.uint64) -> np.uint64:
    h ^= h >> _S33
    h *= _F1
    h ^= h >> _S33
    h *= _F2
    h ^= h >> _S33
    return h


@numba.njit(cache=True, nogil=True, inline="always")
def _lane(kmer: np.uint64, k: int, first: int, lanes: U64) -> np.uint64:
    """Bases ``first..first+7`` of a 2-bit k-mer as little-endian ASCII (absent ones 0)."""
    m = min(8, k - first)
    if m <= 0:
        return _ZERO
    chunk = (kmer >> np.uint64(2 * (k - first - m))) & ((_ONE << np.uint64(2 * m)) - _ONE)
    chunk <<= np.uint64(2 * (8 - m))
    word: np.uint64 = lanes[chunk >> _S8] | (lanes[chunk & _BYTE] << _S32)
    if m < 8:
        word &= (_ONE << np.uint64(8 * m)) - _ONE
    return word


@numba.njit(cache=True, nogil=True)
def _murmur_kmer(kmer: np.uint64, k: int, seed: np.uint64, lanes: U64) -> np.uint64:
    """First word of MurmurHash3_x64_128 of the k-mer's ASCII text (Appleby's reference)."""
    h1 = seed
    h2 = seed
    blocks = k // 16
    for b in range(blocks):
        k1 = _lane(kmer, k, 16 * b, lanes)
        k2 = _lane(kmer, k, 16 * b + 8, lanes)
        k1 *= _C1
        k1 = _rotl(k1, _S31)
        k1 *= _C2
        h1 ^= k1
        h1 = _rotl(h1, _S27)
        h1 += h2
        h1 = h1 * _M5 + _N1
        k2 *= _C2
        k2 = _rotl(k2, _S33)
        k2 *= _C1
        h2 ^= k2
        h2 = _rotl(h2, _S31)
        h2 += h1
        h2 = h2 * _M5 + _N2
    tail = k & 15
    if tail > 8:
        k2 = _lane(kmer, k, 16 * blocks + 8, lanes)
        k2 *= _C2
        k2 = _rotl(k2, _S33)
        k2 *= _C1
        h2 ^= k2
    if tail > 0:
        k1 = _lane(kmer, k, 16 * blocks, lanes)
        k1 *= _C1
        k1 = _rotl(k1, _S31)
        k1 *= _C2
        h1 ^= k1
    length = np.uint64(k)
    h1 ^= length
    h2 ^= length
    h1 += h2
    h2 += h1
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    return h1 + h2


@numba.njit(cache=True, nogil=True)
def _window_hashes(
    codes: npt.NDArray[np.uint8],
    start: int,
    stop: int,
    k: int,
    seed: np.uint64,
    threshold: np.uint64,
    lanes: U64,
    out: U64,
) -> int:
    """Hash the canonical k-mers starting at ``start..stop-1``; write those below
    ``threshold`` to ``out``; return how many."""
    mask = (_ONE << np.uint64(2 * k)) - _ONE if k < 32 else _MAX
    top = np.uint64(2 * (k - 1))
    forward = _ZERO
    reverse = _ZERO
    run = 0
    found = 0
    for p in range(start, stop + k - 1):
        c = codes[p]
        if c > 3:
            run = 0
            continue
        code = np.uint64(c)
        forward = ((forward << _S2) | code) & mask
        reverse = (reverse >> _S2) | ((_S3 - code) << top)
        run += 1
        if run >= k:
            kmer = min(forward, reverse)
            h = _murmur_kmer(kmer, k, seed, lanes)
            if h < threshold:
                out[found] = h
                found += 1
    return found


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields, not objects
class Sketch:
    """A bottom-s MinHash sketch: ``hashes`` (``uint64``, sorted, distinct, at most ``size``)
    of the canonical ``k``-mers of sequences ``length`` bases long in all."""

    hashes: U64
    k: int
    size: int
    length: int
    seed: int = SEED


def sketch(
    sequences: Iterable[bytes], *, k: int = K, size: int = SKETCH_SIZE, seed: int = SEED
) -> Sketch:
    """Sketch the canonical k-mers of ``sequences`` (one genome's records, as ASCII bytes).

    >>> s = sketch([b"ACGTTGCAAGGCTTAACCGGTA", b"NNNN"], k=21, size=10)
    >>> s.hashes.size, s.length  # two 21-mers, 22 + 4 bases
    (2, 26)
    """
    if not 1 <= k <= K_MAX:
        raise PhyloInputError("k-mer size", f"is {k}; it must be 1 to {K_MAX}")
    if size < 1:
        raise PhyloInputError("sketch size", f"is {size}; it must be at least 1")
    kept = np.zeros(0, dtype=np.uint64)
    threshold = _MAX
    length = 0
    out = np.empty(_CHUNK, dtype=np.uint64)
    hash_seed = np.uint64(seed)
    for record in sequences:
        codes = _BASE_CODE[np.frombuffer(record, dtype=np.uint8)]
        length += codes.size
        windows = codes.size - k + 1
        start = 0
        while start < windows:
            # Until the sketch is full every hash is kept: small steps keep those sorts cheap.
            stop = min(windows, start + (_CHUNK if kept.size == size else 8 * size))
            found = _window_hashes(codes, start, stop, k, hash_seed, threshold, _LANES, out)
            if found:
                kept = np.union1d(kept, out[:found])[:size]
                if kept.size == size:
                    threshold = kept[-1]  # only smaller hashes can still enter
            start = stop
    kept.setflags(write=False)
    return Sketch(kept, k, size, length, seed)


@numba.njit(cache=True, nogil=True)
def _shared(a: U64, b: U64, size: int) -> tuple[int, int]:
    """Mash's comparison: (shared, union) over the ``size`` smallest hashes of the union."""
    i = 0
    j = 0
    common = 0
    denominator = 0
    while i < a.size and j < b.size and denominator < size:
        if a[i] < b[j]:
            i += 1
        elif b[j] < a[i]:
            j += 1
        else:
            i += 1
            j += 1
            common += 1
        denominator += 1
    if denominator < size:
        denominator = min(size, denominator + (a.size - i) + (b.size - j))
    return common, denominator


def _distance(common: int, denominator: int, k: int) -> tuple[float, float]:
    jaccard = common / denominator
    if common == denominator:
        return 0.0, jaccard
    if common == 0:
        return 1.0, jaccard
    return min(1.0, -np.log(2 * jaccard / (1 + jaccard)) / k), jaccard


def _check_pair(a: Sketch, b: Sketch) -> None:
    if (a.k, a.seed) != (b.k, b.seed):
        raise PhyloInputError(
            "sketches",
            f"were made with k={a.k}, seed {a.seed} and k={b.k}, seed {b.seed}; "
            "compare sketches made alike",
        )


def mash_distance(a: Sketch, b: Sketch) -> tuple[float, float]:
    """(Mash distance, estimated Jaccard index) between two sketches.

    >>> x = sketch([b"ACGTTGCAAGGCTTAACCGGTAAC"], k=21, size=100)
    >>> mash_distance(x, x)
    (0.0, 1.0)
    """
    _check_pair(a, b)
    if not a.hashes.size or not b.hashes.size:
        raise PhyloInputError(
            "sketch", f"holds no {a.k}-mer of A/C/G/T; the sequence is too short or not DNA"
        )
    common, denominator = _shared(a.hashes, b.hashes, min(a.size, b.size))
    return _distance(common, denominator, a.k)


@numba.njit(cache=True, nogil=True)
def _all_shared(
    hashes: U64, offsets: npt.NDArray[np.int64], size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    n = offsets.size - 1
    common = np.zeros((n, n), dtype=np.int64)
    union = np.ones((n, n), dtype=np.int64)
    for x in range(n):
        a = hashes[offsets[x] : offsets[x + 1]]
        common[x, x] = union[x, x] = a.size
        for y in range(x + 1, n):
            c, d = _shared(a, hashes[offsets[y] : offsets[y + 1]], size)
            common[x, y] = common[y, x] = c
            union[x, y] = union[y, x] = d
    return common, union


def sketch_distances(labels: Sequence[str], sketches: Sequence[Sketch]) -> DistanceMatrix:
    """Mash distances between every pair of sketches, as a checked matrix."""
    if len(labels) != len(sketches):
        raise PhyloInputError("sketches", f"{len(labels)} labels for {len(sketches)} sketches")
    if not sketches:
        raise PhyloInputError("sketches", "none given; a tree needs at least 2 genomes")
    first = sketches[0]
    for label, s in zip(labels, sketches, strict=True):
        _check_pair(first, s)
        if not s.hashes.size:
            raise PhyloInputError(
                f"genome {label!r}",
                f"holds no {s.k}-mer of A/C/G/T; it is too short or not a DNA sequence",
            )
    offsets = np.zeros(len(sketches) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([s.hashes.size for s in sketches])
    common, union = _all_shared(
        np.concatenate([s.hashes for s in sketches]), offsets, min(s.size for s in sketches)
    )
    jaccard = common / union
    with np.errstate(divide="ignore"):
        values = np.minimum(1.0, -np.log(2 * jaccard / (1 + jaccard)) / first.k)
    values = np.where(common == union, 0.0, values) + 0.0
    return check_matrix(labels, values, where="MinHash distances")
