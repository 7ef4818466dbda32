"""Annotation against breseq's own annotations of its peer cases, and against codons and
amino acids worked out by hand on small records (both strands, a joined CDS, a CDS across
the origin of a circular record, /codon_start=2, genetic code 4)."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest

from analysis.mutations.annotate import Annotation, Effect, annotate, as_fields
from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import Entry, mutations_from, parse
from analysis.mutations.model import Kind, Mutation
from analysis.sequences.records import Feature, Record, load_records
from tests import peers

# breseq's annotation keys (its evidence, repeat and position keys are not annotation).
ANNOTATION_KEYS = (
    "gene_",
    "genes_",
    "locus_tag",
    "aa_",
    "codon_",
    "snp_type",
    "mutation_category",
    "transl_table",
)


def peer_case(case: str, reference: str) -> tuple[list[Entry], list[Annotation]]:
    folder = peers.breseq() / "tests"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Biopython dislikes breseq's short LOCUS lines
        records = load_records(folder / "data" / reference, "genbank", "none")
    gd = parse((folder / case / "expected.gd").read_bytes())
    entries = [e for e in gd.entries if e.type in Kind.__members__]
    return entries, annotate(mutations_from(gd), records)


def breseq_keys(entry: Entry) -> dict[str, str]:
    return {k: v for k, v in entry.extra.items() if k.startswith(ANNOTATION_KEYS)}


def test_lambda_repeat_indels_carry_breseqs_gene_keys() -> None:
    entries, annotations = peer_case("lambda_short_sequence_repeats", "lambda/lambda.5.gbk")
    assert len(entries) == 4
    for entry, annotation in zip(entries, annotations, strict=True):
        assert as_fields(annotation) == breseq_keys(entry), entry.line
    # Spelled out for the record: INS 9 bp and DEL 3 bp keep NinC's frame, the others not.
    assert [a.effect for a in annotations] == [
        Effect.INFRAME_INDEL,
        Effect.INFRAME_INDEL,
        Effect.FRAMESHIFT,
        Effect.FRAMESHIFT,
    ]
    assert annotations[1].gene_position == "coding (521-523/873 nt)"
    assert annotations[3].locus_tag == "lambdap71"


def test_rel606_deletions_and_mob_carry_breseqs_gene_lists() -> None:
    entries, annotations = peer_case(
        "REL606_fragment_is_mediated_dels", "REL606/REL606.fragment.gbk"
    )
    for entry, annotation in zip(entries, annotations, strict=True):
        assert as_fields(annotation) == breseq_keys(entry), entry.line
        if entry.type == "DEL":
            assert annotation.effect is Effect.GENES_DELETED
            tags = [g.locus_tag for g in annotation.genes]
            assert tags == entry.extra["locus_tags_inactivated"].split(",")
    mob = annotations[2]
    assert mob.effect is Effect.GENE_INTERRUPTED
    assert (mob.gene, mob.gene_position) == ("proA", "coding (495/1254 nt)")
    # pepD is cut, crl lies wholly inside the second deletion.
    assert [(g.name, g.is_partial) for g in annotations[1].genes] == [
        ("pepD", True),
        ("gpt", False),
        ("yafA", False),
        ("crl", False),
    ]


def test_bull_2_calls_on_an_unannotated_genome_are_intergenic_as_breseq_says() -> None:
    entries, annotations = peer_case("bull_2", "bull/bull_2.gbk")
    assert len(entries) == 41
    for entry, annotation in zip(entries, annotations, strict=True):
        assert as_fields(annotation) == breseq_keys(entry), entry.line
        assert annotation.flanking == (None, None)
    assert as_fields(annotations[0])["gene_position"] == "intergenic (–/–)"
    assert as_fields(annotations[2])["mutation_category"] == "large_substitution"


# Hand-made records.


def cds(
    parts: tuple[tuple[int, int, int], ...],
    name: str,
    *,
    kind: str = "CDS",
    table: int = 11,
    codon_start: int = 1,
    is_5prime_partial: bool = False,
) -> Feature:
    strands = {s for _, _, s in parts}
    return Feature(
        type=kind,
        start=min(a for a, _, _ in parts),
        end=max(b for _, b, _ in parts),
        strand=strands.pop() if len(strands) == 1 else 0,
        parts=parts,
        locus_tag=f"T_{name}",
        gene=name,
        product=f"{name} protein",
        protein_id="",
        note="",
        annotated_translation="",
        transl_table=table,
        codon_start=codon_start,
        is_5prime_partial=is_5prime_partial,
    )


# 0-based: fwd CDS 2..17 ATG GAC TGG AAA TAA (M D W K *); gap 17..22; rev CDS 22..34 whose
# coding strand is ATG AAA CCC TGA (M K P *), written reverse-complemented.
TWO_STRANDS = "CC" + "ATGGACTGGAAATAA" + "CCCCC" + "TCAGGGTTTCAT" + "GG"


def two_strands(table: int = 11) -> Record:
    features = (cds(((2, 17, 1),), "fwd", table=table), cds(((22, 34, -1),), "rev"))
    return Record("rec.1", "", TWO_STRANDS, features, "linear", "REC")


def snp(position: int, base: str, seq_id: str = "REC") -> Mutation:
    return Mutation(Kind.SNP, seq_id, position, new_seq=base)


def one(m: Mutation, record: Record) -> Annotation:
    (annotation,) = annotate([m], [record])
    return annotation


@pytest.mark.parametrize(
    ("position", "base", "codons", "aa_change", "effect"),
    [
        (6, "A", "GAC→AAC", "D2N", Effect.NONSYNONYMOUS),  # G of GAC
        (8, "T", "GAC→GAT", "D2D", Effect.SYNONYMOUS),
        (11, "A", "TGG→TGA", "W3*", Effect.STOP_GAINED),
        (15, "C", "TAA→CAA", "*5Q", Effect.STOP_LOST),
        (4, "C", "ATG→ACG", "M1T", Effect.START_LOST),
        (3, "G", "ATG→GTG", "M1M", Effect.SYNONYMOUS),  # GTG still starts with Met
    ],
)
def test_snp_in_a_forward_cds(
    position: int, base: str, codons: str, aa_change: str, effect: Effect
) -> None:
    a = one(snp(position, base), two_strands())
    assert (a.codon_change, a.aa_change, a.effect) == (codons, aa_change, effect)
    assert (a.gene, a.locus_tag, a.strand) == ("fwd", "T_fwd", 1)
    assert a.gene_position == str(position - 2)  # the CDS starts at base 3


def test_genetic_code_4_reads_tga_as_tryptophan() -> None:
    a = one(snp(11, "A"), two_strands(table=4))
    assert (a.codon_change, a.aa_change, a.effect) == ("TGG→TGA", "W3W", Effect.SYNONYMOUS)
    assert as_fields(a)["transl_table"] == "4"


def test_snp_in_a_reverse_cds_is_read_on_the_coding_strand() -> None:
    # Base 31 (0-based 30) is the 4th coding base (the CDS's last base is 0-based 33): its
    # T pairs with the first A of AAA; G on the forward strand makes C, so CAA (Q).
    a = one(snp(31, "G"), two_strands())
    assert (a.codon_change, a.aa_change, a.codon_position) == ("AAA→CAA", "K2Q", 1)
    assert (a.gene, a.strand, a.gene_position) == ("rev", -1, "4")
    # Base 29 is the 6th coding base: forward T→A makes the coding A→T, AAT (N).
    b = one(snp(29, "A"), two_strands())
    assert (b.codon_change, b.aa_change, b.codon_position) == ("AAA→AAT", "K2N", 3)
    fields = as_fields(b)
    assert fields["gene_strand"] == "<"
    assert fields["snp_type"] == "nonsynonymous"
    assert fields["aa_position"] == fields["codon_number"] == "2"


def test_sub_reports_every_codon_it_changes() -> None:
    within = one(Mutation(Kind.SUB, "REC", 6, size=2, new_seq="AG"), two_strands())
    assert (within.codon_change, within.aa_change) == ("GAC→AGC", "D2S")
    across = one(Mutation(Kind.SUB, "REC", 8, size=2, new_seq="GA"), two_strands())
    assert (across.codon_change, across.aa_change) == ("GACTGG→GAGAGG", "DW2ER")


def test_small_indels_mobs_and_their_gene_positions() -> None:
    record = two_strands()
    ins, inframe, rev_del, mob = annotate(
        [
            Mutation(Kind.INS, "REC", 6, new_seq="T"),
            Mutation(Kind.DEL, "REC", 6, size=3),
            Mutation(Kind.DEL, "REC", 29, size=2),
            Mutation(Kind.MOB, "REC", 6, repeat_name="IS1", strand=1),
        ],
        [record],
    )
    assert (ins.effect, ins.gene_position) == (Effect.FRAMESHIFT, "coding (4/15 nt)")
    assert (inframe.effect, inframe.gene_position) == (Effect.INFRAME_INDEL, "coding (4-6/15 nt)")
    # 0-based 28 and 29 are coding bases 6 and 5 of the reverse CDS.
    assert (rev_del.effect, rev_del.gene_position) == (Effect.FRAMESHIFT, "coding (5-6/12 nt)")
    assert mob.effect is Effect.GENE_INTERRUPTED
    assert as_fields(mob)["genes_inactivated"] == "fwd"
    assert as_fields(inframe)["genes_overlapping"] == "fwd"
    assert as_fields(ins)["locus_tags_inactivated"] == "T_fwd"


def test_intergenic_site_between_the_two_strands() -> None:
    # Base 20: 3 past fwd's last base (17) and 3 before rev's first base (23), which lies
    # beyond rev's 3' end since rev runs leftwards.
    a = one(snp(20, "A"), two_strands())
    assert a.effect is Effect.INTERGENIC
    left, right = a.flanking
    assert left is not None
    assert right is not None
    assert ((left.gene.name, left.distance), (right.gene.name, right.distance)) == (
        ("fwd", 3),
        ("rev", 3),
    )
    fields = as_fields(a)
    assert fields["gene_position"] == "intergenic (+3/+3)"
    assert fields["gene_name"] == "fwd/rev"
    assert fields["gene_strand"] == ">/<"
    assert fields["snp_type"] == "intergenic"
    assert "genes_promoter" not in fields  # the site is downstream of both


def test_intergenic_site_upstream_of_both_genes_is_their_promoter() -> None:
    sequence = "A" * 40
    features = (cds(((0, 9, -1),), "left"), cds(((30, 39, 1),), "right"))
    record = Record("r", "", sequence, features, "linear", "R")
    fields = as_fields(one(snp(15, "C", "R"), record))
    # left's last base is 9 (15 - 9 = 6), right's first 31 (31 - 15 = 16); both upstream.
    assert fields["gene_position"] == "intergenic (-6/-16)"
    assert fields["genes_promoter"] == "left,right"
    assert one(snp(5, "C", "R"), Record("r", "", sequence, (), "linear", "R")).flanking == (
        None,
        None,
    )


def test_joined_cds_skips_its_gap() -> None:
    # join(3..5,9..14): ATG + GACTAA, with CCC between the parts.
    sequence = "GG" + "ATG" + "CCC" + "GACTAA" + "GG"
    record = Record("j", "", sequence, (cds(((2, 5, 1), (8, 14, 1)), "jn"),), "linear", "J")
    a = one(snp(9, "A", "J"), record)  # first base of GAC, 4th coding base
    assert (a.codon_change, a.aa_change, a.gene_position) == ("GAC→AAC", "D2N", "4")
    assert one(snp(7, "A", "J"), record).effect is Effect.INTERGENIC


def test_cds_across_the_origin_of_a_circular_record() -> None:
    # join(15..20,1..6) on a 20-base circle: ATGGAC + TGGTAA = M D W *.
    sequence = "TGGTAA" + "CCCCCCCC" + "ATGGAC"
    gene = cds(((14, 20, 1), (0, 6, 1)), "ori")
    record = Record("c", "", sequence, (gene,), "circular", "C")
    w = one(snp(2, "A", "C"), record)  # G of TGG, coding base 8
    assert (w.codon_change, w.aa_change, w.effect) == ("TGG→TAG", "W3*", Effect.STOP_GAINED)
    assert w.gene_position == "8"
    assert as_fields(w)["genes_inactivated"] == "ori"
    d = one(snp(18, "A", "C"), record)
    assert (d.codon_change, d.aa_change) == ("GAC→AAC", "D2N")
    # Base 10 lies 4 past the gene's end (6) and 5 before its start (15), across the gap.
    gap = one(snp(10, "A", "C"), record)
    assert as_fields(gap)["gene_position"] == "intergenic (+4/-5)"


def test_codon_start_2_counts_codons_from_the_second_base() -> None:
    # A 5'-partial CDS over the whole record, read from base 2: GAC TGG TAA.
    sequence = "CGACTGGTAAC"
    gene = cds(((0, 10, 1),), "part", codon_start=2, is_5prime_partial=True)
    record = Record("p", "", sequence, (gene,), "linear", "P")
    a = one(snp(2, "A", "P"), record)
    assert (a.codon_change, a.aa_change, a.codon_number) == ("GAC→AAC", "D1N", 1)
    assert a.gene_position == "2"


def test_overlapping_genes_are_each_annotated() -> None:
    # "ATGAAATAA" read forwards (M K *) and backwards (TTA TTT CAT: L F H).
    sequence = "ATGAAATAA" + "GGG"
    features = (cds(((0, 9, 1),), "plus"), cds(((0, 9, -1),), "minus"))
    record = Record("o", "", sequence, features, "linear", "O")
    a = one(snp(5, "G", "O"), record)  # 0-based 4: coding base 5 of both
    assert (a.gene, a.aa_change) == ("plus", "K2R")
    (other,) = a.others
    assert (other.gene, other.codon_change, other.aa_change) == ("minus", "TTT→TCT", "F2S")
    assert as_fields(a)["genes_overlapping"] == "plus,minus"


def test_rna_genes_and_pseudogenes_are_noncoding() -> None:
    sequence = "A" * 30
    features = (
        cds(((0, 10, 1),), "trn", kind="tRNA"),
        cds(((20, 30, 1),), "pse", kind="gene"),
    )
    features = (features[0], replace(features[1], is_pseudo=True))  # a /pseudo gene alone
    record = Record("n", "", sequence, features, "linear", "N")
    rna, pseudo = annotate([snp(3, "C", "N"), snp(25, "C", "N")], [record])
    assert (rna.effect, rna.gene_position) == (Effect.NONCODING, "noncoding (3/10 nt)")
    assert (pseudo.effect, pseudo.gene_position) == (Effect.PSEUDOGENE, "pseudogene (5/10 nt)")
    assert as_fields(rna)["snp_type"] == "noncoding"


def test_large_events_list_the_genes_they_cover() -> None:
    sequence = "A" * 100
    features = (
        cds(((9, 30, 1),), "a"),
        cds(((39, 60, -1),), "b"),
        cds(((69, 90, 1),), "c"),
    )
    record = Record("l", "", sequence, features, "linear", "L")
    deletion, amplification = annotate(
        [
            Mutation(Kind.DEL, "L", 20, size=51),  # bases 20..70: a's end, b, c's first base
            Mutation(Kind.AMP, "L", 35, size=31, copy_number=2),  # 35..65: all of b
        ],
        [record],
    )
    assert deletion.effect is Effect.GENES_DELETED
    assert [(g.name, g.is_partial) for g in deletion.genes] == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]
    fields = as_fields(deletion)
    assert fields["gene_name"] == "[a]–[c]"
    assert fields["gene_product"] == "[a],b,[c]"
    assert fields["genes_inactivated"] == "a,b,c"
    assert fields["mutation_category"] == "large_deletion"
    assert amplification.effect is Effect.GENES_AMPLIFIED
    assert [(g.name, g.is_partial) for g in amplification.genes] == [("b", False)]


def test_a_mutation_on_an_unknown_record_is_refused() -> None:
    with pytest.raises(MutationInputError, match="'NOPE'"):
        annotate([snp(3, "A", "NOPE")], [two_strands()])


def test_records_are_matched_by_locus_name_or_id() -> None:
    by_id = one(snp(6, "A", "rec.1"), two_strands())
    assert by_id.aa_change == "D2N"


def test_intergenic_search_wraps_around_the_origin_of_a_circle_only() -> None:
    gene = cds(((5, 10, 1),), "mid")  # bases 6..10
    circle = Record("c", "", "A" * 20, (gene,), "circular", "C")
    line = Record("c", "", "A" * 20, (gene,), "linear", "C")
    # Base 18: 8 past base 10; on the circle also 8 before base 6 (19, 20, 1, ..., 5).
    assert one(snp(18, "C", "C"), circle).gene_position == "intergenic (+8/-8)"
    assert one(snp(18, "C", "C"), line).gene_position == "intergenic (+8/–)"
