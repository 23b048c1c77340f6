"""The core imports and the CLI parses without the optional extras."""

import subprocess
import sys

BLOCK_EXTRAS = """
import sys
for name in ("torch", "keras", "tensorflow", "fastapi", "uvicorn", "onnx", "onnxruntime"):
    sys.modules[name] = None  # any import of them now raises ImportError
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_EXTRAS + code], capture_output=True, text=True)


def test_core_and_cli_work_without_extras():
    result = run_python(
        "import digitlab, digitlab.data, digitlab.models, digitlab.runs\n"
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
    assert result.stderr.strip().count("\n") == 0
    assert "pip install 'digitlab[torch]'" in result.stderr


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "digitlab", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("digitlab ")


def test_every_command_has_help(capsys):
    import pytest

    from digitlab.cli import COMMANDS, main

    for name in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0, name
        assert "usage: digitlab" in capsys.readouterr().out
