"""The ``migkg`` command line: build, validate, update, serve, publish and link.

Each command maps expected failures (bad input, failed validation) to an exit code and a
one-line message on stderr; a traceback means a bug.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .config import load_config


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """migkg: migration-profile knowledge graph toolchain."""
    ctx.obj = load_config()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    default=None,
    type=click.Choice(["turtle", "trig", "ntriples", "nquads", "jsonld", "rdfxml"]),
    help="Syntax of PATHS (default: from each extension; .gz is decompressed).",
)
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_obj
def validate(config: dict, paths: tuple[Path, ...], fmt: str | None, quiet: bool) -> None:
    """Validate graph_data/ (or PATHS: Turtle, TriG, N-Triples, N-Quads, JSON-LD or RDF/XML
    files, gzipped or not, e.g. a downloaded dump) against the ontology and shapes.

    Exit 0 when the data conforms (warnings are printed), 1 on violations,
    2 on unreadable input (one line: file:line: reason).
    """
    from .build.sources import SourceError
    from .build.validation import validate_sources

    try:
        report = validate_sources(config, list(paths) or None, fmt)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary() if quiet else report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Generations folder (default GENERATIONS_DIR: var/generations).",
)
@click.option(
    "--force", is_flag=True, help="Publish even if the current generation holds this version."
)
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_obj
def build(config: dict, out_dir: Path | None, force: bool, quiet: bool) -> None:
    """Validate, then publish a new dataset generation (store, catalogue, dumps, figures
    table, descriptions) and switch `current` to it; a running server follows within
    GENERATION_POLL_SECONDS. A failed or interrupted build leaves `current` untouched."""
    from .build.generation import BuildError, build_generation
    from .build.sources import SourceError

    if out_dir is not None:
        config["GENERATIONS_DIR"] = str(out_dir)

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"build: {message}", err=True)

    try:
        result = build_generation(config, force=force, progress=progress)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except BuildError as exc:
        click.echo(f"build failed, previous dataset kept: {exc}", err=True)
        sys.exit(1)
    click.echo(result.summary())


@main.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(["worldbank", "unhcr", "undesa"]),
    help="Only this producer (repeatable; default: all three).",
)
@click.option(
    "--countries", default=None, help="ISO 3166-1 alpha-3 codes, e.g. KAZ,UZB (Kosovo: XKX)."
)
@click.option("--years", default="1990:2024", show_default=True, help="FROM:TO, both included.")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A downloaded UN DESA International Migrant Stock 2024 workbook (repeatable).",
)
@click.option(
    "--dry-run", is_flag=True, help="Fetch and compare, print what would change, publish nothing."
)
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@click.pass_obj
def update(
    config: dict,
    sources: tuple[str, ...],
    countries: str | None,
    years: str,
    files: tuple[Path, ...],
    dry_run: bool,
    quiet: bool,
) -> None:
    """Fetch the General Information of the Prague Process states from the World Bank, UNHCR
    and UN DESA, and publish new or revised figures as a new generation, keeping every
    earlier value (service/update/).

    Exit 0 when new figures were published or nothing was new (the summary says which), 1 when
    the run failed (nothing changed), 2 on a usage error. Safe from cron: a second run at the
    same time fails at once.
    """
    from .update.errors import UpdateError
    from .update.progress import Progress
    from .update.run import SOURCE_NAMES, UpdateOptions, run_update
    from .update.states import parse_countries

    try:
        first, last = (int(part) for part in years.split(":"))
        if not 1900 <= first <= last <= 2100:
            raise ValueError
    except ValueError:
        click.echo(f"error: --years {years!r}: give FROM:TO, e.g. 1990:2024", err=True)
        sys.exit(2)
    try:
        states = parse_countries(countries) if countries else ()
    except UpdateError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if files and sources and "undesa" not in sources:
        click.echo("error: --file is a UN DESA workbook: add --source undesa", err=True)
        sys.exit(2)
    options = UpdateOptions(
        sources=tuple(dict.fromkeys(sources)) or SOURCE_NAMES,
        states=states,
        years=(first, last),
        files=files,
        dry_run=dry_run,
    )
    with Progress(enabled=not quiet) as progress:
        try:
            result = run_update(config, options, progress=progress.step)
        except UpdateError as exc:
            progress.close()
            click.echo(f"update failed, the served data is unchanged: {exc}", err=True)
            sys.exit(1)
    if dry_run and not quiet:
        for figure, old, new in result.changes.revisions:
            click.echo(f"revised {figure}: {old} -> {new}")
    click.echo(result.summary())


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "csv"]),
    default="md",
    show_default=True,
    help="Markdown table to read, or CSV to sort and filter.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@click.option("--doc", default=None, help="Only this publication (mpl-2015, profile-2024).")
@click.pass_obj
def review(config: dict, fmt: str, out: Path | None, doc: str | None) -> None:
    """Every figure in words, in the publication's order: quote, decided reading, interpretation."""
    from .build.review import render, review_rows
    from .build.sources import SourceError

    try:
        rows = review_rows(config)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if doc:
        rows = [r for r in rows if r.figure.startswith("mpl-" if doc == "mpl-2015" else "web-")]
    text = render(rows, fmt)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(rows)} figures to {out}", err=True)


@main.command()
@click.option("--host", envvar="MIGKG_HOST", default=None)
@click.option("--port", envvar="MIGKG_PORT", type=int, default=None)
@click.option("--workers", envvar="MIGKG_WORKERS", type=int, default=None)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
@click.pass_obj
def serve(config: dict, host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the built dataset (SPARQL endpoint and pages)."""
    from .web.serving import run

    for key, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            config[key] = value
    run(config, dev=dev)


@main.command()
@click.option(
    "--endpoint", default=None, help="SPARQL endpoint (default: Wikidata's query service)."
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("var/link-review.tsv"),
    show_default=True,
    help="Review file (TSV) to write candidates to.",
)
@click.option(
    "--kinds",
    default="authority,organisation,law",
    show_default=True,
    help="Kinds of entities to look for.",
)
@click.option(
    "--batch-size", type=int, default=10, show_default=True, help="Entities per query (VALUES)."
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option(
    "--retries", type=int, default=4, show_default=True, help="Retries on 429/5xx/unreachable."
)
@click.option(
    "--min-interval",
    type=float,
    default=1.0,
    show_default=True,
    help="Minimum seconds between requests (rate limit).",
)
@click.option("--limit", type=int, default=None, help="Only the first N entities.")
@click.option(
    "--restart", is_flag=True, help="Discard the review file and progress of an earlier run."
)
@click.option(
    "--accept",
    "accept_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Turn the rows marked accept=yes of this review file into a linkset.",
)
@click.option("--name", default=None, help="Name of the linkset file written by --accept.")
@click.pass_obj
def link(
    config: dict,
    endpoint: str | None,
    out: Path,
    kinds: str,
    batch_size: int,
    timeout: float,
    retries: int,
    min_interval: float,
    limit: int | None,
    restart: bool,
    accept_file: Path | None,
    name: str | None,
) -> None:
    """Find Wikidata candidates for unlinked entities, or accept reviewed ones (--accept)."""
    from .build import linking
    from .build.sources import SourceError, load

    endpoint = endpoint or linking.DEFAULT_ENDPOINT
    try:
        if accept_file is not None:
            path, report = linking.accept(accept_file, config, name=name, endpoint=endpoint)
            if path is None:
                click.echo(report.text(), err=True)
                click.echo("links not added: validation failed", err=True)
                sys.exit(1)
            click.echo(f"wrote {path}; {report.summary()}")
            return
        client = linking.SparqlClient(
            endpoint, timeout=timeout, retries=retries, min_interval=min_interval
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        result = linking.discover(
            load(config).union(),
            out,
            client,
            batch_size=batch_size,
            kinds=[k.strip() for k in kinds.split(",") if k.strip()],
            limit=limit,
            restart=restart,
        )
    except (linking.LinkDiscoveryError, SourceError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"{result.candidates} candidates for {result.entities} entities "
        f"({result.skipped} done in an earlier run) in {result.requests} requests -> {result.review_file}"
    )


@main.command()
@click.option(
    "--to",
    "gsp_url",
    default=None,
    help="The engine's Graph Store Protocol URL, e.g. Oxigraph server's http://host:7878/store "
    "(default: STORE_GSP).",
)
@click.option(
    "--query-url",
    default=None,
    help="The engine's SPARQL query URL for the count check (default: STORE if it is a URL, "
    "else beside --to by Oxigraph server's layout: .../query).",
)
@click.option(
    "--generations",
    "generations_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Generations folder (default GENERATIONS_DIR); its `current` generation is loaded.",
)
@click.option(
    "--union-default-graph",
    is_flag=True,
    help="The engine's default graph is the union of its graphs (Virtuoso): the merge is not "
    "written or counted, and a triple held by two graphs is answered twice there.",
)
@click.option(
    "--atomic",
    is_flag=True,
    help="Replace every graph in one SPARQL Update request (one transaction on Oxigraph "
    "server: queries see the old version or the new, never a mix); sent to --update-url.",
)
@click.option(
    "--update-url",
    default=None,
    help="The engine's SPARQL Update URL for --atomic (default MIGKG_STORE_UPDATE, else beside "
    "--to by Oxigraph server's layout: /update).",
)
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_obj
def publish(
    config: dict,
    gsp_url: str | None,
    query_url: str | None,
    generations_dir: Path | None,
    union_default_graph: bool,
    atomic: bool,
    update_url: str | None,
    quiet: bool,
) -> None:
    """Load the current generation into a remote SPARQL engine through the Graph Store
    Protocol (one named graph per graph, the default graph as their merge), then verify every
    graph's triple count. Credentials: MIGKG_STORE_USER / MIGKG_STORE_PASSWORD (HTTP Basic,
    or Digest when the engine asks for it).

    Exit 0 when the engine holds the generation, 1 when loading or the check failed, 2 when
    there is nothing to publish or no --to."""
    from .generations import GenerationError
    from .store.publish import PublishError, current_generation, publish_generation
    from .store.remote import is_endpoint_url

    if generations_dir is not None:
        config["GENERATIONS_DIR"] = str(generations_dir)
    gsp_url = gsp_url or config.get("STORE_GSP") or None
    if not gsp_url:
        click.echo(
            "error: give the engine's Graph Store URL: --to URL (or MIGKG_STORE_GSP)", err=True
        )
        sys.exit(2)
    if query_url is None and is_endpoint_url(config.get("STORE")):
        query_url = config["STORE"]

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"publish: {message}", err=True)

    try:
        generation = current_generation(config)
    except PublishError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        result = publish_generation(
            generation,
            gsp_url,
            query_url=query_url,
            user=config.get("STORE_USER", ""),
            password=config.get("STORE_PASSWORD", ""),
            progress=progress,
            union_default_graph=union_default_graph,
            atomic=atomic,
            update_url=update_url or config.get("STORE_UPDATE") or None,
        )
    except (PublishError, GenerationError) as exc:
        click.echo(f"publish failed: {exc}", err=True)
        sys.exit(1)
    graphs = len([name for name in result.counts if name])
    default = (
        "the engine's union as the default graph"
        if union_default_graph
        else f"the default graph ({result.counts[None]} triples)"
    )
    click.echo(
        f"published dataset {result.version} to {result.engine}: {graphs} named graphs and "
        f"{default}, counts verified" + (" (one transaction)" if atomic else "")
    )


if __name__ == "__main__":  # pragma: no cover
    main()
