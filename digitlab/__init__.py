"""digitlab: recognise handwritten digits.

The core (data, the from-scratch NumPy engine, scikit-learn baselines, reports,
the CLI) imports with numpy, scipy, scikit-learn, Pillow, matplotlib and tqdm
only; torch, keras and fastapi are imported lazily by the modules that need them.
"""

from digitlab.errors import DigitlabError

__version__ = "0.1.0"
__all__ = ["DigitlabError", "__version__"]
