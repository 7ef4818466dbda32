"""Tree files: Newick, Nexus and PhyloXML round trips (read back by Bio.Phylo, an independent
reader, and by ours), files written by Bio.Phylo and by hand, and refused uploads."""

from __future__ import annotations

import io

import pytest
from Bio import Phylo
from Bio.Phylo import Newick

from analysis.phylo import PhyloInputError
from analysis.phylo.tree_io import TREE_FORMATS, detect_format, read_tree, write_tree

TREE = "((a:0.123456789012,'b c':2)95:0.5,(d:1,'O''Brien':2.5e-07)inner:1e-09,f:3);"
EXPECTED = [  # (name, branch length, support) in preorder, from TREE by hand
    (None, None, None),
    (None, 0.5, 95.0),
    ("a", 0.123456789012, None),
    ("b c", 2.0, None),
    ("inner", 1e-09, None),
    ("d", 1.0, None),
    ("O'Brien", 2.5e-07, None),
    ("f", 3.0, None),
]


def bio_clades(data: bytes, fmt: str) -> list[tuple[str | None, float | None, float | None]]:
    tree = Phylo.read(io.StringIO(data.decode()), fmt)
    out = []
    for i, clade in enumerate(tree.find_clades(order="preorder")):
        name = clade.name
        if fmt == "nexus" and name and name.startswith("'"):  # Bio.Nexus keeps quotes
            name = name[1:-1].replace("''", "'")
        length = None if i == 0 else clade.branch_length
        support = clade.confidence
        out.append((name, length, None if support is None else float(support)))
    return out


@pytest.mark.parametrize("fmt", TREE_FORMATS)
def test_round_trip_keeps_lengths_supports_and_names(fmt: str) -> None:
    data = write_tree(TREE, fmt)
    assert bio_clades(data, fmt) == EXPECTED
    assert read_tree(data, f"tree.{fmt}") == TREE
    assert detect_format(data.decode(), "upload") == fmt


def test_phyloxml_confidence_is_written_as_bootstrap() -> None:
    assert b'<confidence type="bootstrap">95.0</confidence>' in write_tree(TREE, "phyloxml")


def test_reads_files_biopython_wrote() -> None:
    clade = Newick.Clade
    tree = Newick.Tree(
        root=clade(
            clades=[
                clade(0.25, confidence=71, clades=[clade(0.5, "x"), clade(1.5, "y")]),
                clade(2.0, "z"),
                clade(0.75, "w"),
            ]
        )
    )
    for fmt in ("newick", "nexus", "phyloxml"):
        out = io.StringIO()
        if fmt == "phyloxml":
            Phylo.write(tree.as_phyloxml(), out, fmt)
        else:
            Phylo.write(tree, out, fmt)
        assert (
            read_tree(out.getvalue().encode(), f"bio.{fmt}") == "((x:0.5,y:1.5)71:0.25,z:2,w:0.75);"
        )


def test_hand_written_phyloxml_with_taxonomy_names() -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<phyloxml xmlns="http://www.phyloxml.org">
 <phylogeny rooted="true">
  <clade>
   <clade><branch_length>0.06</branch_length>
    <confidence type="probability">0.5</confidence>
    <confidence type="bootstrap">89</confidence>
    <clade><name>A</name><branch_length>0.102</branch_length></clade>
    <clade><branch_length>0.23</branch_length>
     <taxonomy><scientific_name>Bacillus subtilis</scientific_name></taxonomy></clade>
   </clade>
   <clade><name>C</name><branch_length>0.4</branch_length></clade>
  </clade>
 </phylogeny>
</phyloxml>"""
    assert read_tree(xml, "t.xml") == "((A:0.102,'Bacillus subtilis':0.23)89:0.06,C:0.4);"


def test_nexus_with_translate_table() -> None:
    nexus = b"""#NEXUS
begin trees;
  translate 1 Bacillus_subtilis, 2 'E. coli', 3 Micrococcus;
  tree best = [&U] ((1:0.1,2:0.2)77:0.05,3:0.3);
end;
"""
    assert read_tree(nexus, "mrbayes.con.tre") == (
        "((Bacillus_subtilis:0.1,'E. coli':0.2)77:0.05,Micrococcus:0.3);"
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty"),
        (b"\x1f\x8b\x08\x00", "is binary data"),
        (b"(a,b);\n(c,d);\n", "holds 2 trees"),
        (b"((a,b),c;", "unbalanced parentheses"),
        (b"(a,b,a);", "tip name 'a' appears twice"),
        (b"(a,,b);", "expected a tip name"),
        (b"#NEXUS\nbegin trees; tree t1 = (a,b);\ntree t2 = (c,d);\nend;\n", "holds 2 trees"),
        (b"#NEXUS\nbegin taxa; dimensions ntax=2; end;\n", "holds 0 trees"),
        (b"#NEXUS\nbegin trees; tree t1 = ((a,b);\nend;\n", "is not valid nexus"),
        (b"<phyloxml><phylogeny><clade><name>a</name>", "is not valid phyloxml"),
        (b"hello world", "is not recognisable as a tree file"),
    ],
)
def test_bad_uploads_are_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(PhyloInputError) as info:
        read_tree(data, "upload.txt")
    assert fragment in str(info.value)
    assert str(info.value).startswith("upload.txt")


def test_more_than_100000_tips_refused() -> None:
    text = "(" + ",".join(f"t{i}" for i in range(100_001)) + ");"
    with pytest.raises(PhyloInputError, match="has 100,001 tips; at most 100,000"):
        read_tree(text.encode(), "big.nwk")


def test_unknown_format_refused() -> None:
    with pytest.raises(PhyloInputError, match="'svg' is not one of"):
        write_tree(TREE, "svg")
    with pytest.raises(PhyloInputError, match="'svg' is not one of"):
        read_tree(b"(a,b);", "t.nwk", "svg")
