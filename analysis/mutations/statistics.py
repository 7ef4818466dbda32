"""Statistics across samples: parallel evolution, mutation spectra, rates, gene profiles.

Every result carries the counts it was computed from and the assumptions of its test, in
words a page can show beside the number.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from sklearn.decomposition import PCA  # type: ignore[import-untyped]

from analysis.mutations.compare import Sample
from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Kind, Mutation

__all__ = [
    "CLASSES",
    "GeneHits",
    "Parallelism",
    "Profiles",
    "Rate",
    "RateRatio",
    "Spectrum",
    "SpectrumTest",
    "compare_spectra",
    "mutation_rate",
    "parallel_genes",
    "profiles",
    "rate_ratio",
    "sample_rates",
    "spectra",
    "spectrum",
]


# Parallel evolution.


@dataclass(frozen=True)
class GeneHits:
    """One gene: ``mutations`` in it over all lines, ``lines`` that hit it, ``expected``
    mutations from its length share, the Poisson upper-tail ``p_value`` and its
    Benjamini-Hochberg ``q_value`` over every gene of the genome."""

    gene: str
    length: int
    mutations: int
    lines: tuple[str, ...]
    expected: float
    p_value: float
    q_value: float


@dataclass(frozen=True)
class Parallelism:
    """Genes hit in at least ``min_lines`` lines, most significant first, with the totals
    the expectation was built from."""

    genes: tuple[GeneHits, ...]
    total_mutations: int
    genome_length: int
    genes_tested: int
    lines: tuple[str, ...]
    assumptions: tuple[str, ...]


def parallel_genes(
    hits: Mapping[str, Sequence[str]],
    gene_lengths: Mapping[str, int],
    genome_length: int,
    total_mutations: int | None = None,
    min_lines: int = 2,
) -> Parallelism:
    """Genes mutated in ``min_lines`` or more independent lines, tested against chance.

    ``hits`` maps each line to the genes its mutations fall in (one entry per mutation and
    gene; a line's mutation shared by several of its samples counted once).
    ``total_mutations`` counts every mutation of every line, intergenic ones too (default:
    the number of entries in ``hits``). Under the null hypothesis mutations land uniformly
    on the genome, so gene g of length L expects ``N * L / genome_length`` of the N
    mutations; its count is tested against a Poisson with that mean (upper tail), and the
    p-values of all genes in ``gene_lengths`` are corrected by Benjamini-Hochberg.

    >>> result = parallel_genes({"L1": ["a"], "L2": ["a"], "L3": ["b"]}, {"a": 100, "b": 900}, 1000)
    >>> [(g.gene, g.mutations, round(g.expected, 2)) for g in result.genes]
    [('a', 2, 0.3)]
    """
    if genome_length <= 0:
        raise MutationInputError(f"genome length is {genome_length}: give it in bases, above 0")
    unknown = sorted({g for genes in hits.values() for g in genes} - set(gene_lengths))
    if unknown:
        raise MutationInputError(
            f"genes {', '.join(unknown[:5])} have no length: give every hit gene's length"
        )
    empty = [g for g, length in gene_lengths.items() if length <= 0]
    if empty:
        raise MutationInputError(f"genes {', '.join(empty[:5])} have no bases: lengths are above 0")
    counted = sum(len(genes) for genes in hits.values())
    total = counted if total_mutations is None else total_mutations
    if total < counted:
        raise MutationInputError(
            f"total_mutations is {total} but the lines have {counted} gene hits: count every "
            "mutation, intergenic ones too"
        )
    names = list(gene_lengths)
    mutations = Counter(g for genes in hits.values() for g in genes)
    lines = {g: tuple(line for line, genes in hits.items() if g in genes) for g in mutations}
    expected = np.array([total * gene_lengths[g] / genome_length for g in names])
    observed = np.array([mutations.get(g, 0) for g in names])
    p_values = np.asarray(stats.poisson.sf(observed - 1, expected))  # P(X >= observed)
    q_values = np.asarray(stats.false_discovery_control(p_values)) if names else p_values
    found = [
        GeneHits(g, gene_lengths[g], int(o), lines[g], float(e), float(p), float(q))
        for g, o, e, p, q in zip(names, observed, expected, p_values, q_values, strict=True)
        if o and len(lines[g]) >= min_lines
    ]
    found.sort(key=lambda h: (h.p_value, h.gene))
    return Parallelism(
        tuple(found),
        total,
        genome_length,
        len(names),
        tuple(hits),
        (
            "lines evolved independently (no shared ancestry after the ancestor)",
            "mutations land uniformly along the genome, so a gene expects its length share",
            "per gene, the count is Poisson with that mean (upper-tail test)",
            f"Benjamini-Hochberg false discovery rate over all {len(names)} genes",
        ),
    )


# Mutation spectrum.

CLASSES = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")  # pyrimidine reference, strands merged
TRANSITIONS = frozenset({"C>T", "T>C"})
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


@dataclass(frozen=True)
class Spectrum:
    """SNP counts by substitution class (``counts`` in :data:`CLASSES` order), with
    ``skipped`` SNPs whose reference or new base is not one of A, C, G, T."""

    counts: tuple[int, ...]
    skipped: int = 0

    @property
    def snps(self) -> int:
        return sum(self.counts)

    @property
    def transitions(self) -> int:
        return sum(n for c, n in zip(CLASSES, self.counts, strict=True) if c in TRANSITIONS)

    @property
    def transversions(self) -> int:
        return self.snps - self.transitions

    @property
    def ts_tv(self) -> float | None:
        """Transitions per transversion (None without transversions)."""
        return self.transitions / self.transversions if self.transversions else None

    def as_dict(self) -> dict[str, int]:
        return dict(zip(CLASSES, self.counts, strict=True))


def substitution_class(reference: str, new: str) -> str:
    """The strand-collapsed class of a base change: a purine reference is read on the other
    strand, so G>T counts as C>A.

    >>> substitution_class("G", "T"), substitution_class("A", "G")
    ('C>A', 'T>C')
    """
    if reference in "AG":
        reference, new = reference.translate(_COMPLEMENT), new.translate(_COMPLEMENT)
    return f"{reference}>{new}"


def spectrum(mutations: Iterable[Mutation], sequences: Mapping[str, str]) -> Spectrum:
    """The substitution classes of the SNPs in ``mutations`` (other kinds are left out);
    the reference base comes from ``sequences[seq_id]``. Each SNP counts once, whatever its
    frequency."""
    counts = Counter[str]()
    skipped = 0
    for m in mutations:
        if m.kind is not Kind.SNP:
            continue
        reference = _reference_base(m, sequences)
        new = m.new_seq.upper()
        if reference not in "ACGT" or new not in ("A", "C", "G", "T"):
            skipped += 1
            continue
        if reference == new:
            raise MutationInputError(
                f"SNP at {m.seq_id}:{m.position} changes {reference} to itself: the sample's "
                "calls do not belong to this reference"
            )
        counts[substitution_class(reference, new)] += 1
    return Spectrum(tuple(counts[c] for c in CLASSES), skipped)


def _reference_base(m: Mutation, sequences: Mapping[str, str]) -> str:
    sequence = sequences.get(m.seq_id)
    if sequence is None or not 1 <= m.position <= len(sequence):
        raise MutationInputError(
            f"SNP at {m.seq_id}:{m.position} is not on the reference "
            f"({', '.join(sequences) or 'no records'}): pass the reference the calls were made on"
        )
    return sequence[m.position - 1].upper()


def spectra(samples: Iterable[Sample], sequences: Mapping[str, str]) -> dict[str, Spectrum]:
    """One spectrum per condition, pooling its samples' SNPs (subtract the ancestor first,
    and count a line's shared SNPs once, by passing one sample per line)."""
    pooled: dict[str, list[Mutation]] = {}
    for s in samples:
        pooled.setdefault(s.condition, []).extend(s.mutations)
    return {condition: spectrum(ms, sequences) for condition, ms in pooled.items()}


@dataclass(frozen=True)
class SpectrumTest:
    """A test that two spectra differ. ``table`` holds the counts tested (rows a, b;
    columns ``categories``), ``expected`` the counts under independence."""

    method: str
    statistic: float
    p_value: float
    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], tuple[int, ...]]
    expected: tuple[tuple[float, ...], tuple[float, ...]]
    dof: int
    assumptions: tuple[str, ...]


MIN_EXPECTED = 5.0  # Cochran's rule: below this in any cell the chi-square is unreliable


def compare_spectra(
    a: Spectrum, b: Spectrum, by: Literal["class", "transition"] = "class"
) -> SpectrumTest:
    """Whether ``a`` and ``b`` differ in substitution classes (``by="class"``, 2x6) or in
    transitions versus transversions (``"transition"``, 2x2).

    Classes neither spectrum has are dropped (they carry no information). A 2x2 table, or
    one with an expected count below 5, is tested with Fisher's exact test (its
    Freeman-Halton extension beyond 2x2); otherwise with Pearson's chi-square test of
    independence without continuity correction.
    """
    categories: tuple[str, ...] = CLASSES
    rows = (a.counts, b.counts)
    if by == "transition":
        categories = ("transitions", "transversions")
        rows = ((a.transitions, a.transversions), (b.transitions, b.transversions))
    kept = [i for i in range(len(categories)) if rows[0][i] + rows[1][i]]
    names = tuple(categories[i] for i in kept)
    table = (tuple(rows[0][i] for i in kept), tuple(rows[1][i] for i in kept))
    if len(kept) < 2 or not sum(table[0]) or not sum(table[1]):
        seen = ", ".join(
            f"{n} {x}+{y}" for n, (x, y) in zip(names, zip(*table, strict=True), strict=True)
        )
        raise MutationInputError(
            "spectra cannot be compared: each needs SNPs, and together at least two classes "
            f"({f'counts {seen}' if seen else 'no SNPs in either'})"
        )
    observed = np.array(table)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    dof = len(kept) - 1
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    small = bool((expected < MIN_EXPECTED).any())
    independence = "each SNP is an independent draw from its condition's spectrum"
    if len(kept) == 2:
        p = float(stats.fisher_exact(observed).pvalue)
        method = "Fisher exact"
        assumptions = (independence, "margins fixed; exact test of a 2x2 table")
    elif small:
        p, method = _freeman_halton(observed)
        why = f"an expected count below {MIN_EXPECTED:g}"
        assumptions = (independence, f"margins fixed; exact test chosen for {why}")
    else:
        p = float(stats.chi2.sf(chi2, dof))
        method = "Pearson chi-square"
        assumptions = (independence, f"every expected count at least {MIN_EXPECTED:g}")
    rounded = tuple(tuple(float(x) for x in row) for row in expected)
    return SpectrumTest(method, chi2, p, names, table, (rounded[0], rounded[1]), dof, assumptions)


MAX_TABLES = 2_000_000  # 2 x k tables enumerated exactly before sampling instead
MONTE_CARLO_TABLES = 100_000


def _freeman_halton(observed: npt.NDArray[np.float64]) -> tuple[float, str]:
    """Fisher's exact test of a 2 x k table (Freeman-Halton): the probability of the tables
    with its margins that are no likelier than it. SciPy's r x c ``fisher_exact`` samples
    tables at random, so they are enumerated here; a table with too many arrangements is
    sampled, with a fixed seed so the page shows the same p each time."""
    counts = observed.astype(np.int64)
    columns, first = counts.sum(axis=0), int(counts[0].sum())
    sums, weights = np.zeros(1, np.int64), np.zeros(1)
    for c in columns:
        x = np.arange(c + 1)
        sums = (sums[:, None] + x[None, :]).ravel()
        weights = (weights[:, None] + _log_choose(c, x)[None, :]).ravel()
        within = sums <= first
        sums, weights = sums[within], weights[within]
        if sums.size > MAX_TABLES:
            method = stats.MonteCarloMethod(MONTE_CARLO_TABLES, rng=np.random.default_rng(0))
            p = float(stats.fisher_exact(counts, method=method).pvalue)
            return p, f"Fisher-Freeman-Halton (Monte Carlo, {MONTE_CARLO_TABLES} tables)"
    weights = weights[sums == first]
    seen = float(_log_choose(columns, counts[0]).sum())
    total = float(_log_choose(columns.sum(), np.array(first)))
    # R's fisher.test tolerance: a table within 1e-7 of the observed one counts as tied.
    extreme = weights[weights <= seen + math.log1p(1e-7)]
    return min(1.0, float(np.exp(extreme - total).sum())), "Fisher-Freeman-Halton exact"


def _log_choose(n: npt.ArrayLike, k: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """log C(n, k), elementwise."""
    n = np.asarray(n)
    return np.asarray(special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1))


# Rates.


@dataclass(frozen=True)
class Rate:
    """Mutations per genome per generation with its exact Poisson (Garwood) interval, and
    per base when the genome length is known."""

    count: int
    generations: float
    rate: float
    lower: float
    upper: float
    confidence: float
    genome_length: int | None
    assumptions: tuple[str, ...]

    @property
    def per_base(self) -> tuple[float, float, float] | None:
        """(rate, lower, upper) per base per generation."""
        if not self.genome_length:
            return None
        n = self.genome_length
        return self.rate / n, self.lower / n, self.upper / n


def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Garwood's exact interval for a Poisson mean after ``count`` events.

    >>> [round(x, 3) for x in poisson_interval(0)]
    [0.0, 3.689]
    """
    alpha = 1.0 - confidence
    lower = 0.0 if count == 0 else float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2
    return lower, float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2


def mutation_rate(
    count: int, generations: float, genome_length: int | None = None, confidence: float = 0.95
) -> Rate:
    """``count`` mutations over ``generations`` as a rate per genome per generation."""
    if count < 0:
        raise MutationInputError(f"mutation count is {count}: give a count of 0 or more")
    if not generations > 0:
        raise MutationInputError(f"generations is {generations}: enter a number above 0")
    if not 0 < confidence < 1:
        raise MutationInputError(f"confidence is {confidence}: give a level between 0 and 1")
    lower, upper = poisson_interval(count, confidence)
    return Rate(
        count,
        generations,
        count / generations,
        lower / generations,
        upper / generations,
        confidence,
        genome_length,
        (
            "mutations arise as a Poisson process at a constant rate per generation",
            "the counted mutations are all that arose (selection and drift neither added "
            "nor removed any; true for neutral sites, an underestimate otherwise)",
            f"exact (Garwood) {confidence:.0%} interval from the chi-square quantiles",
        ),
    )


def sample_rates(
    samples: Iterable[Sample], genome_length: int | None = None, confidence: float = 0.95
) -> dict[str, Rate]:
    """The rate of each sample with generations entered, counting its mutations (pass
    samples with the ancestor's mutations removed)."""
    return {
        s.name: mutation_rate(len(s.mutations), s.generations, genome_length, confidence)
        for s in samples
        if s.generations is not None
    }


@dataclass(frozen=True)
class RateRatio:
    """Flight rate over ground rate with the exact conditional test and its interval."""

    flight_count: int
    flight_exposure: float
    ground_count: int
    ground_exposure: float
    ratio: float | None  # None when neither condition has a mutation
    lower: float
    upper: float
    p_value: float
    confidence: float
    method: str
    assumptions: tuple[str, ...]


def rate_ratio(
    flight_count: int,
    flight_exposure: float,
    ground_count: int,
    ground_exposure: float,
    confidence: float = 0.95,
) -> RateRatio:
    """Compare two Poisson rates: counts over exposures (genome-generations, summed over
    each condition's lines).

    Given the total n, the flight count is binomial with ``p = T_f r_f / (T_f r_f + T_g
    r_g)``; equal rates make ``p0 = T_f / (T_f + T_g)``. This conditional test is exact
    (``scipy.stats.binomtest``, two-sided by likelihood ordering), and inverting the
    Clopper-Pearson interval of p gives an exact interval of the ratio that agrees with it.
    ``poisson_means_test`` (the E-test) can be more powerful but gives no interval.
    """
    for count in (flight_count, ground_count):
        if count < 0:
            raise MutationInputError(f"mutation count is {count}: give counts of 0 or more")
    if not (flight_exposure > 0 and ground_exposure > 0):
        raise MutationInputError(
            "exposures must be above 0: give genome-generations for flight and ground"
        )
    n = flight_count + ground_count
    method = "exact conditional binomial test (Clopper-Pearson interval)"
    assumptions = (
        "each condition's mutations are a Poisson process, lines independent",
        "exposure is genomes x generations, the same mutational target in both conditions",
        "conditional on the total count the flight share is binomial",
    )
    if n == 0:
        nothing = "no mutations in either condition: nothing to test"
        return RateRatio(
            0,
            flight_exposure,
            0,
            ground_exposure,
            None,
            0.0,
            math.inf,
            1.0,
            confidence,
            method,
            (*assumptions, nothing),
        )
    share = flight_exposure / (flight_exposure + ground_exposure)
    test = stats.binomtest(flight_count, n, share)
    low, high = test.proportion_ci(confidence, method="exact")
    scale = ground_exposure / flight_exposure
    return RateRatio(
        flight_count,
        flight_exposure,
        ground_count,
        ground_exposure,
        _odds(flight_count / n) * scale,
        _odds(low) * scale,
        _odds(high) * scale,
        float(test.pvalue),
        confidence,
        method,
        assumptions,
    )


def _odds(p: float) -> float:
    return math.inf if p >= 1.0 else p / (1.0 - p)


# Gene profiles.


@dataclass(frozen=True)
class Profiles:
    """Samples placed by their mutated genes. ``coordinates`` are the first two principal
    components (one row per sample in ``samples`` order); ``linkage`` is SciPy's linkage
    matrix (average linkage on Jaccard distances) and ``order`` the dendrogram's leaf order
    as sample names. ``note`` says what is shown instead when there is nothing to place."""

    samples: tuple[str, ...]
    conditions: tuple[str, ...]
    genes: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]
    coordinates: tuple[tuple[float, float], ...]
    explained: tuple[float, float]
    linkage: tuple[tuple[float, float, float, float], ...]
    order: tuple[str, ...]
    note: str


def profiles(
    genes_by_sample: Mapping[str, Collection[str]], conditions: Mapping[str, str] | None = None
) -> Profiles:
    """PCA and hierarchical clustering of samples on which genes they have mutated.

    The profile of a sample is binary over the union of genes. With one sample, or when
    every profile is the same, there is no spread: every sample sits at the origin, the
    explained variance is 0 and the note says why. Two samples give one component (the
    second coordinate is 0) and one merge.
    """
    names = tuple(genes_by_sample)
    if not names:
        raise MutationInputError("no samples to place: pick at least one sample")
    genes = tuple(sorted({g for gs in genes_by_sample.values() for g in gs}))
    matrix = np.array(
        [[g in genes_by_sample[s] for g in genes] for s in names], dtype=float
    ).reshape(len(names), len(genes))
    coordinates, explained, note = _pca(matrix)
    linkage, order = _clusters(matrix, names)
    return Profiles(
        names,
        tuple((conditions or {}).get(s, "") for s in names),
        genes,
        tuple(tuple(int(x) for x in row) for row in matrix),
        coordinates,
        explained,
        linkage,
        order,
        note,
    )


def _pca(
    matrix: npt.NDArray[np.float64],
) -> tuple[tuple[tuple[float, float], ...], tuple[float, float], str]:
    n = matrix.shape[0]
    origin = tuple((0.0, 0.0) for _ in range(n))
    if n == 1:
        return origin, (0.0, 0.0), "one sample: nothing to compare it with"
    if not np.ptp(matrix, axis=0).any():  # covers a profile without genes too
        return origin, (0.0, 0.0), "all samples have the same mutated genes"
    components = min(2, n - 1, matrix.shape[1])
    pca = PCA(n_components=components, svd_solver="full")
    placed = np.zeros((n, 2))
    placed[:, :components] = pca.fit_transform(matrix)
    ratios = [float(r) for r in pca.explained_variance_ratio_] + [0.0] * (2 - components)
    note = "" if components == 2 else "one principal component: the second axis is 0"
    return tuple((float(x), float(y)) for x, y in placed), (ratios[0], ratios[1]), note


def _clusters(
    matrix: npt.NDArray[np.float64], names: tuple[str, ...]
) -> tuple[tuple[tuple[float, float, float, float], ...], tuple[str, ...]]:
    if len(names) < 2:
        return (), names
    # Two samples without any mutated gene are identical, distance 0 (SciPy's convention).
    distances = pdist(matrix.astype(bool), metric="jaccard")
    linkage = hierarchy.linkage(distances, method="average")
    order = hierarchy.leaves_list(linkage)
    rows = tuple((float(a), float(b), float(h), float(k)) for a, b, h, k in linkage)
    return rows, tuple(names[i] for i in order)
