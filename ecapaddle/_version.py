"""The package version, in a leaf module that the package and its parts import without a cycle."""
__version__ = "0.1.0"
