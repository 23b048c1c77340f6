"""Every benchmark script still imports: a module moved in the package must not break one silently."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

IMPORT_ALL = """
import importlib.util, sys
sys.path.insert(0, sys.argv[1])  # the scripts import their sibling helpers by name
failed = []
for path in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location(path.rsplit("/", 1)[-1][:-3], path)
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    except Exception as exc:
        failed.append(f"{path}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_every_benchmark_script_imports():
    scripts = sorted(str(p) for p in BENCHMARKS.glob("*.py"))
    assert len(scripts) >= 15
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL, str(BENCHMARKS), *scripts],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout
