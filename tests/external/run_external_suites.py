"""Runs optax's and Flax's own published tests with ``import optax`` resolving to optzoo.

Usage (from the repository root)::

    python tests/external/run_external_suites.py                  # both suites, against optzoo
    python tests/external/run_external_suites.py optax -n 2       # one suite, 2 xdist workers
    python tests/external/run_external_suites.py --against optax  # baseline: real optax
    python tests/external/run_external_suites.py --against optax --write-known

The source distribution of the *installed* optax / flax release is downloaded from the package
index with ``pip download --no-binary :all:`` into a cache directory (``$OPTZOO_EXTERNAL_CACHE``,
default ``~/.cache/optzoo-external``), unpacked, and its test files are run by pytest with
``optax_swap_plugin`` loaded. No optax or Flax code is stored in this repository.

Each suite has a list of known failures, ``<suite>_known_failures.txt`` beside this file: the
tests that fail with real optax itself on the pinned versions (one node id a line, ``#`` and
a reason after it). The run fails on any failure that is not on that list, and when the
installed optax / flax is not the release the list was made for. A download failure is an
error, never a skip.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
import _jax_env  # noqa: E402  (tests/_jax_env.py, shared with tests/conftest.py)


@dataclass(frozen=True)
class Suite:
    name: str
    dist: str  # the distribution whose source distribution holds the tests
    paths: tuple[str, ...]  # test files / folders, relative to the unpacked source
    optax_tests_only: tuple[str, ...] = ()  # of these files, only tests that mention optax
    pytest_args: tuple[str, ...] = field(default_factory=tuple)
    env: tuple[tuple[str, str], ...] = ()  # as the project's own test runner sets it


SUITES = {
    # Every *_test.py file of optax's source distribution.
    "optax": Suite("optax", "optax", ("optax",)),
    # Flax's tests that build optimizers: nnx.Optimizer, nnx.TrainState, flax.training's
    # TrainState (cursor, serialization), optax.masked / multi_transform with traverse_util;
    # of the big mixed files only the tests whose code uses optax.
    "flax": Suite(
        "flax",
        "flax",
        (
            "tests/nnx/optimizer_test.py",
            "tests/nnx/ema_test.py",
            "tests/nnx/helpers_test.py",
            "tests/nnx/integration_test.py",
            "tests/cursor_test.py",
            "tests/serialization_test.py",
            "tests/traverse_util_test.py",
            "tests/linen/linen_test.py",
            "tests/nnx/graph_utils_test.py",
            "tests/nnx/mutable_array_test.py",
            "tests/nnx/spmd_test.py",
            "tests/nnx/transforms_test.py",
        ),
        optax_tests_only=(
            "tests/linen/linen_test.py",
            "tests/nnx/graph_utils_test.py",
            "tests/nnx/mutable_array_test.py",
            "tests/nnx/spmd_test.py",
            "tests/nnx/transforms_test.py",
        ),
        # Flax's tests/run_all_tests.sh runs its tests with these.
        env=(
            ("XLA_FLAGS", "--xla_force_host_platform_device_count=4"),
            ("JAX_NUMPY_RANK_PROMOTION", "raise"),
            ("FLAX_PROFILE", "1"),
        ),
    ),
}


def fail(msg: str) -> SystemExit:
    print(f"run_external_suites: ERROR: {msg}", file=sys.stderr, flush=True)
    return SystemExit(2)


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "optzoo-external"
    return Path(os.environ.get("OPTZOO_EXTERNAL_CACHE", default))


def fetch_sdist(dist: str, version: str, cache: Path) -> Path:
    """Downloads (once) and unpacks the source distribution; returns the unpacked root."""
    root = cache / f"{dist}-{version}"
    done = root / ".optzoo-unpacked"
    if done.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"{dist}-{version}.tar.gz"
    if not tarball.exists():
        print(f"downloading the {dist}=={version} source distribution ...", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
        cmd += ["--disable-pip-version-check", "-d", str(cache), f"{dist}=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not tarball.exists():
            raise fail(
                f"could not download the {dist}=={version} source distribution from the package "
                f"index (pip download exited {proc.returncode}); this step needs registry "
                f"access.\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = Path(tmp) / f"{dist}-{version}"
        if not unpacked.is_dir():
            raise fail(f"{tarball} does not unpack to {dist}-{version}/")
        if root.exists():  # a half-unpacked earlier attempt
            import shutil

            shutil.rmtree(root)
        unpacked.rename(root)
    done.touch()
    return root


_HEADER = re.compile(r"^#\s*versions:\s*(.*)$")


def read_known(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Returns ({node id: reason}, {package: version the list was made with})."""
    known: dict[str, str] = {}
    versions: dict[str, str] = {}
    if not path.exists():
        return known, versions
    for line in path.read_text().splitlines():
        m = _HEADER.match(line)
        if m:
            versions = dict(kv.split("==") for kv in m.group(1).split())
            continue
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        nodeid, _, reason = line.partition("#")
        known[nodeid.strip()] = reason.strip()
    return known, versions


def installed(pkg: str) -> str:
    return importlib.metadata.version(pkg)


def run_suite(
    suite: Suite, against: str, workers: str, extra: list[str], cache: Path, only: list[str]
) -> dict:
    version = installed(suite.dist)
    src = fetch_sdist(suite.dist, version, cache)
    results = cache / f"{suite.name}-against-{against}.json"  # the plugin writes it, and a
    running_log = Path(f"{results}.log")  # line per test as it finishes
    for f in (results, running_log):
        f.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(
        OPTZOO_EXTERNAL_AGAINST=against,
        OPTZOO_EXTERNAL_SRC=str(src),
        OPTZOO_EXTERNAL_RESULTS=str(results),
        OPTZOO_EXTERNAL_OPTAX_TESTS_ONLY=",".join(suite.optax_tests_only),
    )
    env.update(suite.env)
    env.setdefault("JAX_PLATFORMS", "cpu")
    # One JAX compilation cache on disk for this suite's run, shared by its xdist workers and
    # removed afterwards, as optzoo's own suite has (tests/_jax_env.py).
    jax_cache = None
    if not env.get("JAX_COMPILATION_CACHE_DIR"):
        jax_cache, cache_env = _jax_env.new_cache(f"optzoo-{suite.name}-suite-jax-cache-")
        env.update(cache_env)
    cmd = [sys.executable, "-m", "pytest", "-p", "optax_swap_plugin", "-p", "no:cacheprovider"]
    cmd += ["-p", "no:benchmark"]  # its warning under xdist is an error with flax's settings
    cmd += ["--import-mode=importlib", "-q", "-rN", "--tb=line", f"--rootdir={src}"]
    if workers != "0":
        cmd += ["-n", workers]
    # Run from the cache folder, not the unpacked source: `python -m` puts the working folder on
    # sys.path, and optax / flax must come from the installed release, not the source copy.
    cmd += [*suite.pytest_args, *extra, *(f"{src.name}/{p}" for p in only or suite.paths)]
    print(f"== {suite.name} suite ({suite.dist} {version}) against {against}: {' '.join(cmd[1:])}")
    print(f"   (outcomes: {running_log} as tests finish, {results} at the end)", flush=True)
    t0 = time.time()
    try:
        proc = subprocess.run(cmd, cwd=src.parent, env=env)
    finally:
        if jax_cache:
            shutil.rmtree(jax_cache, ignore_errors=True)
    seconds = time.time() - t0
    if not results.exists() or results.stat().st_size == 0:
        raise fail(f"pytest wrote no results for the {suite.name} suite (exit {proc.returncode})")
    data = json.loads(results.read_text())
    if proc.returncode not in (0, 1):  # 1: tests failed, which the known-failure lists judge
        raise fail(f"pytest exited {proc.returncode} on the {suite.name} suite (see above)")
    data.update(seconds=seconds, version=version, returncode=proc.returncode)
    return data


def summarize(suite: Suite, data: dict, known: dict[str, str]) -> tuple[list[str], str]:
    tests = data["tests"]
    failed = sorted(n for n, o in tests.items() if o == "failed")
    passed = sum(o == "passed" for o in tests.values())
    skipped = sum(o == "skipped" for o in tests.values())
    unexpected = [n for n in failed if n not in known]
    fixed = sorted(n for n in known if tests.get(n) == "passed")
    line = (
        f"{suite.name}-suite: {passed} passed, {len(failed)} failed, {skipped} skipped"
        f" in {data['seconds']:.0f}s"
    )
    print(line)
    print(
        f"{suite.name}-suite against {data['against']}: {len(failed) - len(unexpected)} known "
        f"failures, {len(unexpected)} unexpected"
        + (f"; {len(fixed)} known failures passed" if fixed else "")
    )
    for n in unexpected:
        print(f"  UNEXPECTED FAILURE: {n}")
    for n in fixed:
        print(f"  known failure passed: {n}")
    return unexpected, line


def write_known(path: Path, suite: Suite, data: dict, old: dict[str, str]) -> None:
    failed = sorted(n for n, o in data["tests"].items() if o == "failed")
    pkgs = sorted({suite.dist, "optax", "jax", "jaxlib", "chex"})
    header = [
        f"# Tests of the {suite.name} suite that fail with real optax itself (not optzoo).",
        "# Written by run_external_suites.py --against optax --write-known; reasons by hand.",
        "# versions: " + " ".join(f"{p}=={installed(p)}" for p in pkgs),
    ]
    lines = [f"{n}  # {old.get(n) or 'TODO: reason'}" for n in failed]
    path.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {len(failed)} known failures to {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("suites", nargs="*", help=f"any of {', '.join(SUITES)} (default: all)")
    ap.add_argument("--against", choices=["optzoo", "optax"], default="optzoo")
    ap.add_argument("-n", dest="workers", default="0", help="pytest-xdist workers (default 0)")
    ap.add_argument("--write-known", action="store_true", help="with --against optax")
    ap.add_argument(
        "--only",
        action="append",
        metavar="PATH",
        help="a test file or node id, relative to the unpacked source, to run instead of the\n"
        "suite's files (repeatable; with one suite)",
    )
    ap.add_argument("--json", type=Path, help="also write every test's outcome here")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []  # passed on to pytest
    args = ap.parse_args(argv[: len(argv) - len(extra) - (1 if "--" in argv else 0)])
    if args.only and len(args.suites) != 1:
        raise fail("--only needs exactly one suite named")
    if args.write_known and args.only:
        raise fail("--write-known needs the whole suite, not --only")
    for name in args.suites:
        if name not in SUITES:
            raise fail(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
    if args.write_known and args.against != "optax":
        raise fail("--write-known records failures of real optax: use it with --against optax")
    cache = cache_dir()
    bad = 0
    lines = []
    report = {}
    for name in args.suites or list(SUITES):
        suite = SUITES[name]
        known_file = HERE / f"{name}_known_failures.txt"
        known, versions = read_known(known_file)
        for pkg, want in versions.items():
            have = installed(pkg)
            if have != want and pkg in (suite.dist, "optax") and not args.write_known:
                raise fail(
                    f"{known_file.name} lists the failures of {pkg}=={want}, but {pkg}=={have} "
                    f"is installed: install {pkg}=={want} (pip install -e '.[test]')"
                )
            if have != want:
                print(f"warning: {known_file.name} was made with {pkg}=={want}; {have} installed")
        data = run_suite(suite, args.against, args.workers, extra, cache, args.only or [])
        report[name] = data
        if args.write_known:
            write_known(known_file, suite, data, known)
            known, _ = read_known(known_file)
        unexpected, line = summarize(suite, data, known)
        lines.append(line)
        bad += len(unexpected)
        if not data["tests"]:
            raise fail(f"the {name} suite ran no test")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True))
    print("== external suites:", "; ".join(lines))
    if bad:
        print(f"external suites: FAILED, {bad} unexpected failures (see UNEXPECTED FAILURE above)")
        return 1
    print("external suites: OK, every failure is a known failure of optax itself")
    return 0


if __name__ == "__main__":
    sys.exit(main())
