"""Stand-in for ``rfc3987_syntax`` in the nightly notebook kernels (see pipelines/nightly/fastimport.py).

Raising ImportError makes jsonschema skip only its ``iri`` format checker, instead of compiling
the package's lark grammar (~2.3 s) in every kernel that imports nbformat or plotly's validators.
"""

raise ImportError("rfc3987_syntax is stubbed out in nightly kernels to save ~2.3 s of start-up")
