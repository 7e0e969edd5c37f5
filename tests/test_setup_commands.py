"""The set-up commands: `flask seed demo` prints the demo accounts every time it runs
(./scripts/demo relies on it), and the scripts a person or CI runs are valid, executable bash."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_seed_demo_prints_the_accounts_on_every_run(runner):
    from services import demo

    first = runner.invoke(args=["seed", "demo", "--ideas", "5"])
    assert first.exit_code == 0, first.output
    assert "already there" not in first.output
    second = runner.invoke(args=["seed", "demo", "--ideas", "5"])
    assert second.exit_code == 0, second.output
    assert "already there" in second.output
    for output in (first.output, second.output):
        assert f"password for all: {demo.demo_password()}" in output
        for _label, identifier, _name, _roles in demo.ROLE_ACCOUNTS:
            assert identifier in output


@pytest.mark.parametrize("script", ["scripts/demo", "scripts/test", ".ci/run"])
def test_scripts_are_executable_bash(script):
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable (chmod +x)"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in path.read_text()
    check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)  # noqa: S603,S607
    assert check.returncode == 0, check.stderr
