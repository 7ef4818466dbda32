"""Pure science: sequences, statistics, phylogenetics. Imports no web, database or chain code."""

import warnings

# dash-bootstrap-components 2.0.4's wheel drops a pyproject.toml into site-packages, which
# makes Biopython believe it is imported from its own source tree and warn; here it is not.
warnings.filterwarnings("ignore", message="You may be importing Biopython from inside the source")
