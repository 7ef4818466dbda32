"""Pure science: sequences, statistics, phylogenetics. Imports no web, database or chain code."""
