"""govlake: a privacy-preserving data lake and batch pipeline for government data sharing."""

__version__ = "0.1.0"
