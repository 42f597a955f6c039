"""Deterministic generator of a realistic 50-country migration graph for the benchmark.

The graph uses the model of the real data (ontology/, graph_data/): RDF Data Cube observations
with every dimension of ``<https://w3id.org/migkg/id/structure/migration-figures>``, provenance
(``prov:wasDerivedFrom`` a publication, ``prov:hadPrimarySource`` a ``dcat:Dataset`` with a
``dct:publisher``), one ``qb:DataSet`` per country and source, dated function assignments of
authorities, and laws with ELI status and amendments. It starts from the real built dataset
(so every reference resource, label and example query means the same thing) and adds:

* 50 countries (the 36 of the reference data and 14 more), 60 indicators of the real code
  list, 30 years (1995-2024) and 4 source families (the national statistics office, UN DESA,
  the World Bank, UNHCR): each (country, indicator, year, source) exists with probability
  ``density``, so that many figures have rival values from other sources (a few percent apart);
* flows also broken down by counterpart (CIS, non-CIS, Russia), refugees also by sex;
* 8 authorities per country with ~50 function assignments (2016, and changes from 2022);
* 8 laws per country, most in force, with 0-3 amendments.

Output: ``<out>/dataset.nq`` and ``<out>/version.json`` in the layout ``migkg build`` writes
(every triple in a named graph). The same seed gives the same bytes.

Usage: ``python bench/generate.py --real var/generations --out bench/out/bench50`` (the real
dataset from ``migkg build``'s generations folder; the output is a dataset folder that
``bench/generation_bench.py`` publishes as a generation).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import time
from pathlib import Path

MIG = "https://w3id.org/migkg/def#"
QB = "http://purl.org/linked-data/cube#"
SDMX_DIM = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
SDMX_ATTR = "http://purl.org/linked-data/sdmx/2009/attribute#"
SDMX_CODE = "http://purl.org/linked-data/sdmx/2009/code#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIME = "http://www.w3.org/2006/time#"
ELI = "http://data.europa.eu/eli/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"

EXTRA_COUNTRIES = {
    "nl": "Netherlands",
    "it": "Italy",
    "be": "Belgium",
    "at": "Austria",
    "ch": "Switzerland",
    "fi": "Finland",
    "no": "Norway",
    "dk": "Denmark",
    "pt": "Portugal",
    "ro": "Romania",
    "az": "Azerbaijan",
    "ge": "Georgia",
    "md": "Moldova",
    "lv": "Latvia",
}
FAMILIES = ("national", "undesa", "worldbank", "unhcr")
FAMILY_SOURCES = {
    "undesa": "un-desa-ims-2024",
    "worldbank": "world-bank-wdi",
    "unhcr": "unhcr-refugee-statistics",
}
FLOW_INDICATORS = ("immigration-flow", "emigration-flow")
YEARS = range(1995, 2025)


def _iri(value: str) -> str:
    return f"<{value}>"


def _literal(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


class Writer:
    def __init__(self):
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str, g: str) -> None:
        self.lines.append(f"{s} {p} {o} {g} .")


def _real_resources(nquads: str, base: str, kind: str) -> list[str]:
    """Local names of ``<base>id/<kind>/<name>`` subjects typed in the real data."""
    pattern = re.compile(
        r"^<" + re.escape(base) + r"id/" + kind + r"/([^>/]+)> <" + re.escape(RDF_TYPE) + ">",
        re.MULTILINE,
    )
    return sorted(set(pattern.findall(nquads)))


def _read_real(real_dir: Path) -> tuple[str, list[str]]:
    """The real dataset's N-Quads and graph names, from a generations folder (``migkg build``
    output, its ``current`` generation) or a folder holding ``dataset.nq``."""
    import gzip

    current = real_dir / "current"
    if current.exists():
        nquads = gzip.decompress((current / "dumps" / "dataset.nq.gz").read_bytes())
        meta = json.loads((current / "meta.json").read_text(encoding="utf-8"))
        return nquads.decode("utf-8"), [g["iri"] for g in meta["graphs"]]
    text = (real_dir / "dataset.nq").read_text(encoding="utf-8")
    graphs = sorted(set(re.findall(r" <([^>]*)> \.$", text, re.MULTILINE)))
    return text, graphs


def generate(real_dir: Path, out: Path, *, seed: int = 2024, density: float = 0.22) -> dict:
    started = time.perf_counter()
    real, real_graphs = _read_real(real_dir)
    stamp = {"graphs": real_graphs}
    base = re.match(r"^(.*)graph/[^/]+$", stamp["graphs"][0]).group(1)
    rng = random.Random(seed)
    w = Writer()

    def i(local: str) -> str:
        return _iri(base + local)

    graph_ref = i("graph/bench-reference")
    graphs = {family: i(f"graph/bench-{family}") for family in FAMILIES}
    a, label = _iri(RDF_TYPE), _iri(RDFS_LABEL)
    pref = _iri(SKOS + "prefLabel")

    countries = sorted(
        set(_real_resources(real, base, "area"))
        & set(
            re.findall(
                r"^<" + re.escape(base) + r"id/area/([a-z]{2})> <" + re.escape(MIG) + r"isoAlpha2>",
                real,
                re.MULTILINE,
            )
        )
    )
    for code, name in sorted(EXTRA_COUNTRIES.items()):
        if code not in countries:
            w.add(i(f"id/area/{code}"), a, _iri(MIG + "Country"), graph_ref)
            w.add(i(f"id/area/{code}"), pref, _literal(name, lang="en"), graph_ref)
            w.add(i(f"id/area/{code}"), label, _literal(name, lang="en"), graph_ref)
            w.add(
                i(f"id/area/{code}"),
                _iri(MIG + "isoAlpha2"),
                _literal(code.upper(), MIG + "ISO3166Alpha2"),
                graph_ref,
            )
            countries.append(code)
    countries = sorted(countries)[:50]

    counts = {}
    for line in real.splitlines():
        match = re.match(
            r"^\S+ <"
            + re.escape(MIG)
            + r"indicator> <"
            + re.escape(base)
            + r"id/indicator/([^>]+)>",
            line,
        )
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    indicators = sorted(counts, key=lambda name: (-counts[name], name))[:60]
    for name in FLOW_INDICATORS + ("refugees",):
        if name not in indicators:
            indicators[-1] = name

    # Periods: reuse the real year resources, add the missing ones in the same shape.
    real_years = set(
        re.findall(
            r"^<" + re.escape(base) + r"id/period/(\d{4})> <" + re.escape(TIME) + r"hasBeginning>",
            real,
            re.MULTILINE,
        )
    )
    for year in YEARS:
        if str(year) in real_years:
            continue
        period = i(f"id/period/{year}")
        w.add(period, a, _iri(MIG + "ReferencePeriod"), graph_ref)
        w.add(period, label, _literal(str(year), lang="en"), graph_ref)
        for edge, date in (("hasBeginning", f"{year}-01-01"), ("hasEnd", f"{year}-12-31")):
            node = f"_:bench{edge}{year}"
            w.add(period, _iri(TIME + edge), node, graph_ref)
            w.add(node, a, _iri(TIME + "Instant"), graph_ref)
            w.add(node, _iri(TIME + "inXSDDate"), _literal(date, XSD + "date"), graph_ref)

    # Sources and publications.
    def source_of(family: str, country: str) -> str:
        if family != "national":
            return FAMILY_SOURCES[family]
        return "stat-kz" if country == "kz" else f"bench-national-{country}"

    for country in countries:
        if country == "kz":
            continue
        source = i(f"id/source/bench-national-{country}")
        publisher = i(f"id/authority/bench-{country}-statistics")
        w.add(source, a, _iri(DCAT + "Dataset"), graph_ref)
        w.add(
            source,
            _iri(DCT + "title"),
            _literal(f"Official statistics of {country.upper()}", lang="en"),
            graph_ref,
        )
        w.add(source, _iri(DCT + "publisher"), publisher, graph_ref)
        w.add(publisher, a, _iri(MIG + "StateAuthority"), graph_ref)
        w.add(
            publisher,
            label,
            _literal(f"Statistics office of {country.upper()}", lang="en"),
            graph_ref,
        )
    for family in FAMILIES:
        publication = i(f"id/publication/bench-{family}")
        w.add(publication, a, _iri(MIG + "Publication"), graph_ref)
        w.add(
            publication, label, _literal(f"Benchmark compilation ({family})", lang="en"), graph_ref
        )

    # Observations.
    base_values = {(c, ind): rng.uniform(500, 500_000) for c in countries for ind in indicators}
    growth = {(c, ind): rng.uniform(0.97, 1.04) for c in countries for ind in indicators}
    bias = {f: rng.uniform(-0.06, 0.06) for f in FAMILIES}
    fixed = {
        "ethnicGroup": i("id/code/ethnic-group-all"),
        "permitCategory": i("id/code/permit-category-all"),
        "offenceType": i("id/code/offence-type-all"),
        "region": i("id/area/all-regions"),
        "facility": i("id/code/facility-all"),
    }
    p_dataset, p_indicator = _iri(QB + "dataSet"), _iri(MIG + "indicator")
    p_area, p_period, p_sex = (
        _iri(SDMX_DIM + "refArea"),
        _iri(SDMX_DIM + "refPeriod"),
        _iri(SDMX_DIM + "sex"),
    )
    p_counterpart = _iri(MIG + "counterpartArea")
    p_value, p_unit, p_status = (
        _iri(SDMX_MEASURE + "obsValue"),
        _iri(SDMX_ATTR + "unitMeasure"),
        _iri(SDMX_ATTR + "obsStatus"),
    )
    p_published, p_locator = _iri(MIG + "publishedValue"), _iri(MIG + "locator")
    p_derived, p_primary = _iri(PROV + "wasDerivedFrom"), _iri(PROV + "hadPrimarySource")
    fixed_pairs = [(_iri(MIG + k), v) for k, v in fixed.items()]
    observation_class = _iri(QB + "Observation")
    persons = i("id/code/unit-persons")
    status_a = _iri(SDMX_CODE + "obsStatus-A")
    integer = XSD + "integer"
    observations = 0
    datasets = set()
    for country in countries:
        for indicator in indicators:
            breakdowns = [("world", "T")]
            if indicator in FLOW_INDICATORS:
                breakdowns += [(cp, "T") for cp in ("cis", "non-cis", "ru") if cp != country]
            if indicator == "refugees":
                breakdowns += [("world", "F"), ("world", "M")]
            for year in YEARS:
                trend = base_values[country, indicator] * growth[country, indicator] ** (
                    year - 1995
                )
                for family in FAMILIES:
                    for counterpart, sex in breakdowns:
                        if rng.random() >= density:
                            continue
                        share = 1.0 if counterpart == "world" else 0.3
                        share *= 1.0 if sex == "T" else 0.5
                        value = int(trend * share * (1 + bias[family] + rng.uniform(-0.02, 0.02)))
                        source = source_of(family, country)
                        dataset = f"id/dataset/bench-{country}-{family}"
                        datasets.add((dataset, family, source))
                        obs = i(
                            f"id/observation/bench-{country}-{indicator}-{year}-{family}"
                            f"-{counterpart}-{sex}"
                        )
                        g = graphs[family]
                        w.add(obs, a, observation_class, g)
                        w.add(obs, p_dataset, i(dataset), g)
                        w.add(obs, p_indicator, i(f"id/indicator/{indicator}"), g)
                        w.add(obs, p_area, i(f"id/area/{country}"), g)
                        w.add(obs, p_period, i(f"id/period/{year}"), g)
                        w.add(obs, p_sex, _iri(SDMX_CODE + f"sex-{sex}"), g)
                        w.add(obs, p_counterpart, i(f"id/area/{counterpart}"), g)
                        for prop, code in fixed_pairs:
                            w.add(obs, prop, code, g)
                        w.add(obs, p_value, _literal(str(value), integer), g)
                        w.add(obs, p_unit, persons, g)
                        w.add(obs, p_status, status_a, g)
                        w.add(obs, p_published, _literal(f"{value:,}"), g)
                        w.add(obs, p_derived, i(f"id/publication/bench-{family}"), g)
                        w.add(obs, p_primary, i(f"id/source/{source}"), g)
                        locator = (
                            "Table 1"
                            if country == "kz"
                            and family == "national"
                            and 2009 <= year <= 2014
                            and counterpart != "ru"
                            else f"Table {1 + indicators.index(indicator) % 9}"
                        )
                        w.add(obs, p_locator, _literal(locator), g)
                        observations += 1
    for dataset, family, source in sorted(datasets):
        g = graphs[family]
        w.add(i(dataset), a, _iri(QB + "DataSet"), g)
        w.add(i(dataset), _iri(QB + "structure"), i("id/structure/migration-figures"), g)
        w.add(i(dataset), p_derived, i(f"id/publication/bench-{family}"), g)
        w.add(i(dataset), p_primary, i(f"id/source/{source}"), g)

    # Authorities and dated function assignments.
    functions = _real_resources(real, base, "function")
    kinds = ("Ministry", "Committee", "GovernmentAgency", "StateAuthority")
    for country in countries:
        for k in range(8):
            authority = i(f"id/authority/bench-{country}-{k}")
            w.add(authority, a, _iri(MIG + kinds[k % len(kinds)]), graph_ref)
            w.add(
                authority,
                label,
                _literal(f"Authority {k} of {country.upper()}", lang="en"),
                graph_ref,
            )
            for function in rng.sample(functions, 6):
                for period, status in (("asof-2016-04", "performs"),) + (
                    (("from-2022", rng.choice(("performs", "ceased"))),)
                    if rng.random() < 0.3
                    else ()
                ):
                    assignment = i(f"id/assignment/bench/{country}-{k}/{function}/{period}")
                    w.add(assignment, a, _iri(MIG + "FunctionAssignment"), graph_ref)
                    w.add(assignment, _iri(MIG + "authority"), authority, graph_ref)
                    w.add(
                        assignment, _iri(MIG + "function"), i(f"id/function/{function}"), graph_ref
                    )
                    w.add(
                        assignment,
                        _iri(MIG + "assignmentStatus"),
                        i(f"id/assignment-status/{status}"),
                        graph_ref,
                    )
                    w.add(
                        assignment, _iri(MIG + "validDuring"), i(f"id/period/{period}"), graph_ref
                    )
                    w.add(assignment, p_derived, i("id/publication/bench-national"), graph_ref)
                    w.add(
                        authority,
                        _iri(MIG + "hasMigrationFunction"),
                        i(f"id/function/{function}"),
                        graph_ref,
                    )
        for k in range(8):
            law = i(f"id/law/bench-{country}-{k}")
            adopted = rng.randint(1992, 2020)
            w.add(law, a, _iri(MIG + "Law"), graph_ref)
            w.add(law, label, _literal(f"Law {k} of {country.upper()}", lang="en"), graph_ref)
            w.add(law, _iri(MIG + "adoptionYear"), _literal(str(adopted), XSD + "gYear"), graph_ref)
            if rng.random() < 0.8:
                w.add(law, _iri(ELI + "in_force"), _iri(ELI + "InForce-inForce"), graph_ref)
            for year in sorted(rng.sample(range(adopted + 1, 2025), rng.randint(0, 3))):
                amendment = i(f"id/law/bench-{country}-{k}/amendment-{year}")
                w.add(amendment, a, _iri(MIG + "Amendment"), graph_ref)
                w.add(amendment, _iri(ELI + "amends"), law, graph_ref)
                w.add(law, _iri(ELI + "amended_by"), amendment, graph_ref)
                w.add(
                    amendment,
                    _iri(MIG + "adoptionYear"),
                    _literal(str(year), XSD + "gYear"),
                    graph_ref,
                )

    out.mkdir(parents=True, exist_ok=True)
    nquads = real + "\n".join(w.lines) + "\n"
    (out / "dataset.nq").write_text(nquads, encoding="utf-8")
    version = hashlib.sha256(nquads.encode("utf-8")).hexdigest()[:16]
    lines = nquads.count("\n")
    meta = {
        "version": version,
        "built": "2026-01-01T00:00:00+00:00",
        "triples": lines,
        "graphs": sorted(
            set(stamp["graphs"])
            | {base + "graph/bench-reference"}
            | {base + f"graph/bench-{f}" for f in FAMILIES}
        ),
        "generator": {
            "seed": seed,
            "density": density,
            "countries": len(countries),
            "indicators": len(indicators),
            "years": len(YEARS),
            "sources": len(FAMILIES),
            "observations": observations,
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    (out / "version.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=Path, required=True, help="the real built dataset folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--density", type=float, default=0.22)
    args = parser.parse_args()
    print(json.dumps(generate(args.real, args.out, seed=args.seed, density=args.density), indent=2))


if __name__ == "__main__":
    main()
