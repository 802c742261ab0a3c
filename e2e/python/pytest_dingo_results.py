"""pytest plugin (-p pytest_dingo_results) for the e2e/python suite: per-case JSON results and
set-up features.

  DINGO_PY_SETUP     the client set-up's name
  DINGO_PY_FEATURES  what it has (comma-separated): xet, transformers, datasets
  DINGO_PY_RESULTS   where to write {"cases": [{id, outcome, seconds, message}], "notApplicable": [...]}

A case marked @pytest.mark.needs("transformers") is reported "n/a" (not run) in a set-up without
that feature. The feature list is fixed by the jest side (python-setups.ts), not guessed from what
imports, so a package missing from a set-up fails its cases instead of hiding them.
"""

import json
import os
import time

SETUP = os.environ.get("DINGO_PY_SETUP", "?")
FEATURES = {f for f in os.environ.get("DINGO_PY_FEATURES", "").split(",") if f}

_outcomes: dict = {}
_not_applicable: list = []
_started = time.time()


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*features): run only in set-ups that have these features")


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("needs")
        (drop if marker and not set(marker.args) <= FEATURES else keep).append(item)
    items[:] = keep
    if drop:
        config.hook.pytest_deselected(items=drop)
    _not_applicable.extend(item.nodeid for item in drop)


def pytest_runtest_logreport(report):
    entry = _outcomes.setdefault(report.nodeid, {"id": report.nodeid, "outcome": "passed", "seconds": 0.0})
    entry["seconds"] = round(entry["seconds"] + report.duration, 2)
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        crash = getattr(report.longrepr, "reprcrash", None)
        entry["message"] = (crash.message if crash else str(report.longrepr))[-3000:]
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        entry["message"] = str(report.longrepr)[-500:]


def pytest_collectreport(report):
    # A file that fails to import is a failure of every case in it: report it as a case of its own.
    if report.failed:
        _outcomes[report.nodeid] = {
            "id": report.nodeid + "::<collection>",
            "outcome": "error",
            "seconds": 0.0,
            "message": str(report.longrepr)[-3000:],
        }


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("DINGO_PY_RESULTS")
    if not path:
        return
    with open(path, "w") as f:
        json.dump(
            {
                "setup": SETUP,
                "features": sorted(FEATURES),
                "cases": list(_outcomes.values()),
                "notApplicable": _not_applicable,
                "seconds": round(time.time() - _started, 1),
                "exitstatus": int(exitstatus),
            },
            f,
            indent=1,
        )
