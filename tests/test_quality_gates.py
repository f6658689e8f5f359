"""Quality gates judged on counts: their declarations, figures, thresholds and actions.

No Spark here: the gates are judged on the per-file counts validate already has,
the rows of earlier loads, and the key-loss counts (their Spark side is tested in
``test_quality_gates_spark.py``, the whole path through validate in
``test_quality_gates_lake.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from retail_lake.contracts import ContractError, contracts_overridden, dataset
from retail_lake.contracts._gates import GateLimits, Gates
from retail_lake.contracts._model import load_registry
from retail_lake.jobs.gate_alert import GateNotices, gate_datapoints, gate_message
from retail_lake.jobs.validate_gates import GateHalt, judge_loads, volume_history
from retail_lake.jobs.validate_report import DatasetOutcome, ValidateReport, ValidateRun
from retail_lake.metrics import LakeMetrics
from retail_lake.storage import layout, open_storage


def _files(**files: tuple[int, int]) -> dict[str, dict[str, int]]:
    """file -> (rows_in, quarantined) as account_files reports them."""
    return {
        name.replace("_", "/") + ".csv": {
            "rows_in": rows,
            "valid": rows - bad,
            "quarantined": bad,
            "reasons": {},
        }
        for name, (rows, bad) in files.items()
    }


# -- declarations -----------------------------------------------------------------


def test_shipped_defaults_per_kind():
    sales, store, calendar = dataset("sales"), dataset("store"), dataset("calendar")
    assert sales.gates.quarantine_share == GateLimits(warn_at=0.10)
    assert sales.gates.volume == GateLimits(warn_at=5.0)
    assert sales.gates.key_loss == GateLimits()
    # a fully unparseable dimension snapshot halts by default
    assert store.gates.quarantine_share == GateLimits(warn_at=0.10, halt_at=1.0)
    assert store.gates.key_loss == GateLimits(warn_at=0.20)
    # the calendar delivers a window of days, so days it leaves out are not lost
    assert calendar.gates.key_loss == GateLimits()
    assert (store.gates.volume_history, store.gates.volume_min_history) == (7, 3)


def _document(gates_line: str, dataset_gates: str = "") -> str:
    from importlib import resources

    text = resources.files("retail_lake.contracts").joinpath("datasets.toml").read_text("utf-8")
    text = text.replace("[gates.fact]\n", f"[gates.fact]\n{gates_line}\n", 1)
    if dataset_gates:
        text = text.replace(
            'key = ["trans_id"]\n', f'key = ["trans_id"]\ngates = {dataset_gates}\n', 1
        )
    return text


def test_a_dataset_table_replaces_only_the_gates_it_names():
    override = "{ volume = { warn_at = 3.0, halt_at = 50.0, history = 14 } }"
    text = _document("", override)
    with contracts_overridden(text) as registry:
        sales, inventory = registry["sales"], registry["inventory"]
    assert sales.gates.volume == GateLimits(warn_at=3.0, halt_at=50.0)
    assert sales.gates.volume_history == 14
    assert sales.gates.quarantine_share == GateLimits(warn_at=0.10)  # the kind default stays
    assert inventory.gates.volume == GateLimits(warn_at=5.0)


@pytest.mark.parametrize(
    ("dataset_gates", "message"),
    [
        ("{ freshness = { warn_at = 1 } }", "unknown gates ['freshness']"),
        ("{ quarantine_share = { warn_at = 5 } }", "shares between 0 and 1"),
        ("{ volume = { warn_at = 0.5 } }", "factors of at least 1"),
        ("{ volume = { warn_at = 9, halt_at = 3 } }", "warn_at is above its halt_at"),
        ("{ volume = { history = 0 } }", "history must be a whole number"),
        ("{ key_loss = { warn_at = 'high' } }", "must be a number"),
        ("{ key_loss = { stop_at = 0.5 } }", "takes warn_at and halt_at"),
    ],
)
def test_malformed_gates_are_contract_errors_naming_the_dataset(dataset_gates, message):
    document = _document("", dataset_gates)
    with pytest.raises(ContractError, match="dataset 'sales'") as raised:
        load_registry(document)
    assert message in str(raised.value)


def test_limits_warn_and_halt_at_or_above_their_thresholds():
    limits = GateLimits(warn_at=0.1, halt_at=1.0)
    assert [limits.action(x) for x in (0.0, 0.0999, 0.1, 0.99, 1.0)] == [
        None,
        None,
        "warn",
        "warn",
        "halt",
    ]
    assert GateLimits().action(1e9) is None


# -- figures and actions ------------------------------------------------------------


def _judge(name, counts, history=(), key_losses=None):
    return judge_loads(dataset(name), counts, list(history), key_losses or {})


def test_quarantine_share_per_file_and_per_dataset():
    counts = {
        "2026-01-05": _files(store_1001=(20, 0), store_1002=(10, 3), store_1003=(70, 4)),
    }
    [file1, file2, file3, whole] = _judge("store_sales", counts)["2026-01-05"]
    assert (file1.figure, file1.action, file1.scope) == (0.0, None, "file")
    assert (file2.file, file2.figure, file2.action, file2.threshold) == (
        "store/1002.csv",
        0.3,
        "warn",
        0.1,
    )
    assert file2.detail == "3 of 10 rows quarantined"
    assert file3.action is None  # 4 of 70 = 5.7 %
    assert (whole.file, whole.scope, whole.figure, whole.action) == ("*", "dataset", 0.07, None)


def test_a_dataset_of_one_file_is_judged_once_under_that_files_name():
    [only] = _judge("sales", {"2026-01-05": _files(sales=(50, 5))})["2026-01-05"]
    assert (only.file, only.scope, only.figure, only.action) == (
        "sales.csv",
        "dataset",
        0.1,
        "warn",
    )


def test_a_fully_unparseable_dimension_snapshot_halts():
    [share] = _judge("store", {"2026-01-05": _files(store=(40, 40))})["2026-01-05"]
    assert (share.figure, share.action, share.threshold) == (1.0, "halt", 1.0)
    assert share.describe() == (
        "store load 2026-01-05 (store.csv): quarantine_share 100.0% >= 100.0% -> halt;"
        " 40 of 40 rows quarantined"
    )


def test_volume_against_the_median_of_the_last_loads_either_way():
    history = [1000, 3000, 900, 1100, 1000, 1200, 950, 1050]  # last 7: median 1050
    counts = {
        "2026-01-13": _files(sales=(2, 0)),
        "2026-01-14": _files(sales=(1040, 0)),
        "2026-01-15": _files(sales=(6000, 0)),
    }
    judged = _judge("sales", counts, history)
    shrunk = judged["2026-01-13"][1]
    assert shrunk.gate == "volume" and shrunk.action == "warn"
    assert shrunk.figure == pytest.approx(1050 / 2)
    assert shrunk.detail == "2 rows against a median of 1050 over the last 7 loads (525.0x fewer)"
    assert judged["2026-01-14"][1].action is None
    # the shrunk load only warned, so it is history now: the last 7 are
    # 1100, 1000, 1200, 950, 1050, 2, 1040, whose median is 1040
    grown = judged["2026-01-15"][1]
    assert grown.figure == pytest.approx(6000 / 1040) and grown.action == "warn"
    assert "more" in grown.detail


def test_volume_waits_for_enough_history_and_an_empty_load_is_infinitely_off():
    assert [r.gate for r in _judge("sales", {"d": _files(sales=(5, 0))}, [100, 100])["d"]] == [
        "quarantine_share"
    ]
    [_, volume] = _judge("sales", {"d": _files(sales=(0, 0))}, [100, 100, 100])["d"]
    assert math.isinf(volume.figure) and volume.action == "warn"
    assert volume.as_dict()["figure"] == "inf"


def test_a_halted_load_is_not_history_for_the_next_one():
    overridden = _document("", "{ volume = { warn_at = 2.0, halt_at = 10.0, min_history = 3 } }")
    with contracts_overridden(overridden):
        judged = _judge(
            "sales",
            {"2026-01-08": _files(sales=(5, 0)), "2026-01-09": _files(sales=(8, 0))},
            [100, 100, 100],
        )
    assert judged["2026-01-08"][1].action == "halt"
    # 8 rows against the median of 100, 100, 100 (the 5 of the halted load is left out)
    assert judged["2026-01-09"][1].detail.startswith("8 rows against a median of 100 ")


def test_key_loss_of_a_dimension_snapshot():
    counts = {"2026-01-06": _files(store=(10, 0)), "2026-01-07": _files(store=(40, 0))}
    judged = _judge("store", counts, key_losses={"2026-01-06": (40, 30), "2026-01-07": (40, 0)})
    loss = judged["2026-01-06"][-1]
    assert (loss.gate, loss.figure, loss.action, loss.threshold) == ("key_loss", 0.75, "warn", 0.2)
    assert loss.detail == "30 of the 40 keys the dimension had are missing from this snapshot"
    assert judged["2026-01-07"][-1].action is None


def test_gate_halt_names_dataset_file_figure_and_threshold():
    [share] = _judge("product", {"2026-01-05": _files(product=(6, 6))})["2026-01-05"]
    error = GateHalt([share], outcome=None)
    assert str(error).startswith(
        "1 quality gate(s) halted: product load 2026-01-05 (product.csv): quarantine_share"
        " 100.0% >= 100.0% -> halt; 6 of 6 rows quarantined."
    )


# -- history from the reports ------------------------------------------------------------


def _report(day: dt.date, rows: dict[str, int], halted: tuple[str, ...] = ()) -> ValidateReport:
    report = ValidateReport(day)
    for name, n in rows.items():
        report.datasets[name] = DatasetOutcome(
            files=_files(**{name: (n, 0)}), halted=name in halted
        )
    return report


def test_volume_history_reads_the_reports_of_earlier_merged_loads(tmp_path):
    storage = open_storage(str(tmp_path))
    start = dt.date(2026, 1, 1)
    for i, rows in enumerate([10, 20, 30, 40, 50, 60, 70, 80, 90]):
        day = start + dt.timedelta(days=i)
        halted = ("sales",) if rows == 60 else ()
        report = _report(day, {"sales": rows, "store": 4}, halted)
        storage.write_bytes(layout.report(day, "validate"), json.dumps(report.as_dict()).encode())
    storage.write_bytes(f"{layout.reports_dir()}/2026-01-01-old/readme.txt", b"not a report")
    cache: dict = {}
    before = dt.date(2026, 1, 9)  # the report of the 9th (90 rows) is the run's own
    assert volume_history(storage, dataset("sales"), before, cache) == [10, 20, 30, 40, 50, 70, 80]
    assert volume_history(storage, dataset("inventory"), before, cache) == []
    # a report written without totals (older, or synthetic): its files are summed
    day = dt.date(2026, 1, 20)
    entry = {"files": {"a.csv": {"rows_in": 3}, "b.csv": {"rows_in": 4}}}
    storage.write_bytes(
        layout.report(day, "validate"),
        json.dumps({"business_date": day.isoformat(), "datasets": {"sales": entry}}).encode(),
    )
    assert volume_history(storage, dataset("sales"), dt.date(2026, 1, 21), {})[-1] == 7


# -- alert and metrics ---------------------------------------------------------------


def _run_with_breaches() -> ValidateRun:
    day = dt.date(2026, 1, 12)
    store = _judge("store", {day.isoformat(): _files(store=(40, 40))})[day.isoformat()]
    sales = _judge("sales", {day.isoformat(): _files(sales=(2, 0))}, [1000, 1000, 1000])[
        day.isoformat()
    ]
    report = ValidateReport(day)
    report.datasets["store"] = DatasetOutcome(_files(store=(40, 40)), gates=store, halted=True)
    report.datasets["sales"] = DatasetOutcome(_files(sales=(2, 0)), gates=sales)
    return ValidateRun([report])


def test_one_alert_lists_every_breach_halts_first():
    run = _run_with_breaches()
    subject, body = gate_message(run.breaches, [dt.date(2026, 1, 12)], "retail-lake-daily", "/lake")
    assert subject == "[retail-lake] quality gates for 2026-01-12: 1 halted, 1 warned"
    lines = body.splitlines()
    assert lines[2].startswith(
        "  [halt] store load 2026-01-12 (store.csv): quarantine_share 100.0%"
    )
    assert lines[3] == (
        "  [warn] sales load 2026-01-12 (sales.csv): volume 500.0x >= 5.0x -> warn;"
        " 2 rows against a median of 1000 over the last 3 loads (500.0x fewer)"
    )
    assert "  /lake/_control/reports/2026-01-12/validate.json (gates and counts per file)" in lines
    assert "  /lake/quarantine/store/load_date=2026-01-12/ (the rejects of store)" in lines
    assert "A halted load was not merged" in body


def test_no_breach_no_alert_but_the_figures_are_published(tmp_path):
    day = dt.date(2026, 1, 12)
    report = ValidateReport(day)
    gates = _judge("sales", {day.isoformat(): _files(sales=(100, 1))}, [100, 100, 100])
    report.datasets["sales"] = DatasetOutcome(_files(sales=(100, 1)), gates=gates[day.isoformat()])
    run = ValidateRun([report])

    class Refusing:
        def send(self, *_args):
            raise AssertionError("nothing to send")

    notices = GateNotices(
        Refusing(), LakeMetrics(open_storage(str(tmp_path))), ("ops@x",), "wf", "/l"
    )
    assert notices.alert(run, [day]) is None
    assert notices.publish(run) == 4
    lines = (tmp_path / layout.metrics("2026-01-12", "data_quality")).read_text().splitlines()
    points = {
        (p["metric"], p["dimensions"].get("Action")): p["value"] for p in map(json.loads, lines)
    }
    assert points == {
        ("QuarantineShare", None): 1.0,
        ("VolumeFactor", None): 1.0,
        ("GateBreaches", "warn"): 0,
        ("GateBreaches", "halt"): 0,
    }


def test_datapoints_are_dataset_wide_figures_and_breach_counts():
    points = gate_datapoints(_run_with_breaches(), "retail-lake-daily")
    by_key = {(p.name, p.dimensions["Dataset"], p.dimensions.get("Action")): p for p in points}
    assert by_key[("QuarantineShare", "store", None)].value == 100.0
    assert by_key[("QuarantineShare", "store", None)].unit == "Percent"
    assert by_key[("GateBreaches", "store", "halt")].value == 1
    assert by_key[("VolumeFactor", "sales", None)].value == 500.0
    assert by_key[("GateBreaches", "sales", "warn")].value == 1
    assert {p.dimensions["Workflow"] for p in points} == {"retail-lake-daily"}
    assert {p.day for p in points} == {dt.date(2026, 1, 12)}


def test_gates_default_to_off_for_datasets_that_declare_none():
    assert Gates().limits("volume") == GateLimits()
    assert dataset("orders").gates.quarantine_share == GateLimits()


# -- the AWS adapters (moto) ----------------------------------------------------------


def test_on_aws_the_gate_alert_goes_through_ses_and_the_figures_to_cloudwatch(aws):
    from retail_lake.config import build_settings
    from retail_lake.jobs.step_hooks import step_hooks
    from retail_lake.metrics import NAMESPACE
    from retail_lake.runtime.adapters import open_adapters
    from tests.aws_readback import ses_sent

    aws.client("ses").verify_email_identity(EmailAddress="retail-lake@example.com")
    aws.client("s3").create_bucket(Bucket="lake")
    settings = build_settings(
        {"lake": "s3://lake", "lineage": "off", "alert_recipients": "ops@example.com"}, env={}
    )
    assert (settings.notifier, settings.metrics) == ("aws", "aws")
    ports = open_adapters(settings, workflow_run_id="wr", boto3_session=aws)
    hooks = step_hooks(settings, ports.notifier, ports.lineage, metrics=ports.metrics)
    run = _run_with_breaches()
    day = [dt.date(2026, 1, 12)]
    hooks.failed("validate", "run-1", day, GateHalt(run.breaches, run))

    sent = {mail.subject: mail for mail in ses_sent()}
    gates = sent["[retail-lake] quality gates for 2026-01-12: 1 halted, 1 warned"]
    assert gates.to == ["ops@example.com"]
    assert "[halt] store load 2026-01-12 (store.csv): quarantine_share 100.0%" in gates.body
    assert "s3://lake/_control/reports/2026-01-12/validate.json" in gates.body
    assert "[retail-lake] step 'validate' failed for 2026-01-12" in sent

    cloudwatch = aws.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in listed} == {"QuarantineShare", "VolumeFactor", "GateBreaches"}
    halts = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName="GateBreaches",
        Dimensions=[
            {"Name": "Action", "Value": "halt"},
            {"Name": "Dataset", "Value": "store"},
            {"Name": "Workflow", "Value": "retail-lake-daily"},
        ],
        StartTime=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        EndTime=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(p["Sum"] for p in halts) == 1


def test_metrics_that_cannot_be_published_never_change_the_steps_outcome(aws, caplog):
    from retail_lake.jobs.step_hooks import StepHooks
    from retail_lake.metrics import CloudWatchMetrics

    class Outbox:
        def __init__(self):
            self.sent = []

        def send(self, subject, body, recipients):
            self.sent.append(subject)
            return "id-1"

    # CloudWatch refuses every PutMetricData call
    broken = CloudWatchMetrics(boto3_session=aws, region="us-east-1")
    broken._client.meta.events.register(
        "before-call.cloudwatch.PutMetricData",
        lambda **_: (_ for _ in ()).throw(RuntimeError("throttled")),
    )
    notifier = Outbox()
    hooks = StepHooks(gates=GateNotices(notifier, broken, ("ops@x",), "wf", "/lake"))
    run = _run_with_breaches()
    hooks.succeeded("validate", "run-1", [dt.date(2026, 1, 12)], run)
    assert notifier.sent == ["[retail-lake] quality gates for 2026-01-12: 1 halted, 1 warned"]
    assert "gate metrics of step validate could not be sent" in caplog.text
