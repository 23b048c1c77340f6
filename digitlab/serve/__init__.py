"""The web app and JSON API (`digitlab serve`); needs the `serve` extra (fastapi, uvicorn).

`create_app` lives in `digitlab.serve.app`, the only module that imports
FastAPI; importing this package alone stays light.
"""


def create_app(*args, **kwargs):
    """See `digitlab.serve.app.create_app` (imported here on first use)."""
    from digitlab.serve.app import create_app as _create_app

    return _create_app(*args, **kwargs)
