"""Points the Hugging Face libraries at an endpoint, whether they were imported before or after.

Libraries imported later read ``HF_ENDPOINT`` from the environment at import
(``huggingface_hub.constants``, ``datasets.config``), so setting it covers them. Libraries already
imported keep module-level copies made at import time; these are rewritten in place:

- ``huggingface_hub.constants``: ``ENDPOINT``, ``HUGGINGFACE_CO_URL_TEMPLATE``, ``HF_URL_HOSTS``
  (hosts that keep the Authorization header across redirects);
- ``from ..constants import ENDPOINT`` copies (``huggingface_hub.cli.auth``,
  ``huggingface_hub.utils._git_credential``);
- ``datasets.config``: ``HF_ENDPOINT``, ``HUB_DATASETS_URL``;
- ``HfApi`` objects built at import with the endpoint of the time: ``huggingface_hub.hf_api.api``
  (behind ``huggingface_hub.model_info`` & co.) and ``transformers.utils.hub._hf_api``;
- fsspec's cache of ``HfFileSystem`` instances.

Only attributes with these names, in modules of these packages, holding a value derived from the
endpoint being replaced, are touched; each change is recorded so ``undo`` restores it exactly.
"""

import os
import sys
from typing import Any, Iterable, List, Optional, Set, Tuple
from urllib.parse import urlsplit

PACKAGES = (
    "huggingface_hub",
    "transformers",
    "datasets",
    "diffusers",
    "peft",
    "sentence_transformers",
    "timm",
    "accelerate",
    "evaluate",
)
ENDPOINT_ATTRS = ("ENDPOINT", "HF_ENDPOINT")
TEMPLATE_ATTRS = ("HUGGINGFACE_CO_URL_TEMPLATE", "HUB_DATASETS_URL")
HOSTS_ATTRS = ("HF_URL_HOSTS",)
CLIENT_ATTRS = ("api", "_hf_api")
# Hosts huggingface_hub trusts by default: never removed from HF_URL_HOSTS.
BUILTIN_HOSTS = frozenset({"huggingface.co", "hf.co", "hub-ci.huggingface.co"})


def _host(endpoint: str) -> str:
    return (urlsplit(endpoint).hostname or "").lower()


def _modules() -> Iterable[Any]:
    for name, module in list(sys.modules.items()):
        if module is not None and any(name == p or name.startswith(p + ".") for p in PACKAGES):
            yield module


def _retarget(value: Any, olds: Set[str], new: str, attr: str) -> Any:
    """The value `attr` would have had with `new` instead of one of `olds`, or None if unrelated."""
    if attr in ENDPOINT_ATTRS and isinstance(value, str) and value.rstrip("/") in olds:
        return new
    if attr in TEMPLATE_ATTRS and isinstance(value, str):
        for old in olds:
            if value.startswith(old + "/"):
                return new + value[len(old) :]
    if attr in HOSTS_ATTRS and isinstance(value, (set, frozenset)):
        stale = {_host(o) for o in olds} - BUILTIN_HOSTS - {_host(new)}
        if _host(new) not in value or stale & set(value):
            return type(value)((set(value) - stale) | {_host(new)})
    return None


class Patch:
    """One application of an endpoint; `undo` puts back what it changed."""

    def __init__(self, endpoint: str, env_before: Optional[str]):
        self.endpoint = endpoint
        self.env_before = env_before
        self.changes: List[Tuple[Any, str, Any, Any]] = []  # (owner, attr, before, after)

    @classmethod
    def apply(cls, endpoint: str, replaced: Set[str]) -> "Patch":
        patch = cls(endpoint, os.environ.get("HF_ENDPOINT"))
        os.environ["HF_ENDPOINT"] = endpoint
        patch.changes = rewrite(replaced, endpoint)
        return patch

    def undo(self, baseline: str) -> None:
        for owner, attr, before, after in reversed(self.changes):
            if getattr(owner, attr, None) is after:  # untouched since: restore it
                setattr(owner, attr, before)
        # Modules imported while enabled read the mirror from the environment: retarget them too.
        rewrite({self.endpoint}, baseline)
        if self.env_before is None:
            os.environ.pop("HF_ENDPOINT", None)
        else:
            os.environ["HF_ENDPOINT"] = self.env_before


def rewrite(olds: Set[str], new: str) -> List[Tuple[Any, str, Any, Any]]:
    """Rewrites every known copy of an endpoint in `olds` to `new`; returns what changed."""
    olds = {o.rstrip("/") for o in olds if o} - {new}
    changes: List[Tuple[Any, str, Any, Any]] = []
    if not olds:
        return changes
    for module in _modules():
        namespace = vars(module)
        for attr in ENDPOINT_ATTRS + TEMPLATE_ATTRS + HOSTS_ATTRS:
            if attr in namespace:
                value = namespace[attr]
                replacement = _retarget(value, olds, new, attr)
                if replacement is not None:
                    setattr(module, attr, replacement)
                    changes.append((module, attr, value, replacement))
        for attr in CLIENT_ATTRS:
            client = namespace.get(attr)
            current = getattr(client, "endpoint", None)
            if isinstance(current, str) and current.rstrip("/") in olds:
                client.endpoint = new
                changes.append((client, "endpoint", current, new))
    fs_module = sys.modules.get("huggingface_hub.hf_file_system")
    if fs_module is not None and hasattr(fs_module, "HfFileSystem"):
        fs_module.HfFileSystem.clear_instance_cache()
    return changes


def current_endpoint(default: str) -> str:
    """What huggingface_hub uses now (its constant if imported, else what it would read at import)."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and isinstance(getattr(constants, "ENDPOINT", None), str):
        return constants.ENDPOINT
    return (os.environ.get("HF_ENDPOINT") or default).rstrip("/")
