"""Names of the environment variables that configure the chain, for messages that tell
users what to set (read by the app's configuration, not here)."""

from typing import Final

KEYFILE_VARIABLE: Final = "MICROSPACEGEN_CHAIN_KEYFILE"
PASSWORD_VARIABLE: Final = "MICROSPACEGEN_CHAIN_PASSWORD"  # noqa: S105 - a variable's name
CONTRACT_VARIABLE: Final = "MICROSPACEGEN_CHAIN_CONTRACT"
