"""The ``migkg`` command line: build, validate and serve.

Each command maps expected failures (bad input, failed validation) to an exit code and a
one-line message on stderr; a traceback means a bug.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .config import load_config


@click.group()
@click.option("--base-iri", envvar="MIGKG_BASE_IRI", default=None,
              help="Base IRI for the data's relative IRIs (default http://127.0.0.1:8080/).")
@click.pass_context
def main(ctx: click.Context, base_iri: str | None) -> None:
    """migkg: migration-profile knowledge graph toolchain."""
    overrides = {"BASE_IRI": base_iri} if base_iri else {}
    ctx.obj = load_config(overrides)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_obj
def validate(config: dict, paths: tuple[Path, ...], quiet: bool) -> None:
    """Validate graph_data/ (or PATHS) against the ontology and shapes.

    Exit 0 when the data conforms (warnings are printed), 1 on violations,
    2 on unreadable input (syntax error, missing file).
    """
    from .sources import SourceError
    from .validation import validate_sources

    try:
        report = validate_sources(config, list(paths) or None)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary() if quiet else report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default var/dataset).")
@click.pass_obj
def build(config: dict, out_dir: Path | None) -> None:
    """Validate, then write the dataset (TriG, N-Quads) atomically."""
    from .build import BuildError, build_dataset
    from .sources import SourceError

    if out_dir is not None:
        config["DATASET_DIR"] = str(out_dir)
    try:
        result = build_dataset(config)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except BuildError as exc:
        click.echo(f"build failed, previous dataset kept: {exc}", err=True)
        sys.exit(1)
    click.echo(result.summary())


@main.command()
@click.option("--host", envvar="MIGKG_HOST", default=None)
@click.option("--port", envvar="MIGKG_PORT", type=int, default=None)
@click.option("--workers", envvar="MIGKG_WORKERS", type=int, default=None)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
@click.pass_obj
def serve(config: dict, host: str | None, port: int | None, workers: int | None,
          dev: bool) -> None:
    """Serve the built dataset (SPARQL endpoint and pages)."""
    from .serving import run

    for key, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            config[key] = value
    run(config, dev=dev)


if __name__ == "__main__":  # pragma: no cover
    main()
