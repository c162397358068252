"""pullsim.kube knows nothing of time, SimPy, the engine, pandas or matplotlib."""

import subprocess
import sys


def test_kube_imports_no_simulation_or_plotting_modules():
    code = (
        "import sys, pullsim.kube\n"
        "banned = ('simpy', 'pandas', 'matplotlib', 'numpy', 'pullsim.engine', 'pullsim.model')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
