"""VCF lines against lines written by hand, and against Debian's bcftools: it must read the
file, find every REF base in the reference, and have nothing left to normalise."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Evidence, Kind, Mutation
from analysis.mutations.vcf import write_vcf
from analysis.sequences.records import Record

BCFTOOLS = shutil.which("bcftools")
needs_bcftools = pytest.mark.skipif(BCFTOOLS is None, reason="Debian's bcftools is not installed")

# chrA: G A T T T C G C A C A C A T G G | (ACGT) x 25 at 17..116 | C C G G A at 117..121
CHR_A = "GATTTCGCACACATGG" + "ACGT" * 25 + "CCGGA"
CHR_B = "AACGTTGCA" * 10  # base k is "AACGTTGCA"[(k - 1) % 9]
REFERENCE = [
    Record("chrA", "", CHR_A, (), "linear"),
    Record("chrB", "", CHR_B, (), "circular"),
]

MUTATIONS = [
    Mutation(Kind.MOB, "chrB", 30, repeat_name="IS1", strand=-1, duplication_size=9),
    Mutation(Kind.SNP, "chrA", 6, new_seq="T"),
    Mutation(Kind.DEL, "chrA", 5, size=1),  # a T of TTT at 3..5: leftmost is 3
    Mutation(Kind.INS, "chrA", 13, new_seq="CA"),  # into CACACA at 8..13: leftmost after 7
    Mutation(Kind.INS, "chrA", 0, new_seq="T"),  # before the first base
    Mutation(Kind.SUB, "chrA", 14, size=2, new_seq="CC"),
    Mutation(Kind.DEL, "chrA", 20, size=60),  # large, in the ACGT repeat: leftmost is 17
    Mutation(Kind.AMP, "chrA", 100, size=10, copy_number=3),
    Mutation(Kind.DEL, "chrB", 1, size=1),  # the first base: the base after anchors it
    Mutation(Kind.AMP, "chrB", 1, size=60, copy_number=2),
    Mutation(
        Kind.SNP,
        "chrB",
        5,
        new_seq="G",
        frequency=0.25,
        evidence=Evidence(
            depth=40, supporting=(6, 4), reference=(16, 14), quality=57.3, strand_p=0.5
        ),
    ),
]

EXPECTED = """\
##fileformat=VCFv4.2
##source=MicroSpaceGen
##contig=<ID=chrA,length=121>
##contig=<ID=chrB,length=90>
##ALT=<ID=DEL,Description="Deletion relative to the reference">
##ALT=<ID=DUP,Description="Tandem duplication or amplification">
##ALT=<ID=INS:ME:IS1,Description="Insertion of mobile element IS1">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">
##INFO=<ID=SVLEN,Number=1,Type=Integer,Description="Length difference from the reference">
##INFO=<ID=CN,Number=1,Type=Integer,Description="Copies of the amplified segment">
##INFO=<ID=MEINFO,Number=4,Type=String,Description="Mobile element: NAME,START,END,POLARITY">
##INFO=<ID=TSDLEN,Number=1,Type=Integer,Description="Target-site duplication of the mobile \
element insertion (bases; negative: target bases deleted)">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Reads covering the site">
##INFO=<ID=AF,Number=A,Type=Float,Description="Fraction of the population carrying the allele">
##INFO=<ID=SB,Number=1,Type=Float,Description="Fisher exact p-value of strand bias, supporting \
vs reference reads">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Haploid genotype (. for a mixed population)">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Fraction of the population carrying the allele">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Reads covering the site">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Reads supporting the reference and the allele">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	evolved-7
chrA	1	.	G	TG	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrA	2	.	AT	A	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrA	6	.	C	T	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrA	7	.	G	GCA	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrA	14	.	TG	CC	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrA	16	.	G	<DEL>	.	PASS	SVTYPE=DEL;END=76;SVLEN=-60;AF=1	GT:AF:DP:AD	1:1:.:.
chrA	99	.	G	<DUP>	.	PASS	SVTYPE=DUP;END=109;SVLEN=10;CN=3;AF=1	GT:AF:DP:AD	1:1:.:.
chrB	1	.	AA	A	.	PASS	AF=1	GT:AF:DP:AD	1:1:.:.
chrB	1	.	A	<DUP>	.	PASS	SVTYPE=DUP;END=60;SVLEN=60;CN=2;AF=1	GT:AF:DP:AD	1:1:.:.
chrB	5	.	T	G	57.3	PASS	DP=40;AF=0.25;SB=0.5	GT:AF:DP:AD	.:0.25:40:30,10
chrB	30	.	C	<INS:ME:IS1>	.	PASS	SVTYPE=INS;END=30;MEINFO=IS1,.,.,-;TSDLEN=9;AF=1\
	GT:AF:DP:AD	1:1:.:.
"""


def test_lines_by_hand() -> None:
    assert write_vcf(MUTATIONS, REFERENCE, sample="evolved-7") == EXPECTED


def test_no_mutations_gives_the_header() -> None:
    text = write_vcf([], REFERENCE)
    assert text.splitlines()[-1].endswith("\tFORMAT\tsample")
    assert not any(line.startswith(("##INFO", "##ALT")) for line in text.splitlines())


def test_symbolic_deletion_threshold() -> None:
    sequence = "C" + "ACGTTGCA" * 20
    record = [Record("c", "", sequence, (), "linear")]
    short = write_vcf([Mutation(Kind.DEL, "c", 30, size=50)], record).splitlines()[-1]
    large = write_vcf([Mutation(Kind.DEL, "c", 30, size=51)], record).splitlines()[-1]
    assert short.split("\t")[3:5] == [sequence[28:79], sequence[28]]
    assert large.split("\t")[3:5] == [sequence[28], "<DEL>"]
    assert "END=80;SVLEN=-51" in large


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (Mutation(Kind.SNP, "chrC", 3, new_seq="A"), "names record 'chrC'.*lacks"),
        (Mutation(Kind.SNP, "chrA", 2, new_seq="A"), "replaces A with A"),
        (Mutation(Kind.SNP, "chrA", 2, new_seq="CC"), "one base for a SNP"),
        (Mutation(Kind.SNP, "chrA", 122, new_seq="A"), "does not lie within the record"),
        (Mutation(Kind.SUB, "chrA", 120, size=3, new_seq="AAA"), "positions 1..121"),
        (Mutation(Kind.INS, "chrA", 5, new_seq="AXA"), "new_seq 'AXA'"),
        (Mutation(Kind.INS, "chrA", 5, new_seq=""), "non-empty new_seq"),
        (Mutation(Kind.DEL, "chrA", 100, size=30), "does not lie within"),
        (Mutation(Kind.AMP, "chrA", 100, size=0, copy_number=2), "size of at least 1"),
        (Mutation(Kind.MOB, "chrA", 5, strand=1), "repeat_name"),
    ],
)
def test_bad_mutations_are_refused(mutation: Mutation, message: str) -> None:
    with pytest.raises(MutationInputError, match=message):
        write_vcf([mutation], REFERENCE)


def test_bad_names_are_refused() -> None:
    with pytest.raises(MutationInputError, match="record name 'chr A'"):
        write_vcf([], [Record("chr A", "", "ACGT", (), "linear")])
    with pytest.raises(MutationInputError, match="sample 'a,b'"):
        write_vcf([], REFERENCE, sample="a,b")


def test_records_are_named_by_locus_name() -> None:
    # As GenomeDiff and the caller name them: bull_2.gbk is LOCUS T7, ACCESSION unknown.
    record = Record("unknown", "", "ACGT", (), "linear", name="T7")
    text = write_vcf([Mutation(Kind.SNP, "T7", 2, new_seq="G")], [record])
    assert "##contig=<ID=T7,length=4>" in text.splitlines()
    assert text.splitlines()[-1].startswith("T7\t2\t.\tC\tG\t")
    with pytest.raises(MutationInputError, match="names record 'unknown'"):
        write_vcf([Mutation(Kind.SNP, "unknown", 2, new_seq="G")], [record])


def test_repeat_names_are_made_fit_for_a_symbolic_allele() -> None:
    mob = Mutation(Kind.MOB, "chrA", 5, repeat_name="IS3 <family>", strand=1)
    line = write_vcf([mob], REFERENCE).splitlines()[-1]
    assert line.split("\t")[4] == "<INS:ME:IS3__family_>"


# bcftools as the independent judge.


def bcftools(*args: str) -> subprocess.CompletedProcess[str]:
    assert BCFTOOLS is not None
    return subprocess.run([BCFTOOLS, *args], capture_output=True, text=True, check=False)


def records(text: str) -> list[list[str]]:
    return [line.split("\t")[:5] for line in text.splitlines() if not line.startswith("#")]


def check_with_bcftools(vcf: str, reference: list[Record], tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text("".join(f">{r.id}\n{r.sequence}\n" for r in reference))
    path = tmp_path / "calls.vcf"
    path.write_text(vcf)
    view = bcftools("view", str(path))
    assert view.returncode == 0, view.stderr
    assert view.stderr == ""
    assert records(view.stdout) == records(vcf)
    norm = bcftools("norm", "--check-ref", "e", "-f", str(fasta), str(path))
    assert norm.returncode == 0, norm.stderr
    assert records(norm.stdout) == records(vcf)  # nothing left to shift, trim or fix
    # stderr: "Lines   total/split/realigned/skipped:<TAB>n/0/0/0"
    total, split, realigned, skipped = norm.stderr.split(":")[-1].strip().split("/")
    assert (int(total), split, realigned, skipped) == (len(records(vcf)), "0", "0", "0")


@needs_bcftools
def test_bcftools_reads_it_and_finds_it_normalised(tmp_path: Path) -> None:
    check_with_bcftools(write_vcf(MUTATIONS, REFERENCE), REFERENCE, tmp_path)


@needs_bcftools
def test_bcftools_leaves_random_repeat_indels_in_place(tmp_path: Path) -> None:
    rng = random.Random(7)
    units = ["A", "AC", "ACG", "AATG", "T"]
    sequence = "".join(rng.choice(units) * rng.randint(1, 6) for _ in range(120))
    reference = [Record("r", "", sequence, (), "linear")]
    mutations = []
    for _ in range(400):
        size = rng.randint(1, 8)
        if rng.random() < 0.5:
            position = rng.randint(1, len(sequence) - size + 1)
            mutations.append(Mutation(Kind.DEL, "r", position, size=size))
        else:
            position = rng.randint(0, len(sequence))
            # Insert a copy of nearby bases, as repeat expansions do, or random bases.
            start = max(position - size, 0)
            copied = sequence[start : start + size] or "G"
            new = copied if rng.random() < 0.7 else "".join(rng.choices("ACGT", k=size))
            mutations.append(Mutation(Kind.INS, "r", position, new_seq=new))
    check_with_bcftools(write_vcf(mutations, reference), reference, tmp_path)
