"""Model backends: one module per backend, all with the same component interface.

A *component* classifies texts for one task. It has ``classes_`` (label codes),
``multi_label_`` (bool), ``predict_proba(texts) -> ndarray (n, len(classes_))``
and is saved / loaded by :mod:`voc.models.registry`.

- :mod:`voc.models.sklearn`: the default (TF-IDF char n-grams -> logistic regression), JSON + safetensors files.
- :mod:`voc.models.transformers`: fine-tuned encoders, safetensors (torch imported lazily).
- :mod:`voc.models.snownlp`: SnowNLP sentiment, the baseline to compare against.
"""
