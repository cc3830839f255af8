"""Grow your own labels: pick texts to label, hand them to an annotation tool, measure agreement.

The workflow that built ``corpora/voc_real_zh`` (see ``docs/labelling.md``):

1. :func:`suggest` picks texts to label (uncertainty + diversity + cue retrieval + a random share).
2. :func:`to_label_studio` / :func:`to_doccano` export them, with :func:`label_studio_config`
   generated from the taxonomy; :func:`from_label_studio` / :func:`from_doccano` read the
   annotations back as task columns.
3. :func:`agreement` gives Cohen's / Fleiss' kappa per task between annotators (a second
   blind pass on a random share), :func:`confusion` shows where they disagree.

The same steps are on the command line: ``voc label suggest | export | import | agreement``.
"""

from voc.labelling.agreement import agreement, as_label_set, cohen_kappa, confusion, fleiss_kappa
from voc.labelling.formats import (
    doccano_label_names,
    from_doccano,
    from_label_studio,
    label_studio_config,
    to_doccano,
    to_label_studio,
)
from voc.labelling.suggest import suggest

__all__ = [
    "agreement",
    "as_label_set",
    "cohen_kappa",
    "confusion",
    "fleiss_kappa",
    "suggest",
    "label_studio_config",
    "to_label_studio",
    "from_label_studio",
    "to_doccano",
    "from_doccano",
    "doccano_label_names",
]
