"""Parameters of the chain: defaults as YAML next to this file, parsed and checked by its modules."""
