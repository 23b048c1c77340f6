"""The core imports and the CLI parses without the optional extras."""

import subprocess
import sys

BLOCK_EXTRAS = """
import sys

class BlockExtras:  # as if torch, keras, fastapi, ... were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "keras", "tensorflow", "fastapi", "uvicorn", "onnx", "onnxruntime"):
            raise ImportError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, BlockExtras())
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_EXTRAS + code], capture_output=True, text=True, check=False)


def test_core_and_cli_work_without_extras():
    result = run_python(
        "import digitlab, digitlab.data, digitlab.models, digitlab.evaluate.runs\n"
        "from digitlab.cli import build_parser\n"
        "build_parser().parse_args(['train', '--model', 'knn'])\n"
        "from digitlab.models import make_model\n"
        "make_model('mlp')\n"
        "print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_missing_extra_is_a_one_line_error():
    result = run_python(
        "from digitlab.cli import main\n"
        "raise SystemExit(main(['train', '--model', 'cnn', '--engine', 'torch']))"
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("digitlab: error")]
    assert "Traceback" not in result.stderr
    assert len(errors) == 1 and "pip install 'digitlab[torch]'" in errors[0]


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "digitlab", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("digitlab ")


def test_every_command_has_help(capsys):
    import pytest

    from digitlab.cli import COMMANDS, main

    for name in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0, name
        assert "usage: digitlab" in capsys.readouterr().out


def test_shipped_weights_stay_under_8_mb():
    """A small install: three models and two detectors. The default grew to 4 MB (64-128 channels) to read
    real scans and damaged digits; a model that would push past 8 MB should not ship in the package."""
    from pathlib import Path

    import digitlab

    package = Path(digitlab.__file__).parent
    assert sum(p.stat().st_size for p in package.rglob("*.npz")) < 8_000_000
