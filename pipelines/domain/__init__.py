"""Domain data (counties, header aliases, labels, indicators) loaded from the YAML files beside this module."""
