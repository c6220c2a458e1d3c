"""Built-in acrdoctor checks: one module per failure mode. Installed as ``acrdoctor.checks``."""
