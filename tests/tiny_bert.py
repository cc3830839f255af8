"""Test helper: a tiny, randomly initialised Chinese BERT checkpoint built on the fly.

No download: the vocabulary is the set of characters of the given texts plus BERT's
special tokens, and the weights are random (``hidden_size=32``, 2 layers), so the
checkpoint is a few hundred KB and fine-tunes in seconds on a CPU. It has no
linguistic knowledge: it can memorise a small training set, not generalise.

Example:
    >>> from tiny_bert import make_tiny_bert            # with tests/ on sys.path
    >>> path = make_tiny_bert(tmp_path, ["很好吃", "太难吃了"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_tiny_bert(tmp_path: str | Path, texts: Iterable[str], seed: int = 0) -> str:
    """Write a tiny random BERT (tokenizer + safetensors weights) under ``tmp_path/tiny-bert``.

    Args:
        tmp_path: Parent directory (e.g. pytest's ``tmp_path``).
        texts: Texts whose characters make up the vocabulary (lower-cased, like the tokenizer).
        seed: Seed of the random weights.

    Returns:
        The checkpoint directory, usable as ``model_name_or_path``.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    out = Path(tmp_path) / "tiny-bert"
    out.mkdir(parents=True, exist_ok=True)
    chars = sorted({ch for t in texts for ch in t.lower() if not ch.isspace()})
    vocab = SPECIAL_TOKENS + [c for c in chars if c not in SPECIAL_TOKENS]
    vocab_file = out / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(vocab_file), tokenize_chinese_chars=True)
    tokenizer.save_pretrained(str(out))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=160,
                        initializer_range=0.1)  # wider than BERT's 0.02: learns a toy set in a few epochs
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    model.save_pretrained(str(out))
    return str(out)
