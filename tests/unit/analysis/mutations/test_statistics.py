"""Statistics against independent references: textbook Poisson intervals, chi-square and
Fisher values worked by hand, and tail sums and table enumerations written out here with
``math`` (another method than the SciPy routines the module calls)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from analysis.mutations import statistics
from analysis.mutations.compare import GROUND_CONTROL, SPACE_FLIGHT, Sample
from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Kind, Mutation
from analysis.mutations.statistics import (
    CLASSES,
    Spectrum,
    compare_spectra,
    mutation_rate,
    parallel_genes,
    poisson_interval,
    profiles,
    rate_ratio,
    sample_rates,
    spectra,
    spectrum,
)


def poisson_pmf(k: int, mean: float) -> float:
    return math.exp(-mean) * mean**k / math.factorial(k)


def binomial_pmf(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


# Exact Poisson intervals.


def test_garwood_interval_gives_textbook_values() -> None:
    # Tables of exact Poisson limits (e.g. Ulm 1990; Sahai & Khurshid): 0 -> (0, 3.689),
    # 10 -> (4.795, 18.39).
    assert poisson_interval(0) == (0.0, pytest.approx(3.689, abs=5e-4))
    low, high = poisson_interval(10)
    assert low == pytest.approx(4.795, abs=5e-4)
    assert high == pytest.approx(18.39, abs=5e-3)
    # With no events the upper limit solves exp(-m) = alpha / 2.
    assert poisson_interval(0, 0.90)[1] == pytest.approx(-math.log(0.05), rel=1e-9)


@pytest.mark.parametrize("count", [1, 3, 10, 25])
def test_garwood_limits_leave_alpha_over_two_in_each_tail(count: int) -> None:
    low, high = poisson_interval(count)
    below = sum(poisson_pmf(j, high) for j in range(count + 1))  # P(X <= k | upper)
    above = 1 - sum(poisson_pmf(j, low) for j in range(count))  # P(X >= k | lower)
    assert below == pytest.approx(0.025, rel=1e-6)
    assert above == pytest.approx(0.025, rel=1e-6)


def test_mutation_rate_per_genome_and_per_base_per_generation() -> None:
    rate = mutation_rate(10, 1000, genome_length=4_000_000)
    assert rate.rate == pytest.approx(0.01)
    assert (rate.lower, rate.upper) == (
        pytest.approx(0.004795, abs=5e-7),
        pytest.approx(0.01839, abs=5e-6),
    )
    assert rate.per_base is not None
    assert rate.per_base[0] == pytest.approx(0.01 / 4_000_000)
    assert (rate.count, rate.generations) == (10, 1000)
    assert rate.assumptions
    with pytest.raises(MutationInputError, match="generations"):
        mutation_rate(3, 0)


def test_sample_rates_skip_samples_without_generations() -> None:
    snp = Mutation(Kind.SNP, "c", 1, new_seq="T")
    rates = sample_rates(
        [Sample("a", SPACE_FLIGHT, (snp, snp), 500.0), Sample("b", SPACE_FLIGHT, (snp,))]
    )
    assert list(rates) == ["a"]
    assert rates["a"].rate == pytest.approx(2 / 500)


# Rate ratio: the conditional binomial test, enumerated here.


def two_sided_binomial_p(k: int, n: int, p: float) -> float:
    observed = binomial_pmf(k, n, p)
    return sum(
        binomial_pmf(j, n, p)
        for j in range(n + 1)
        if binomial_pmf(j, n, p) <= observed * (1 + 1e-7)
    )


def test_rate_ratio_matches_enumerated_binomial_test_and_interval() -> None:
    result = rate_ratio(18, 3000.0, 6, 2000.0)
    assert result.ratio == pytest.approx((18 / 3000) / (6 / 2000))
    assert result.p_value == pytest.approx(two_sided_binomial_p(18, 24, 0.6), rel=1e-9)
    # Each limit of the ratio is a flight share p = r T_f / (r T_f + T_g) whose binomial tail
    # beyond 18 of 24 holds alpha / 2.
    share_low = result.lower * 3000 / (result.lower * 3000 + 2000)
    share_high = result.upper * 3000 / (result.upper * 3000 + 2000)
    assert sum(binomial_pmf(j, 24, share_low) for j in range(18, 25)) == pytest.approx(0.025)
    assert sum(binomial_pmf(j, 24, share_high) for j in range(19)) == pytest.approx(0.025)
    assert result.lower < result.ratio < result.upper


def test_rate_ratio_of_equal_rates_is_one_and_not_significant() -> None:
    result = rate_ratio(10, 100.0, 10, 100.0)
    assert result.ratio == pytest.approx(1.0)
    assert result.p_value == pytest.approx(1.0)


def test_rate_ratio_edge_counts() -> None:
    none = rate_ratio(0, 10.0, 0, 10.0)
    assert none.ratio is None
    assert none.p_value == 1.0
    only_flight = rate_ratio(5, 10.0, 0, 10.0)
    assert (only_flight.ratio, only_flight.upper) == (math.inf, math.inf)
    assert only_flight.p_value == pytest.approx(2 * 0.5**5)  # all 5 in flight, or all in ground


# Spectrum.

#          1234567890
REFERENCE = "ACGTACGTAC"


def snp(position: int, new: str) -> Mutation:
    return Mutation(Kind.SNP, "c", position, new_seq=new)


def test_spectrum_collapses_strands_onto_pyrimidine_references() -> None:
    mutations = [
        snp(2, "T"),  # C>T
        snp(3, "A"),  # G>A is C>T on the other strand
        snp(4, "C"),  # T>C
        snp(5, "G"),  # A>G is T>C
        snp(3, "T"),  # G>T is C>A
        snp(1, "T"),  # A>T is T>A
        Mutation(Kind.DEL, "c", 2, size=1),  # not a substitution: left out
    ]
    result = spectrum(mutations, {"c": REFERENCE})
    assert result.as_dict() == {"C>A": 1, "C>G": 0, "C>T": 2, "T>A": 1, "T>C": 2, "T>G": 0}
    assert (result.transitions, result.transversions, result.ts_tv) == (4, 2, 2.0)


def test_spectrum_refuses_snps_that_do_not_fit_the_reference() -> None:
    with pytest.raises(MutationInputError, match="to itself"):
        spectrum([snp(2, "C")], {"c": REFERENCE})
    with pytest.raises(MutationInputError, match="not on the reference"):
        spectrum([snp(11, "C")], {"c": REFERENCE})


def test_spectra_by_condition() -> None:
    samples = [
        Sample("f1", SPACE_FLIGHT, (snp(2, "T"),)),
        Sample("f2", SPACE_FLIGHT, (snp(4, "G"),)),
        Sample("g1", GROUND_CONTROL, (snp(2, "A"),)),
    ]
    result = spectra(samples, {"c": REFERENCE})
    assert result[SPACE_FLIGHT].as_dict()["C>T"] == 1
    assert result[SPACE_FLIGHT].as_dict()["T>G"] == 1
    assert result[GROUND_CONTROL].as_dict()["C>A"] == 1


def make_spectrum(**counts: int) -> Spectrum:
    return Spectrum(tuple(counts.get(c.replace(">", "_"), 0) for c in CLASSES))


def test_chi_square_matches_a_hand_computed_table() -> None:
    a = make_spectrum(C_A=10, C_T=30, T_C=20)
    b = make_spectrum(C_A=20, C_T=20, T_C=20)
    result = compare_spectra(a, b)
    # Margins 60/60 and 30/50/40 of 120: expected 15, 25, 20 in each row.
    # X2 = 2 * (25/15 + 25/25 + 0) = 16/3 on 2 degrees of freedom, where the chi-square
    # tail is exp(-x/2).
    assert result.method == "Pearson chi-square"
    assert result.categories == ("C>A", "C>T", "T>C")  # empty classes dropped
    assert result.table == ((10, 30, 20), (20, 20, 20))
    assert result.expected == ((15.0, 25.0, 20.0), (15.0, 25.0, 20.0))
    assert result.statistic == pytest.approx(16 / 3)
    assert result.dof == 2
    assert result.p_value == pytest.approx(math.exp(-8 / 3))


def test_transitions_versus_transversions_use_fishers_exact_test() -> None:
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: hypergeometric weights 1, 16, 36, 16, 1
    # over 70; the two-sided p sums those no likelier than 16: 34/70.
    a = make_spectrum(C_T=3, C_A=1)
    b = make_spectrum(C_T=1, C_A=3)
    result = compare_spectra(a, b, by="transition")
    assert result.method == "Fisher exact"
    assert result.table == ((3, 1), (1, 3))
    assert result.p_value == pytest.approx(34 / 70)


def enumerated_fisher(table: tuple[tuple[int, ...], tuple[int, ...]]) -> float:
    """Freeman-Halton p of a 2 x k table: every first row with the same margins, weighted
    by the multivariate hypergeometric, summed where no likelier than the observed."""
    columns = [x + y for x, y in zip(*table, strict=True)]
    first = sum(table[0])
    total = math.comb(sum(columns), first)

    def weight(row: tuple[int, ...]) -> float:
        return math.prod(math.comb(c, x) for c, x in zip(columns, row, strict=True)) / total

    observed = weight(table[0])
    rows = (r for r in itertools.product(*(range(c + 1) for c in columns)) if sum(r) == first)
    return sum(w for r in rows if (w := weight(r)) <= observed * (1 + 1e-7))


def test_small_counts_use_the_exact_test_over_all_classes() -> None:
    a = make_spectrum(C_A=4, C_T=1, T_G=2)
    b = make_spectrum(C_A=0, C_T=5, T_G=1)
    result = compare_spectra(a, b)
    assert result.method == "Fisher-Freeman-Halton exact"
    assert result.table == ((4, 1, 2), (0, 5, 1))
    assert result.p_value == pytest.approx(enumerated_fisher(result.table), rel=1e-6)


def test_tables_too_many_to_enumerate_are_sampled_and_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statistics, "MAX_TABLES", 1)
    a = make_spectrum(C_A=4, C_T=1, T_G=2)
    b = make_spectrum(C_A=0, C_T=5, T_G=1)
    result = compare_spectra(a, b)
    assert result.method.startswith("Fisher-Freeman-Halton (Monte Carlo")
    assert result.p_value == pytest.approx(enumerated_fisher(result.table), abs=0.005)


def test_spectra_without_snps_cannot_be_compared() -> None:
    with pytest.raises(MutationInputError, match="cannot be compared"):
        compare_spectra(make_spectrum(C_A=3), make_spectrum())


# Parallel evolution.


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    m = len(p_values)
    ranked = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):  # from the largest p down, keeping the running minimum
        i = ranked[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def test_parallel_genes_against_poisson_tails_and_hand_bh() -> None:
    lengths = {"mutS": 2_000, "rpoB": 4_000, "tiny": 100, "idle": 3_900}
    hits = {
        "F1": ["tiny", "rpoB"],
        "F2": ["tiny", "mutS"],
        "F3": ["tiny", "mutS", "mutS"],
        "G1": ["rpoB"],
    }
    result = parallel_genes(hits, lengths, genome_length=100_000, total_mutations=20)
    # 20 mutations over 100 kb: a gene expects 20 * length / 100000.
    expected = {g: 20 * n / 100_000 for g, n in lengths.items()}
    observed = {"mutS": 3, "rpoB": 2, "tiny": 3, "idle": 0}
    p = {g: 1 - sum(poisson_pmf(j, expected[g]) for j in range(k)) for g, k in observed.items()}
    q = dict(zip(lengths, benjamini_hochberg([p[g] for g in lengths]), strict=True))
    assert [h.gene for h in result.genes] == ["tiny", "mutS", "rpoB"]  # by p; idle unhit
    for h in result.genes:
        assert h.mutations == observed[h.gene]
        assert h.expected == pytest.approx(expected[h.gene])
        assert h.p_value == pytest.approx(p[h.gene], rel=1e-9)
        assert h.q_value == pytest.approx(q[h.gene], rel=1e-9)
    assert result.genes[0].lines == ("F1", "F2", "F3")
    assert (result.total_mutations, result.genes_tested) == (20, 4)


def test_a_gene_hit_repeatedly_in_one_line_is_not_parallel() -> None:
    result = parallel_genes({"F1": ["a", "a", "a"], "F2": ["b"]}, {"a": 10, "b": 10}, 100)
    assert result.genes == ()


def test_parallel_genes_need_lengths_and_a_consistent_total() -> None:
    with pytest.raises(MutationInputError, match="no length"):
        parallel_genes({"F1": ["a"]}, {}, 100)
    with pytest.raises(MutationInputError, match="no bases"):
        parallel_genes({"F1": ["a"]}, {"a": 0}, 100)
    with pytest.raises(MutationInputError, match="total_mutations"):
        parallel_genes({"F1": ["a", "a"]}, {"a": 5}, 100, total_mutations=1)


# Gene profiles.


def test_clustering_uses_jaccard_distances_and_average_linkage() -> None:
    # d(A,B) = 1 - 2/3; C shares nothing with either: d = 1. A and B merge at 1/3, then
    # C joins at the average of 1 and 1.
    result = profiles({"A": {"g1", "g2"}, "B": {"g1", "g2", "g3"}, "C": {"g4"}})
    heights = [row[2] for row in result.linkage]
    assert heights == [pytest.approx(1 / 3), pytest.approx(1.0)]
    assert {int(result.linkage[0][0]), int(result.linkage[0][1])} == {0, 1}
    assert result.order[1] != "C"  # A and B stay together in the leaf order
    assert result.genes == ("g1", "g2", "g3", "g4")
    assert result.matrix == ((1, 1, 0, 0), (1, 1, 1, 0), (0, 0, 0, 1))


def test_average_linkage_averages_over_cluster_members() -> None:
    # A and B are identical (d 0); C is 1/2 from each; D is 1 from every other sample:
    # after {A,B} at 0, C joins at (1/2 + 1/2)/2, D at 1.
    result = profiles({"A": {"x"}, "B": {"x"}, "C": {"x", "y"}, "D": {"z"}})
    assert [row[2] for row in result.linkage] == [
        pytest.approx(0.0),
        pytest.approx(0.5),
        pytest.approx(1.0),
    ]


def test_pca_coordinates_match_an_eigendecomposition_up_to_sign() -> None:
    genes = {"A": {"g1", "g2"}, "B": {"g1", "g2", "g3"}, "C": {"g4"}, "D": {"g3", "g4"}}
    result = profiles(genes, {"A": SPACE_FLIGHT, "B": SPACE_FLIGHT, "C": GROUND_CONTROL})
    x = np.array(result.matrix, dtype=float)
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    top = np.argsort(values)[::-1][:2]
    scores = centred @ vectors[:, top]
    ours = np.array(result.coordinates)
    for axis in range(2):
        same = np.allclose(ours[:, axis], scores[:, axis], atol=1e-9)
        flipped = np.allclose(ours[:, axis], -scores[:, axis], atol=1e-9)
        assert same or flipped
    explained = values[top] / values.sum()
    assert result.explained == (pytest.approx(explained[0]), pytest.approx(explained[1]))
    assert result.conditions == (SPACE_FLIGHT, SPACE_FLIGHT, GROUND_CONTROL, "")


def test_profiles_of_one_two_and_identical_samples_do_not_crash() -> None:
    one = profiles({"A": {"g1"}})
    assert one.coordinates == ((0.0, 0.0),)
    assert one.order == ("A",)
    assert one.linkage == ()
    assert "one sample" in one.note
    two = profiles({"A": {"g1"}, "B": {"g2"}})
    assert [c[1] for c in two.coordinates] == [0.0, 0.0]  # one component only
    assert abs(two.coordinates[0][0] - two.coordinates[1][0]) == pytest.approx(math.sqrt(2))
    assert two.linkage[0][2] == pytest.approx(1.0)
    same = profiles({"A": {"g1"}, "B": {"g1"}, "C": {"g1"}})
    assert same.coordinates == ((0.0, 0.0),) * 3
    assert "same" in same.note
    assert [row[2] for row in same.linkage] == [0.0, 0.0]
    empty = profiles({"A": set(), "B": set()})
    assert empty.genes == ()
    assert empty.coordinates == ((0.0, 0.0),) * 2
    with pytest.raises(MutationInputError, match="no samples"):
        profiles({})
