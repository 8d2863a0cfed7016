"""Item text as numbers: TF-IDF of word and character n-grams, reduced by truncated SVD.

``data.text.column`` names a text column of the panel's static table (the synthetic shop's
``name``, a transaction log's ``description``, any column of ``data.static_path``). Its texts
are turned into ``data.text.dims`` numbers per static row, ``text_0 .. text_{dims-1}``, by
latent semantic analysis as scikit-learn builds it: a ``TfidfVectorizer`` of words
(``data.text.word_ngrams``) beside one of character n-grams within words
(``data.text.char_ngrams``), fitted on the distinct texts themselves, then ``TruncatedSVD``
(``data.text.seed``) and rows scaled to unit length, so that the dot product of two items'
vectors is the cosine of their texts. Missing or blank texts get a zero vector, counted in
the panel log.

The vectors are plain numeric static columns: the global models (LightGBM, TiDE, ...) take
them as static covariates with no change of their own, and the cold-start forecast
(:mod:`workbench.forecast.coldstart`) finds each new item's nearest neighbours with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from workbench.config import TextConfig
from workbench.data.panel import DemandPanel, PanelError

PREFIX = "text_"
TOKENS = r"(?u)\b\w+\b"  # every word, one letter or digit too: the "l" of "1.7 l", the "5" of "size 5"


def text_columns(dims: int) -> list[str]:
    """The names of the vector's columns: ``text_0 .. text_{dims-1}``."""
    return [f"{PREFIX}{k}" for k in range(dims)]


@dataclass(frozen=True)
class TextVectors:
    """The vectors of a list of texts, and what went into them."""

    values: np.ndarray  # (texts, dims); zero rows where the text is missing
    missing: int  # texts that were null or blank
    distinct: int  # distinct texts the vectoriser was fitted on
    features: int  # n-grams in its vocabulary
    explained: float  # share of the TF-IDF variance the SVD kept


def _vectoriser(cfg: TextConfig):
    """The TF-IDF union of ``data.text.word_ngrams`` and ``data.text.char_ngrams``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    parts = []
    if cfg.word_ngrams:
        parts.append(("words", TfidfVectorizer(analyzer="word", token_pattern=TOKENS,
                                               ngram_range=tuple(cfg.word_ngrams), sublinear_tf=True)))
    if cfg.char_ngrams:
        parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(cfg.char_ngrams),
                                               sublinear_tf=True)))
    return FeatureUnion(parts)


def text_vectors(texts: Sequence[str | None] | pl.Series, cfg: TextConfig) -> TextVectors:
    """``data.text.dims`` numbers per text (see the module docstring), deterministic for a
    given ``data.text.seed``. With fewer distinct texts (or n-grams) than ``dims`` + 1 the
    SVD keeps as many dimensions as they allow and the remaining columns are zero."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    series = pl.Series("text", texts, dtype=pl.String).str.strip_chars()
    present = (series.is_not_null() & (series.str.len_chars() > 0)).to_numpy()
    out = np.zeros((series.len(), cfg.dims))
    distinct, index = np.unique(series.filter(pl.Series(present)).str.to_lowercase().to_numpy().astype(str),
                                return_inverse=True)
    empty = TextVectors(out, int((~present).sum()), distinct.size, 0, 0.0)
    if distinct.size < 2:
        return empty
    try:
        tfidf = _vectoriser(cfg).fit_transform(distinct)
    except ValueError:  # no n-gram in any text (punctuation only): nothing to tell the items apart
        return empty
    dims = min(cfg.dims, distinct.size - 1, tfidf.shape[1] - 1)
    if dims < 1:
        return replace(empty, features=tfidf.shape[1])
    svd = TruncatedSVD(n_components=dims, random_state=cfg.seed)
    reduced = normalize(svd.fit_transform(tfidf))
    out[present, :dims] = reduced[index]
    return TextVectors(out, empty.missing, distinct.size, tfidf.shape[1], float(svd.explained_variance_ratio_.sum()))


def add_text_features(panel: DemandPanel, cfg: TextConfig) -> DemandPanel:
    """The static table with ``text_0 .. text_{dims-1}`` from ``data.text.column`` appended,
    and a log entry (rows vectorised, texts missing, vocabulary, variance kept); the panel
    unchanged where ``data.text.column`` is null.

    Raises
    ------
    PanelError
        where the column is not in the static table, holds no text, or the table already
        has columns of the vector's names.
    """
    if cfg.column is None:
        return panel
    static = panel.static
    if cfg.column not in static.columns:
        raise PanelError(f"data.text.column={cfg.column!r} is not a column of the static table; its columns are"
                         f" {static.columns} (set data.text.column to one of them, or to null)")
    if static.schema[cfg.column] not in (pl.String, pl.Categorical):
        raise PanelError(f"data.text.column={cfg.column!r} holds {static.schema[cfg.column]} values; expected text"
                         " (a product name or description)")
    names = text_columns(cfg.dims)
    taken = [c for c in names if c in static.columns]
    if taken:
        raise PanelError(f"the static table already has a column {taken[0]!r}, the name data.text.column's vectors"
                         " take; rename it")
    vectors = text_vectors(static.get_column(cfg.column).cast(pl.String), cfg)
    static = static.with_columns(pl.Series(name, vectors.values[:, k]) for k, name in enumerate(names))
    return replace(panel, static=static).with_log(
        step="item_text", action=f"{cfg.method}: {cfg.dims} columns {names[0]}..{names[-1]}", column=cfg.column,
        rows=static.height - vectors.missing, missing=vectors.missing, distinct=vectors.distinct,
        ngrams=vectors.features, explained_variance=round(vectors.explained, 4))
