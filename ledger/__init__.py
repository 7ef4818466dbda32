"""Provenance: dataset records, Merkle batches and the chain client."""
