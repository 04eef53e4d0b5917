"""Every data-parallel strategy gives the single-device losses (4 CPU devices, a subprocess)."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

DRIVER = pathlib.Path(__file__).with_name("parallel_driver.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _env(devices):
    env = dict(os.environ)
    env["JAX_NUM_CPU_DEVICES"] = str(devices)
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _parse(stdout):
    line = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def _run_driver(out, specs):
    """The driver's report for ``specs``, run on 4 CPU devices in one process."""
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(out), *specs],
        env=_env(4),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _parse(proc.stdout)


@pytest.mark.slow
def test_strategies_agree_on_four_devices(tmp_path):
    specs = ["single", "pmap", "sharded", "shard_map", "sharded:zero1", "shard_map:accum"]
    report = _run_driver(tmp_path, specs)
    ref = np.array(report["single"]["losses"])
    assert len(ref) == 8 and ref[-1] < ref[0]
    for spec in specs[1:]:
        got = np.array(report[spec]["losses"])
        np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-6, err_msg=spec)
        res = report[spec]["result"]
        assert res["devices"] == 4
        assert res["final_eval_loss"] == pytest.approx(
            report["single"]["result"]["final_eval_loss"], rel=1e-4
        )
    single = report["single"]["result"]
    sharded = report["sharded"]["result"]
    zero1 = report["sharded:zero1"]["result"]
    # Data parallelism all-reduces at least the gradients (fp32) every step.
    assert sharded["allreduce_bytes_per_step"] >= sharded["param_bytes_per_device"]
    assert report["pmap"]["result"]["allreduce_bytes_per_step"] >= sharded["param_bytes_per_device"]
    assert single["allreduce_bytes_per_step"] == 0
    # ZeRO-1 keeps about a quarter of the optimizer state per device.
    assert (
        zero1["optimizer_state_bytes_per_device"]
        < 0.5 * sharded["optimizer_state_bytes_per_device"]
    )


@pytest.mark.slow
def test_schedule_free_is_evaluated_at_its_average_under_every_strategy(tmp_path):
    # ZeRO-1 splits z over the devices; the averaged x must be the same as on one device.
    specs = ["single:sf", "pmap:sf", "sharded:zero1+sf", "shard_map:sf"]
    report = _run_driver(tmp_path, specs)
    ref = report["single:sf"]["result"]
    for spec in specs[1:]:
        np.testing.assert_allclose(
            report[spec]["losses"], report["single:sf"]["losses"], rtol=2e-5, atol=1e-6
        )
        for key in ("final_eval_loss", "final_train_eval_loss"):
            assert report[spec]["result"][key] == pytest.approx(ref[key], rel=1e-4), (spec, key)


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_match_one_process(tmp_path):
    specs = ["sharded", "shard_map"]
    ref = _run_driver(tmp_path / "one", specs)
    coord = f"127.0.0.1:{_free_port()}"
    # Each process writes to files, not pipes: a pipe that nobody drains while
    # we wait on the other process would block the writer before the shutdown
    # barrier, and the coordinator would time out.
    logs = [(tmp_path / f"out{pid}.txt", tmp_path / f"err{pid}.txt") for pid in (0, 1)]
    procs = []
    for pid in (0, 1):
        with open(logs[pid][0], "w") as out, open(logs[pid][1], "w") as err:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(DRIVER),
                        str(tmp_path / "two"),
                        *specs,
                        "--multihost",
                        coord,
                        "2",
                        str(pid),
                    ],
                    env=_env(2),
                    stdout=out,
                    stderr=err,
                )
            )
    outs = []
    for pid, p in enumerate(procs):
        try:
            p.wait(timeout=600)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 0, logs[pid][1].read_text()[-3000:]
        outs.append(_parse(logs[pid][0].read_text()))
    for spec in specs:
        np.testing.assert_allclose(
            outs[0][spec]["losses"], ref[spec]["losses"], rtol=2e-5, atol=1e-6, err_msg=spec
        )
        for rank in (0, 1):
            res = outs[rank][spec]["result"]
            assert res["processes"] == 2 and res["devices"] == 4
            assert res["final_eval_loss"] == pytest.approx(
                ref[spec]["result"]["final_eval_loss"], rel=1e-4
            )
