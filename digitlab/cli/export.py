"""`digitlab export`: a model as one ONNX file or a folder of W1.npy, b1.npy, ..."""

from __future__ import annotations

from pathlib import Path

from digitlab.errors import DigitlabError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("export", help="write a model as ONNX or as a folder of .npy weights",
                              description="Export a trained network (a model .npz, a run folder or a shipped "
                                          "model name) as one ONNX file (checked against onnxruntime when it "
                                          "is installed) or as W1.npy, b1.npy, ... (dense networks).")
    p.add_argument("model", metavar="MODEL", help="a model .npz, a run folder, or a shipped model name")
    p.add_argument("--format", default="onnx", choices=("onnx", "npy-dir"), help="onnx (default) or npy-dir")
    p.add_argument("-o", "--output", required=True, help="the .onnx file, or the folder for npy-dir")
    p.add_argument("--trust", action="store_true", help="allow model files holding pickled objects")
    p.set_defaults(func=run)


def run(model, format, output, trust):
    from digitlab.models.export import export_model, onnx_parity

    fitted, info, name = load_any(model, trust)
    path = export_model(fitted, output, format=format, info={**info, "source": name})
    if format == "npy-dir":
        files = sorted(p.name for p in Path(path).iterdir() if p.suffix in (".npy", ".json"))
        print(f"wrote {path}/: {', '.join(files)}")
        return 0
    size = Path(path).stat().st_size
    print(f"wrote {path} ({size / 1024:.0f} KB, ONNX opset 17, input 'pixels' float32 (N, "
          f"{fitted.n_features_in_ if hasattr(fitted, 'n_features_in_') else '?'}), outputs 'logits', 'probabilities')")
    try:
        diff = onnx_parity(path, fitted)
    except DigitlabError:
        print("onnxruntime is not installed: parity not checked")
        return 0
    print(f"onnxruntime parity: max |probability difference| {diff:.1e} on 64 random inputs")
    if diff > 1e-4:
        raise DigitlabError(f"{path}: onnxruntime disagrees with the model by {diff:.1e}")
    return 0


def load_any(model: str, trust: bool = False):
    """(fitted model, info, name) for a model file, run folder or shipped model name."""
    from digitlab.models import load_model

    path = Path(model)
    if path.exists():
        fitted, info = load_model(path, trust=trust)
        return fitted, dict(info or {}), path.stem
    from digitlab.models.pretrained import list_pretrained, load_pretrained

    names = [card["name"] for card in list_pretrained()]
    if model not in names:
        raise DigitlabError(f"{model}: no such model file, run folder or shipped model "
                            f"(shipped: {', '.join(names) or 'none'})")
    fitted, card = load_pretrained(model)
    return fitted, dict(card), model
