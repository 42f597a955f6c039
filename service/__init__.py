"""migkg: a linked-data knowledge graph of migration profiles.

The package builds the dataset from ``ontology/``, ``graph_data/`` and ``shapes/``
(:mod:`service.build`, :mod:`service.validation`) and serves it (:func:`create_app`).
"""
