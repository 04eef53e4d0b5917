"""Run by test_parallel.py in a subprocess (JAX must see several CPU devices from the start).

usage: parallel_driver.py OUTDIR STRATEGY[:FLAG[+FLAG]] ... [--multihost COORD NPROC PID]
FLAG: zero1 (ZeRO-1), accum (2 accumulation steps), sf (schedule-free AdamW).
Prints one JSON line: {strategy: {"losses": [...], "result": {...}}}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from train_helpers import losses, tiny  # noqa: E402

CONFIG = tiny(
    model={"width": 16, "depth": 2, "activation": "tanh"},
    data={"name": "spirals", "options": {"n_train": 256, "n_test": 64}},
    optimizer={"name": "adam", "learning_rate": 1e-2, "clip_norm": 5.0},
    train={"steps": 8, "batch_size": 32, "log_every": 1},
)


def main(argv):
    out, strategies = argv[0], argv[1:]
    multihost = []
    if "--multihost" in strategies:
        i = strategies.index("--multihost")
        multihost, strategies = strategies[i + 1 : i + 4], strategies[:i]
    from optzoo.train import train_and_evaluate

    report = {}
    for spec in strategies:
        strategy, _, flag = spec.partition(":")
        flags = flag.split("+")
        cfg = json.loads(json.dumps(CONFIG))
        cfg["parallel"] = {"strategy": strategy, "zero1": "zero1" in flags}
        if "accum" in flags:
            cfg["optimizer"]["accumulate_steps"] = 2
        if "sf" in flags:  # schedule-free: evaluated at its averaged iterate
            cfg["optimizer"] = {"name": "schedule_free_adamw", "learning_rate": 1e-2}
        if multihost:
            coord, nproc, pid = multihost
            cfg["parallel"].update(coordinator=coord, num_processes=int(nproc), process_id=int(pid))
        workdir = os.path.join(out, spec.replace(":", "_").replace("+", "_"))
        result = train_and_evaluate(cfg, workdir)
        entry = {"result": result}
        if not multihost or multihost[2] == "0":
            entry["losses"] = losses(workdir)
        report[spec] = entry
    print("RESULT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
