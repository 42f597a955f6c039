"""Producer updates (issue 12): fetch the General Information figures of every Prague Process
state from the World Bank API v2, the UNHCR population API and the UN DESA International Migrant
Stock workbooks, as :class:`~service.update.records.Release` objects (the design:
``producer-spec.md``).

* :mod:`.http` — the one HTTP client (:class:`~service.update.http.ProducerClient`);
* :mod:`.worldbank`, :mod:`.unhcr`, :mod:`.undesa` — one reader per producer, each returning a
  :class:`~service.update.fetched.Fetched` (releases + skipped-null count);
* :mod:`.states` — the Prague Process states and their codes;
* :mod:`.records` — the dataclasses between fetching and modelling; :mod:`.errors` — UpdateError.
"""
