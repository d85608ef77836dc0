"""Free-text masking with Presidio: find personal data in a cell, replace each finding.

Engines are expensive (spaCy model, jieba dictionary): they are built once per process and
reused for every row a Spark worker sees.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from typing import Iterable, Iterator, Sequence

from masking.models import NER_MODEL
from masking.operators import OPERATORS, MaskContext, get_operator
from masking.recognizers import KnownValuesRecognizer, default_recognizers
from masking.recognizers.en_ner import NAME_START

LANGUAGE = "en"  # Presidio's plumbing language; recognizers here handle Chinese and English text.
SCORE_THRESHOLD = 0.5

# Masked text, analysed again by verification, holds the operators' own output (<PERSON>, tokens):
# capitals there are no reason to run the English model.
_OPERATOR_OUTPUT = re.compile("|".join(f"(?:{op.SPAN_PATTERN})" for op in OPERATORS.values() if op.SPAN_PATTERN))

_lock = threading.Lock()
_engines: dict[str, object] = {}


def _nlp_engine():
    import spacy
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    class MixedScriptNlpEngine(SpacyNlpEngine):
        """The English model's entity recognizer alone, and only on text where it could find a name.

        Of the model's pipes only ``ner`` runs: it has its own token embedding, so its entities are
        the same as with the whole pipeline, at less than half the cost. The tagger, parser and
        lemmatizer fed nothing but lemmas to Presidio's context enhancer, which govlake does not use
        (see WindowContextAnalyzerEngine).

        Text with no capitalised word (Chinese, or Latin only in lower case, as in most e-mail
        addresses) gets the tokenizer alone: the NER would find nothing EnglishNerRecognizer keeps.
        Capitals inside the operators' own output do not count: the NER would find nothing there
        but the output itself.
        """

        def load(self) -> None:
            self.nlp = {model["lang_code"]: spacy.load(model["model_name"], enable=["ner"]) for model in self.models}

        @staticmethod
        def needs_model(text: str) -> bool:
            return bool(NAME_START.search(_OPERATOR_OUTPUT.sub(" ", text)))

        def process_text(self, text: str, language: str):
            nlp = self.nlp[language]
            return self._doc_to_nlp_artifact(nlp(text) if self.needs_model(text) else nlp.make_doc(text), language)

        def process_batch(self, texts: Iterable[str], language: str, batch_size: int = 64, **kwargs):
            """(text, artifacts) for each text, in order. The model gets its texts in batches,
            which saves a third of its time: much of it is a fixed cost per call."""
            nlp = self.nlp[language]
            flagged, for_model = itertools.tee((text, self.needs_model(text)) for text in texts)
            docs = nlp.pipe((text for text, needs in for_model if needs), batch_size=batch_size)
            for text, needs in flagged:
                yield text, self._doc_to_nlp_artifact(next(docs) if needs else nlp.make_doc(text), language)

    ner = NerModelConfiguration(
        model_to_presidio_entity_mapping={"PERSON": "PERSON", "PER": "PERSON"},
        labels_to_ignore=["ORG", "ORGANIZATION", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT",
                          "QUANTITY", "NORP", "NRP", "FAC", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
                          "LAW", "LANGUAGE"],
    )
    engine = MixedScriptNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": NER_MODEL}],
                                  ner_model_configuration=ner)
    engine.load()
    return engine


def analyzer():
    """The process's shared Presidio analyzer with govlake's recognizers."""
    with _lock:
        if "analyzer" not in _engines:
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

            from masking.recognizers.en_ner import EnglishNerRecognizer

            registry = RecognizerRegistry(supported_languages=[LANGUAGE])
            registry.add_recognizer(EnglishNerRecognizer(supported_language=LANGUAGE))
            for recognizer in default_recognizers(LANGUAGE):
                registry.add_recognizer(recognizer)
            class WindowContextAnalyzerEngine(AnalyzerEngine):
                """Context words are weighed by govlake's recognizers themselves, in a window of
                characters around each match, which works for Chinese text too (ContextPatternRecognizer).
                Presidio's second pass over spaCy lemmas would only boost the same matches again."""

                def _enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
                    return raw_results

            _engines["analyzer"] = WindowContextAnalyzerEngine(registry=registry, nlp_engine=_nlp_engine(),
                                                               supported_languages=[LANGUAGE])
        return _engines["analyzer"]


def anonymizer():
    with _lock:
        if "anonymizer" not in _engines:
            from presidio_anonymizer import AnonymizerEngine

            _engines["anonymizer"] = AnonymizerEngine()
        return _engines["anonymizer"]


def supported_entities() -> list[str]:
    return sorted(set(analyzer().get_supported_entities(LANGUAGE)))


def analyze(text: str, known: Iterable[tuple[str, str]] = (), threshold: float = SCORE_THRESHOLD):
    """Presidio findings in ``text``; ``known`` are (entity, value) pairs the row already declares."""
    if not text:
        return []
    return _findings(text, list(known), threshold, analyzer().nlp_engine.process_text(text, LANGUAGE))


def analyze_many(texts: Iterable[str | None], known: Iterable[Sequence[tuple[str, str]]] | None = None,
                 threshold: float = SCORE_THRESHOLD) -> Iterator[list]:
    """``analyze`` for each text in turn (``known``: one list of pairs per text), with the English
    model run over the texts in batches. A cell that is not text, or only blanks, has no findings.
    Lazy: a column is never held twice."""
    texts, present = itertools.tee(texts)
    artifacts = analyzer().nlp_engine.process_batch((t for t in present if _has_text(t)), LANGUAGE)
    pairs_per_text = zip(texts, known, strict=True) if known is not None else ((t, ()) for t in texts)
    for text, pairs in pairs_per_text:
        yield _findings(text, list(pairs), threshold, next(artifacts)[1]) if _has_text(text) else []


def _has_text(cell) -> bool:
    return isinstance(cell, str) and bool(cell.strip())


def _findings(text: str, known: list[tuple[str, str]], threshold: float, nlp_artifacts) -> list:
    ad_hoc = [KnownValuesRecognizer(known, supported_language=LANGUAGE)] if known else None
    results = analyzer().analyze(text=text, language=LANGUAGE, score_threshold=threshold, ad_hoc_recognizers=ad_hoc,
                                 nlp_artifacts=nlp_artifacts)
    locations = [(r.start, r.end) for r in results if r.entity_type == "LOCATION"]
    resident_ids = {(r.start, r.end) for r in results if r.entity_type == "CN_RESIDENT_ID"}
    kept = []
    for r in results:
        if r.entity_type == "PERSON" and any(s <= r.start and r.end <= e for s, e in locations):
            continue  # a surname-like street inside an address ("刘街") is part of the address
        if r.entity_type == "CN_USCC" and (r.start, r.end) in resident_ids:
            continue  # an ID ending in X can pass the credit-code check by chance (1 in 31)
        kept.append(r)
    return kept


class TextMasker:
    """Masks one free-text column: each entity type found gets its contract's operator."""

    def __init__(self, operators: dict[str, str], ctx: MaskContext):
        self.operators = operators
        self.ctx = ctx

    def _operator_config(self, entity: str):
        from presidio_anonymizer.entities import OperatorConfig

        name = self.operators.get(entity, self.operators.get("DEFAULT", "redact"))
        op = get_operator(name)
        ctx = self.ctx
        return OperatorConfig("custom", {"lambda": lambda span, _e=entity: op.span(span, _e, {}, ctx)})

    def mask(self, text: str | None, known: Iterable[tuple[str, str]] = ()) -> tuple[str | None, Counter]:
        if text is None or not text.strip():
            return text, Counter()
        return self._replace(text, analyze(text, list(known)))

    def mask_many(self, texts: Iterable[str | None], known: Iterable[Sequence[tuple[str, str]]] | None = None
                  ) -> Iterator[tuple[str | None, Counter]]:
        """``mask`` for each text in turn, analysed with :func:`analyze_many`."""
        texts, to_analyze = itertools.tee(texts)
        for text, results in zip(texts, analyze_many(to_analyze, known)):
            yield self._replace(text, results)

    def _replace(self, text: str | None, results: list) -> tuple[str | None, Counter]:
        if not results:
            return text, Counter()
        entities = {r.entity_type for r in results}
        operators = {e: self._operator_config(e) for e in entities}
        out = anonymizer().anonymize(text=text, analyzer_results=results, operators=operators)
        return out.text, Counter(item.entity_type for item in out.items)
