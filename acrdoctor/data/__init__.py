"""Package data: the bundled demo registry snapshot (``demo-snapshot.json``, written by :mod:`acrdoctor.demo`).

No code lives here and it imports nothing; it is a package only so that ``importlib.resources`` finds the file in
an installed wheel.
"""
