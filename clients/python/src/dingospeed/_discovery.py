"""Where the mirror is: an explicit argument, DINGO_ENDPOINT, HF_ENDPOINT, or the config file."""

import json
import os
import sys
from pathlib import Path
from typing import Optional, Tuple
from urllib.parse import urlsplit

HUB = "https://huggingface.co"


class DingoSpeedError(Exception):
    """A configuration problem (no endpoint, a malformed URL or config file)."""


def config_path() -> Path:
    """``$DINGO_CONFIG_FILE``, else ``$XDG_CONFIG_HOME/dingospeed/config.json`` (``~/.config/...``;
    ``%APPDATA%\\dingospeed\\config.json`` on Windows)."""
    explicit = os.environ.get("DINGO_CONFIG_FILE")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "dingospeed" / "config.json"
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "dingospeed" / "config.json"


def normalize(endpoint: str) -> str:
    value = endpoint.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DingoSpeedError(f"not a mirror URL: {endpoint!r} (expected http(s)://host[:port])")
    return value


def _from_config_file() -> Optional[Tuple[str, str]]:
    path = config_path()
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DingoSpeedError(f"cannot read {path}: {e}") from e
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise DingoSpeedError(f'{path} has no "endpoint" string')
    return normalize(endpoint), f"config:{path}"


def discover_endpoint(endpoint: Optional[str] = None) -> Tuple[str, str]:
    """Returns ``(endpoint, source)``; the first of: the argument, ``DINGO_ENDPOINT``,
    ``HF_ENDPOINT``, the config file's ``{"endpoint": ...}``. Raises DingoSpeedError if none."""
    if endpoint:
        return normalize(endpoint), "argument"
    for var in ("DINGO_ENDPOINT", "HF_ENDPOINT"):
        value = os.environ.get(var)
        if value and value.strip():
            return normalize(value), var
    found = _from_config_file()
    if found:
        return found
    raise DingoSpeedError(
        "no DingoSpeed mirror configured: call enable('http://mirror:8090'), set DINGO_ENDPOINT, "
        f'or write {{"endpoint": "http://mirror:8090"}} to {config_path()}'
    )
