"""Tests of analysis.mutations."""
