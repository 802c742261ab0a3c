"""One line to send huggingface_hub, transformers and datasets to a DingoSpeed mirror.

    import dingospeed
    dingospeed.enable()            # or enable("http://mirror:8090")
    AutoModel.from_pretrained(...)  # unchanged code, now served by the mirror

Works whether those libraries were imported before or after the call. See README.md.
"""

import os
import threading
import warnings
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

__version__ = "0.1.0"

from ._discovery import HUB, DingoSpeedError, config_path, discover_endpoint, normalize  # noqa: E402
from ._health import probe  # noqa: E402
from ._patch import Patch, current_endpoint  # noqa: E402

__all__ = [
    "enable",
    "disable",
    "enabled",
    "status",
    "is_enabled",
    "active_endpoint",
    "discover_endpoint",
    "config_path",
    "DingoSpeedError",
    "MirrorUnreachableWarning",
    "__version__",
]


class MirrorUnreachableWarning(UserWarning):
    """The mirror did not answer its /health probe."""


_lock = threading.RLock()
_patch: Optional[Patch] = None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def enable(
    endpoint: Optional[str] = None,
    *,
    fallback: bool = False,
    upstream: str = HUB,
    check: bool = True,
    timeout: float = 2.0,
) -> str:
    """Points huggingface_hub, transformers and datasets (imported or not yet) at the mirror.

    The mirror is `endpoint`, else ``DINGO_ENDPOINT``, else ``HF_ENDPOINT``, else the config file
    (see `config_path()`). Unless `check` is False (or ``HF_HUB_OFFLINE`` is set), its ``/health`` is
    probed first; if it does not answer, a MirrorUnreachableWarning is issued and
      - by default the libraries still point at the mirror (they fail until it is back);
      - with ``fallback=True`` they point at `upstream` (the Hub) instead.
    Returns the endpoint now in use. Calling it again switches endpoints; `disable()` undoes it.
    """
    global _patch
    mirror, source = discover_endpoint(endpoint)
    target = mirror
    if check and not _offline():
        health = probe(mirror, timeout)
        if not health["reachable"]:
            if fallback:
                target = normalize(upstream)
                warnings.warn(
                    f"DingoSpeed mirror {mirror} (from {source}) is unreachable ({health['error']}); "
                    f"falling back to {target}.",
                    MirrorUnreachableWarning,
                    stacklevel=2,
                )
            else:
                warnings.warn(
                    f"DingoSpeed mirror {mirror} (from {source}) is unreachable ({health['error']}); "
                    "downloads will fail until it answers. Use enable(fallback=True) to fall back to "
                    f"{normalize(upstream)} when the mirror is down.",
                    MirrorUnreachableWarning,
                    stacklevel=2,
                )
    with _lock:
        if _patch is not None:
            _patch.undo(_baseline(_patch))
            _patch = None
        replaced = {HUB, current_endpoint(HUB), os.environ.get("HF_ENDPOINT") or HUB}
        _patch = Patch.apply(target, replaced)
    return target


def _baseline(patch: Patch) -> str:
    """The endpoint the libraries had before `patch`: the previous HF_ENDPOINT, else the Hub."""
    return (patch.env_before or HUB).rstrip("/")


def disable() -> None:
    """Restores exactly what `enable()` changed (a no-op when not enabled)."""
    global _patch
    with _lock:
        if _patch is not None:
            _patch.undo(_baseline(_patch))
            _patch = None


def is_enabled() -> bool:
    return _patch is not None


def active_endpoint() -> str:
    """The endpoint huggingface_hub uses now."""
    return current_endpoint(HUB)


@contextmanager
def enabled(endpoint: Optional[str] = None, **kwargs: Any) -> Iterator[str]:
    """``with dingospeed.enabled(): ...``: enabled inside the block; the previous state after it."""
    with _lock:
        previous = _patch.endpoint if _patch is not None else None
    in_use = enable(endpoint, **kwargs)
    try:
        yield in_use
    finally:
        disable()
        if previous is not None:
            enable(previous, check=False)


def status(endpoint: Optional[str] = None, timeout: float = 2.0) -> Dict[str, Any]:
    """The mirror's health and version, and whether the libraries point at it. Never raises.

    Keys: endpoint, source, enabled, active_endpoint, reachable, healthy, status_code, health (the
    /health JSON), version (None when the mirror does not tell), latency_ms, error.
    """
    result: Dict[str, Any] = {"endpoint": None, "source": None, "enabled": False, "active_endpoint": active_endpoint()}
    try:
        if endpoint is None and _patch is not None:
            mirror, source = _patch.endpoint, "enabled"
        else:
            mirror, source = discover_endpoint(endpoint)
    except DingoSpeedError as e:
        result.update(reachable=False, healthy=False, status_code=None, health=None, version=None, latency_ms=None)
        result["error"] = str(e)
        return result
    result.update(endpoint=mirror, source=source, enabled=_patch is not None and _patch.endpoint == mirror)
    result.update(probe(mirror, timeout))
    return result
