"""Tests of analysis.phylo."""
