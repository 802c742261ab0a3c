"""Asking the mirror how it is: ``GET {endpoint}/health`` with a short timeout."""

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Optional

from . import __version__

# Where a version may be found, first match wins: a `version` field of the /health JSON (top level or
# under `info.<name>`), then the `X-Dingo-Version` header, then `Server: dingospeed/<version>`.
VERSION_HEADER = "X-Dingo-Version"


def probe(endpoint: str, timeout: float) -> Dict[str, Any]:
    """Never raises: `reachable` is True when the mirror answered HTTP at all (a 503 from /health
    is a reachable mirror reporting a sick dependency); `healthy` when it answered 200 "ok"."""
    url = endpoint + "/health"
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": f"dingospeed-python/{__version__}"}
    )
    started = time.monotonic()
    result: Dict[str, Any] = {
        "reachable": False,
        "healthy": False,
        "status_code": None,
        "health": None,
        "version": None,
        "latency_ms": None,
        "error": None,
    }
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        response = e  # an HTTP answer: the mirror is there
    except (urllib.error.URLError, OSError, ValueError) as e:
        result["error"] = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
        return result
    with response:
        body = response.read(1 << 20)
        result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
        result["reachable"] = True
        result["status_code"] = response.status if hasattr(response, "status") else response.code
        try:
            health = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            health = None
        result["health"] = health
        result["healthy"] = result["status_code"] == 200 and isinstance(health, dict) and health.get("status") == "ok"
        result["version"] = _version(health, response.headers)
        if result["status_code"] != 200:
            result["error"] = f"/health answered {result['status_code']}"
    return result


def _version(health: Any, headers: Any) -> Optional[str]:
    if isinstance(health, dict):
        if isinstance(health.get("version"), str):
            return health["version"]
        for section in ("info", "details"):
            for value in (health.get(section) or {}).values():
                if isinstance(value, dict) and isinstance(value.get("version"), str):
                    return value["version"]
    header = headers.get(VERSION_HEADER)
    if header:
        return header.strip()
    server = headers.get("Server") or ""
    if server.lower().startswith("dingospeed/"):
        return server.split("/", 1)[1].split()[0]
    return None
