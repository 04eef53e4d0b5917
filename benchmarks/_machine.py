"""The machine and library versions recorded with every benchmark result."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any


def cpu_model() -> str:
    """The CPU model name from ``lscpu`` (``platform.processor()`` when that fails)."""
    cpu = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return cpu
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), cpu)


def machine_info() -> dict[str, Any]:
    """CPU, cores, load, Python, jax / jaxlib / optax (/ flax) versions and the device."""
    import jax
    import jaxlib
    import optax

    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "optax": optax.__version__,
    }
    try:
        import flax

        info["flax"] = flax.__version__
    except ImportError:
        pass
    info["device"] = str(jax.devices()[0])
    info["platform"] = jax.default_backend()
    return info
