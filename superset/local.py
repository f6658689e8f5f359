"""Superset for retail-lake: the dashboard bundle for Athena, and a local Superset on DuckDB.

Run with the Python of ``.venv-superset`` (``make superset`` / ``superset/run_local.sh``
creates it); this file imports nothing from ``retail_lake`` because Superset's pins
(pandas < 2.2, SQLAlchemy 1.4) cannot share the pipeline's virtual environment.

``superset/export/`` is the dashboard as Superset exports it, over the Athena views
in the Glue database. The same files are imported everywhere; only the database
entry (and the schema the datasets live in) differ:

* ``bundle``: a zip for a real Superset on Athena, with the PyAthena URI built from
  ``superset/athena_database.yaml`` and your region, Glue database, workgroup and
  query-result location;
* ``serve``: a local Superset (SQLite metadata under ``.local/superset/``) whose
  database is the lake's DuckDB catalog opened read-only, serving on 127.0.0.1;
  ``--screenshot PNG`` logs in with headless Chromium, saves the dashboard and stops.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXPORT = HERE / "export"
ATHENA_TEMPLATE = HERE / "athena_database.yaml"
BUNDLE_ROOT = "retail_lake_dashboard"
DASHBOARD_SLUG = "retail-lake"


# --- the bundle -------------------------------------------------------------------------


def athena_uri(template: str, parameters: dict[str, str]) -> str:
    """The PyAthena URI with every ``{name}`` filled; query values are URL-encoded."""
    values = {
        name: value if name in ("region", "schema") else urllib.parse.quote(value, safe="")
        for name, value in parameters.items()
    }
    return template.format(**values)


def athena_database(overrides: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The Athena database entry: the template's defaults, overridden by non-empty values."""
    spec = yaml.safe_load(ATHENA_TEMPLATE.read_text())
    parameters = dict(spec["parameters"])
    parameters.update({k: v for k, v in (overrides or {}).items() if v})
    database = dict(spec["database"])
    database["sqlalchemy_uri"] = athena_uri(spec["sqlalchemy_uri_template"], parameters)
    return database


def duckdb_database(lake: Path) -> dict[str, Any]:
    """The local lake's DuckDB catalog as a Superset database, opened read-only.

    Read-only so that Superset never takes the catalog's write lock: the pipeline
    can refresh the catalog while Superset is running.
    """
    catalog = (lake / "_control" / "catalog.duckdb").resolve()
    if not catalog.is_file():
        raise SystemExit(
            f"no DuckDB catalog at {catalog}: run `retail-lake run --lake {lake}` first"
        )
    return {
        "database_name": "retail_lake_local",
        "sqlalchemy_uri": f"duckdb:///{catalog}",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {
            "allows_virtual_table_explore": True,
            "engine_params": {"connect_args": {"read_only": True}},
            "metadata_params": {},
            "schemas_allowed_for_file_upload": [],
        },
        "version": "1.0.0",
    }


def export_files() -> dict[str, dict[str, Any]]:
    """The exported YAML files by path relative to ``superset/export``."""
    return {
        str(path.relative_to(EXPORT)): yaml.safe_load(path.read_text())
        for path in sorted(EXPORT.rglob("*.yaml"))
    }


def build_bundle(database: dict[str, Any], schema: str) -> bytes:
    """The import zip with the export's database replaced by ``database`` (same uuid).

    Datasets keep their uuids and point at the new database by uuid; their schema
    becomes ``schema`` (the Glue database on Athena, ``main`` in DuckDB).
    """
    files = export_files()
    (db_path,) = [p for p in files if p.startswith("databases/")]
    original = files.pop(db_path)
    entry = {**database, "uuid": original["uuid"]}
    files[f"databases/{entry['database_name']}.yaml"] = entry
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for rel, data in sorted(files.items()):
            if rel.startswith("datasets/"):
                data = {**data, "schema": schema, "database_uuid": original["uuid"]}
                rel = f"datasets/{entry['database_name']}/{Path(rel).name}"
            text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
            bundle.writestr(f"{BUNDLE_ROOT}/{rel}", text)
    return out.getvalue()


# --- a local Superset ---------------------------------------------------------------------


def superset_env(home: Path) -> dict[str, str]:
    """Environment for the ``superset`` CLI: its own home, config and secret key."""
    home.mkdir(parents=True, exist_ok=True)
    key_file = home / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(42))
        key_file.chmod(0o600)
    config = home / "superset_config.py"
    config.write_text(
        "# Written by superset/local.py for a local, single-user Superset.\n"
        "from pathlib import Path\n\n"
        f"SECRET_KEY = Path({str(key_file)!r}).read_text().strip()\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
        "TALISMAN_ENABLED = False\n"
        "SUPERSET_WEBSERVER_TIMEOUT = 120\n"
        "FEATURE_FLAGS = {'DASHBOARD_RBAC': False}\n"
        "# No network here: no thumbnails, no telemetry, no external map tiles.\n"
        "THUMBNAIL_SELENIUM_USER = None\n"
        "SCARF_ANALYTICS = False\n"
    )
    return {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(config),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONWARNINGS": "ignore",
    }


def superset_cli(env: dict[str, str], *args: str) -> None:
    command = [str(Path(sys.executable).with_name("superset")), *args]
    print("+ superset", *args, flush=True)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(lake: Path, home: Path, user: str, password: str) -> dict[str, str]:
    """Create or upgrade the metadata database, the admin user, roles, and import the dashboard."""
    env = superset_env(home)
    superset_cli(env, "db", "upgrade")
    superset_cli(
        env,
        "fab",
        "create-admin",
        "--username",
        user,
        "--firstname",
        "Local",
        "--lastname",
        "Admin",
        "--email",
        f"{user}@localhost",
        "--password",
        password,
    )  # an existing user is left as it is
    superset_cli(env, "init")
    bundle = home / "retail_lake_dashboard.zip"
    bundle.write_bytes(build_bundle(duckdb_database(lake), schema="main"))
    superset_cli(env, "import-dashboards", "--path", str(bundle), "--username", user)
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"superset exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    raise SystemExit(f"superset did not answer on {url} within {timeout:.0f}s")


def chromium_driver():
    """Headless Chromium from the Debian ``chromium`` and ``chromium-driver`` packages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(driver_path).exists():
        raise SystemExit(
            "install the Debian packages chromium and chromium-driver for --screenshot"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1600,1900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


def screenshot(url: str, user: str, password: str, out: Path, settle: float = 20) -> None:
    """Log in through ``/login/``, open the dashboard, wait for its charts, save a PNG.

    On failure, what the browser showed is saved beside ``out`` as ``*.failed.png``.
    """
    driver = chromium_driver()
    try:
        _login_and_capture(driver, url, user, password, out, settle)
    except Exception:
        failed = out.with_name(out.stem + ".failed.png")
        driver.save_screenshot(str(failed))
        print(f"the screenshot failed; what the browser showed is in {failed}")
        raise
    finally:
        driver.quit()


def _login_and_capture(
    driver: Any, url: str, user: str, password: str, out: Path, settle: float
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/login/")
    # The login page is a React form in Superset 5+ (inputs with ids) and a
    # server-rendered form before (inputs with names): accept both.
    field = "input#{0}, input[name='{0}']"
    WebDriverWait(driver, 120).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, field.format("username")))
    )
    driver.find_element(By.CSS_SELECTOR, field.format("username")).send_keys(user)
    driver.find_element(By.CSS_SELECTOR, field.format("password")).send_keys(password, Keys.ENTER)
    WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url)
    driver.get(f"{url}/superset/dashboard/{DASHBOARD_SLUG}/?standalone=1")
    WebDriverWait(driver, 180).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".chart-container canvas, .big_number")
    )
    # Let every chart finish its query and animation: wait for the spinners to go.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.find_elements(By.CSS_SELECTOR, ".loading"):
        time.sleep(1)
    time.sleep(settle)
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    errors = driver.find_elements(By.CSS_SELECTOR, ".ant-alert-error")
    if errors:
        print("warning: the dashboard shows errors:", [e.text for e in errors][:3])


def serve(args: argparse.Namespace) -> None:
    lake = Path(args.lake).resolve()
    home = Path(args.home).resolve()
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD", "admin")
    env = prepare(lake, home, args.user, password)
    url = f"http://127.0.0.1:{args.port}"
    command = [
        str(Path(sys.executable).with_name("superset")),
        "run",
        "-h",
        "127.0.0.1",
        "-p",
        str(args.port),
        "--with-threads",
    ]
    if not args.screenshot:
        print(f"Superset on {url}/superset/dashboard/{DASHBOARD_SLUG}/ (user {args.user})")
        os.execve(command[0], command, env)
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        wait_until_up(url, process)
        screenshot(url, args.user, password, Path(args.screenshot))
        print(f"saved {args.screenshot}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def bundle(args: argparse.Namespace) -> None:
    database = athena_database(
        {
            "region": args.region,
            "schema": args.schema,
            "work_group": args.workgroup,
            "s3_staging_dir": args.staging_dir,
        }
    )
    schema = args.schema or yaml.safe_load(ATHENA_TEMPLATE.read_text())["parameters"]["schema"]
    Path(args.out).write_bytes(build_bundle(database, schema=schema))
    print(f"wrote {args.out} ({database['sqlalchemy_uri']})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="local Superset on the lake's DuckDB catalog")
    run.add_argument("--lake", required=True)
    run.add_argument("--home", default=str(REPO / ".local" / "superset"))
    run.add_argument("--port", type=int, default=8088)
    run.add_argument("--user", default="admin")
    run.add_argument("--screenshot", help="save the dashboard as this PNG, then stop")
    run.set_defaults(func=serve)
    pack = commands.add_parser("bundle", help="the import zip for Superset on Athena")
    pack.add_argument("--out", default="retail_lake_dashboard.zip")
    pack.add_argument("--region")
    pack.add_argument("--schema", help="the Glue database (GlueDatabaseName output)")
    pack.add_argument("--workgroup", help="the Athena workgroup (AthenaWorkgroup output)")
    pack.add_argument("--staging-dir", help="s3://<lake bucket>/_control/athena-results/")
    pack.set_defaults(func=bundle)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
