#!/usr/bin/env bash
# The device check (benchmarks/device_check.py); e.g. `benchmarks/device_check.sh --smoke`.
exec python "$(dirname "$0")/device_check.py" "$@"
