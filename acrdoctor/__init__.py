"""acrdoctor: why deleting things in Azure Container Registry fails or frees less than expected."""

__version__ = "0.1.0"
