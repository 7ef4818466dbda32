"""Mutation detection: calling, formats (GenomeDiff, VCF) and scoring of mutations."""
