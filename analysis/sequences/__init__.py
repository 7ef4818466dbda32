"""Sequences: records and features, composition, ORFs, motifs, alignment, file checks."""

# Records, composition, CDS, ORFs, motifs, alignment, FASTA output.
from analysis.sequences.align import (
    ALIGN_MAX_BP,
    ALIGN_MAX_CELLS,
    Difference,
    PairAlignment,
    align_pair,
)
from analysis.sequences.composition import GcWindows, gc_windows
from analysis.sequences.fasta import to_fasta
from analysis.sequences.features import CdsRow, cds_rows, feature_sequence, region
from analysis.sequences.motifs import MOTIF_MAX_LENGTH, MotifHit, MotifResult, find_motif
from analysis.sequences.orfs import Orf, find_orfs
from analysis.sequences.records import Feature, Record, load_records

# isort: split
# File formats, strict validation, read and assembly statistics.
from analysis.sequences.formats import (
    RECORD_INFO_MAX,
    Compression,
    Format,
    Inventory,
    RecordInfo,
    SequenceFormatError,
    read_stats,
    sniff,
    validate,
)
from analysis.sequences.stats import AssemblyStats, ReadStats, assembly_stats

__all__ = [
    # Records, composition, CDS, ORFs, motifs, alignment, FASTA output.
    "ALIGN_MAX_BP",
    "ALIGN_MAX_CELLS",
    "MOTIF_MAX_LENGTH",
    "CdsRow",
    "Difference",
    "Feature",
    "GcWindows",
    "MotifHit",
    "MotifResult",
    "Orf",
    "PairAlignment",
    "Record",
    "align_pair",
    "cds_rows",
    "feature_sequence",
    "find_motif",
    "find_orfs",
    "gc_windows",
    "load_records",
    "region",
    "to_fasta",
]
__all__ += [
    # File formats, strict validation, read and assembly statistics.
    "RECORD_INFO_MAX",
    "AssemblyStats",
    "Compression",
    "Format",
    "Inventory",
    "ReadStats",
    "RecordInfo",
    "SequenceFormatError",
    "assembly_stats",
    "read_stats",
    "sniff",
    "validate",
]
