"""The ``retail-lake`` command line (docs/design.md, Command line).

Each command parses its options, builds :class:`~retail_lake.config.Settings` in
the one place that does that, calls the library and turns failures into a short
message and a non-zero exit status. No business logic lives here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import typer
from rich.table import Table

from retail_lake.cli_groups import contracts_app, orders_app
from retail_lake.cli_support import (
    AwsPlatformChoice,
    PlatformChoice,
    SourceChoice,
    console,
    date_option,
    fail,
    out,
    progress_bar,
    run_app,
    settings_from,
)
from retail_lake.config import ConfigError, Settings

app = typer.Typer(
    help="retail-lake: nightly retail analytics on AWS Glue/EMR, runnable locally.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(orders_app, name="orders")
app.add_typer(contracts_app, name="contracts")

DEMO_START = dt.date(2026, 1, 5)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log every step")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def generate(
    lake: Path = typer.Option(..., help="lake root to write landing/ into"),
    start_date: str = typer.Option(..., help="first business date, YYYY-MM-DD"),
    days: int = typer.Option(..., min=1, help="number of business dates"),
    stores: int = typer.Option(10, min=1),
    products: int = typer.Option(50, min=1),
    seed: int = typer.Option(42),
    anomaly_rate: float = typer.Option(0.0, min=0.0, max=0.5, help="share of bad rows to inject"),
    sales_per_day: int | None = typer.Option(None, min=1, help="sales rows per day"),
    to_mysql: str | None = typer.Option(None, help="also load mysql://user:pass@host:port/db"),
) -> None:
    """Generate consistent retail data (with anomalies and their manifest) into landing/."""
    from retail_lake.generator import generate as run_generator
    from retail_lake.generator import load_mysql

    start = date_option(start_date, "--start-date")
    manifest = run_generator(
        lake,
        start,
        days,
        stores,
        products,
        seed,
        anomaly_rate,
        progress=True,
        sales_per_day=sales_per_day,
    )
    if to_mysql:
        dates = [start + dt.timedelta(days=i) for i in range(days)]
        loaded = load_mysql(lake, to_mysql, dates=dates, progress=True)
        console.print(f"loaded into MySQL: {loaded}")
    _print_totals(manifest)


def _print_totals(manifest) -> None:
    table = Table(title="generated")
    for column in ("dataset", "files", "rows", "expected in quarantine"):
        table.add_column(column, justify="right" if column != "dataset" else "left")
    for name, totals in sorted(manifest.totals.items()):
        table.add_row(
            name, str(totals.files), str(totals.rows), str(sum(totals.quarantined.values()))
        )
    out.print(table)


@app.command()
def run(
    lake: str = typer.Option(..., help="lake root: a directory or s3://bucket/prefix"),
    start_date: str = typer.Option(..., help="first business date"),
    end_date: str | None = typer.Option(None, help="last business date (default: start date)"),
    source: SourceChoice = typer.Option("files", help="landing/ CSV dumps, or MySQL/RDS"),
    platform: PlatformChoice = typer.Option("local", help="where the workflow runs"),
    jdbc_url: str | None = typer.Option(None, help="source database for --source mysql"),
    db_user: str | None = typer.Option(None),
) -> None:
    """Run the daily workflow over the date range, each step once (on AWS: one run for it)."""
    from retail_lake.jobs.errors import StepError
    from retail_lake.runner.local import run_pipeline

    start = date_option(start_date, "--start-date")
    end = date_option(end_date, "--end-date") if end_date else None
    if end is not None and end < start:
        raise fail(f"--end-date {end} is before --start-date {start}", 2)
    settings = settings_from(
        lake=lake, source=source, platform=platform, jdbc_url=jdbc_url, db_user=db_user
    )
    if settings.platform != "local":
        from retail_lake.runner.remote import start_remote_run

        try:
            run_id = start_remote_run(settings, start, end)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
        out.print(f"started {run_id} for {start}..{end or start}")
        return
    try:
        _run_with_progress(settings, start, end, run_pipeline)
    except StepError as exc:
        raise fail(str(exc)) from None


def _run_with_progress(settings: Settings, start: dt.date, end: dt.date | None, runner) -> None:
    from retail_lake.dates import date_range
    from retail_lake.runner.workflow import daily

    workflow = daily()
    days = date_range(start, end)
    total = len(workflow.steps)
    with progress_bar() as progress:
        task = progress.add_task("daily workflow", total=total)

        def advance(step: str, label: str) -> None:
            progress.update(task, advance=1, description=f"{step} {label}")

        result = runner(settings, start, end, progress=advance)
    summary = Table(title=f"run {days[0]}..{days[-1]}")
    summary.add_column("step")
    summary.add_column("dates")
    summary.add_column("outcome")
    for step, label, outcome in result.steps:
        text = outcome.as_dict() if hasattr(outcome, "as_dict") else outcome
        summary.add_row(step, label, _short(text))
    out.print(summary)


def _short(value: object, limit: int = 110) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


@app.command()
def check(
    lake: str = typer.Option(...),
    date: str = typer.Option(..., help="business date to check"),
    source: SourceChoice | None = typer.Option(
        None, help="with mysql only the franchise files are expected"
    ),
) -> None:
    """Completeness check: alert about missing files, or start the run for the date once."""
    from retail_lake.completeness import run_check, workflow_starter
    from retail_lake.contracts.publish import check_published
    from retail_lake.jobs.errors import StepError
    from retail_lake.runner.local import run_pipeline
    from retail_lake.tracker import open_tracker

    day = date_option(date)
    settings = settings_from(lake=lake, source=source)
    if settings.on_s3:
        import boto3

        session = boto3.Session(region_name=settings.region)
        starter = workflow_starter(settings, session)
        kwargs: dict[str, object] = {"boto3_session": session}
    else:

        def starter(business_date: dt.date) -> str:
            run_pipeline(settings, business_date)
            return f"local-{business_date.isoformat()}"

        # The local run happens inline, so a claim can never be abandoned mid-run.
        kwargs = {"claim_lease": None}
    try:
        check_published(open_tracker(settings, kwargs.get("boto3_session")))
        result = run_check(settings, day, starter, **kwargs)
    except StepError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        raise fail(f"check {day}: {type(exc).__name__}: {exc}") from None
    out.print_json(data=result.to_dict())


@app.command()
def query(
    sql: str = typer.Argument(..., help="Athena SQL"),
    lake: str = typer.Option(...),
    athena: bool = typer.Option(False, "--athena", help="send it to Athena instead of DuckDB"),
) -> None:
    """Run Athena SQL against the lake (DuckDB locally) and print a table."""
    from retail_lake.query import QueryError, open_query, print_query

    settings = settings_from(lake=lake, query="aws" if athena else None)
    try:
        print_query(open_query(settings), sql)
    except QueryError as exc:
        raise fail(str(exc)) from None


@app.command()
def report(
    lake: str = typer.Option(...),
    out_path: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write"),
) -> None:
    """Charts of the curated tables in one self-contained HTML page."""
    from retail_lake.report import write_report

    settings = settings_from(lake=lake)
    write_report(settings, out_path)
    out.print(f"wrote {out_path}")


@app.command()
def deploy(
    stack: str = typer.Option(..., help="CloudFormation stack name"),
    bucket: str = typer.Option(..., help="artifacts bucket"),
    platform: AwsPlatformChoice = typer.Option("glue", help="where the jobs run"),
    wheel: Path | None = typer.Option(
        None,
        dir_okay=False,
        help="the library wheel to upload (default: build it from the source checkout)",
    ),
    param: list[str] = typer.Option([], help="stack parameter KEY=VALUE (repeatable)"),
) -> None:
    """Build the wheel, upload scripts and artifacts, create or update the stack."""
    from retail_lake.artifacts import parse_parameters
    from retail_lake.deploy import DeployError
    from retail_lake.deploy import deploy as run_deploy

    if platform not in ("glue", "emr"):
        raise fail("--platform must be glue or emr", 2)
    try:
        parameters = parse_parameters(param)
        result = run_deploy(stack, bucket, platform, wheel=wheel, parameters=parameters)
    except DeployError as exc:
        raise fail(f"deploy {stack}: {exc}") from None
    out.print(f"{result.action} {stack}: artifacts in s3://{bucket}/{result.prefix}")
    out.print(f"contracts {result.contracts_version or '-'}: {result.contracts}")
    out.print_json(data=result.outputs)


@app.command()
def demo(
    lake: Path = typer.Option(Path("lake"), help="where to build the demo lake"),
    days: int = typer.Option(21, min=7, help="business dates to generate and run"),
    stores: int = typer.Option(6, min=1),
    products: int = typer.Option(20, min=1),
) -> None:
    """All-in-one local run: generate, load a throwaway MariaDB, read it back, run, summarise."""
    from retail_lake.demo import run_demo

    try:
        run_demo(lake, DEMO_START, days, stores, products, console=out, progress=progress_bar)
    except Exception as exc:
        raise fail(f"demo: {exc}") from exc


def main() -> None:
    """The ``retail-lake`` entry point (command-line mistakes are one line on stderr)."""
    run_app(app)


if __name__ == "__main__":
    main()
