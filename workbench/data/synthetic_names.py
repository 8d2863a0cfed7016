"""Product names for the synthetic shop's items, such as "Premium everyday organic ground coffee 1 kg".

A name is built from its category's vocabulary, so that similar items share words:

    [price tier] [demand word] [attribute] <product> [size]

* the **product** and its **attribute** come from the category's lists; the products are
  listed from everyday to niche, and an item with a higher base rate tends to get one
  nearer the front (a soft link: a noisy rank decides, not the rate itself);
* the **price tier** ("premium", "basic", ...) marks an opening price well above or below the
  category's median;
* the **demand word** ("everyday", "classic" / "specialist", "collector's") marks most fast
  and most slow movers: the words a shop's own names carry about how well an item sells;
* the **size** follows the item's volume within its category ("250 g" / "500 g" / "1 kg").

Names are drawn from a generator of their own (seeded by ``data.seed`` and a fixed stream
number) after the catalogue is drawn, so that adding them changed no number of the shop.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.data.synthetic_catalogue import CATEGORIES, Items, category_attribute

NAMES_STREAM = 20_240_611  # the names' own stream of the shop's seed: the demand draws never see it

# per category: products (everyday first, niche last), attributes, and sizes by volume (small, mid, large)
VOCABULARY: dict[str, tuple[list[str], list[str], list[str]]] = {
    "electronics": (
        ["usb c cable", "phone charger", "wireless earbuds", "power bank", "bluetooth speaker",
         "wireless mouse", "mechanical keyboard", "smart watch", "webcam", "soundbar"],
        ["black", "white", "fast charging", "noise cancelling", "waterproof", "compact"],
        ["mini", "standard", "xl"],
    ),
    "home": (
        ["dish sponge", "bath towel", "coffee mug", "storage box", "bed sheet", "table lamp",
         "electric kettle", "cast iron pan", "stainless steel kettle", "wall clock"],
        ["cotton", "ceramic", "bamboo", "grey", "stainless steel", "glass"],
        ["small", "medium", "large"],
    ),
    "apparel": (
        ["cotton socks", "crew neck t shirt", "underwear briefs", "hoodie", "denim jeans", "rain jacket",
         "wool sweater", "leather belt", "winter coat", "silk scarf"],
        ["slim fit", "organic cotton", "navy", "striped", "merino", "relaxed fit"],
        ["s", "m", "xl"],
    ),
    "toys": (
        ["building blocks", "puzzle", "plush bear", "toy car", "board game", "doll house",
         "remote control car", "science kit", "model train", "chess set"],
        ["wooden", "colourful", "educational", "magnetic", "glow in the dark", "classic"],
        ["mini", "regular", "giant"],
    ),
    "sports": (
        ["water bottle", "yoga mat", "resistance band", "running shoes", "tennis balls",
         "dumbbell set", "cycling helmet", "football", "camping tent", "kayak paddle"],
        ["lightweight", "non slip", "reflective", "foldable", "insulated", "carbon"],
        ["junior", "standard", "pro size"],
    ),
    "beauty": (
        ["hand soap", "shampoo", "toothpaste", "face cream", "lip balm", "body lotion",
         "hair mask", "eau de parfum", "nail polish", "beard oil"],
        ["aloe vera", "unscented", "argan oil", "vitamin c", "lavender", "charcoal"],
        ["50 ml", "100 ml", "250 ml"],
    ),
    "grocery": (
        ["oat milk", "pasta", "ground coffee", "rice", "olive oil", "dark chocolate",
         "green tea", "peanut butter", "maple syrup", "truffle oil"],
        ["organic", "whole grain", "fair trade", "gluten free", "italian", "roasted"],
        ["250 g", "500 g", "1 kg"],
    ),
    "books": (
        ["crime novel", "cookbook", "children's picture book", "travel guide", "biography",
         "fantasy novel", "history book", "poetry collection", "art book", "textbook"],
        ["illustrated", "bestselling", "new edition", "signed", "annotated", "large print"],
        ["pocket", "paperback", "hardcover"],
    ),
}

TIERS = {"high": ["premium", "deluxe", "professional"], "low": ["basic", "value", "essentials"]}
DEMAND_WORDS = {"fast": ["everyday", "classic", "popular", "original"],
                "slow": ["specialist", "collector's", "replacement", "limited edition"]}
TIER_GAP = 0.3  # log price ratio to the category's median price beyond which a tier word is used
DEMAND_WORD_SHARE = 0.7  # share of fast and of slow movers whose name carries a demand word


def _pick(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One entry of ``table[row[i]]`` per item, uniformly among the row's entries."""
    return table[row, rng.integers(0, table.shape[1], row.size)]


def _draw(rng: np.random.Generator, words: list[str], n: int) -> np.ndarray:
    """``n`` words drawn uniformly from ``words``."""
    return np.array(words)[rng.integers(0, len(words), n)]


def item_names(items: Items, seed: int) -> np.ndarray:
    """One product name per item, drawn from a generator seeded by ``(seed, NAMES_STREAM)``."""
    rng = np.random.default_rng([seed, NAMES_STREAM])
    n = items.category.size
    cats = [c[0] for c in CATEGORIES]
    products = np.array([VOCABULARY[c][0] for c in cats])
    attributes = np.array([VOCABULARY[c][1] for c in cats])
    sizes = np.array([VOCABULARY[c][2] for c in cats])

    # a noisy popularity rank in (0, 1), 0 the best seller: the product list is read from it
    score = np.log(items.base_rate) + rng.normal(0.0, 0.7, n)
    popularity = 1.0 - (np.argsort(np.argsort(score)) + 0.5) / n
    slot = 0.75 * popularity + 0.25 * rng.random(n)
    product = products[items.category, np.minimum((slot * products.shape[1]).astype(int), products.shape[1] - 1)]

    price_gap = np.log(items.price0 / category_attribute(items.category, 1)) + rng.normal(0.0, 0.1, n)
    tier = np.where(price_gap > TIER_GAP, _draw(rng, TIERS["high"], n),
                    np.where(price_gap < -TIER_GAP, _draw(rng, TIERS["low"], n), ""))
    worded = rng.random(n) < DEMAND_WORD_SHARE
    demand_word = np.where(items.slow, _draw(rng, DEMAND_WORDS["slow"], n), _draw(rng, DEMAND_WORDS["fast"], n))
    demand_word = np.where(worded, demand_word, "")
    attribute = np.where(rng.random(n) < 0.6, _pick(rng, attributes, items.category), "")

    # the size follows the item's volume relative to its category's typical one
    volume_gap = np.log(items.volume / category_attribute(items.category, 2))
    size = sizes[items.category, np.digitize(volume_gap, [-0.2, 0.2])]

    words = pl.DataFrame({"tier": tier, "demand": demand_word, "attribute": attribute,
                          "product": product, "size": size})
    name = words.select(
        pl.concat_str([pl.when(pl.col(c) != "").then(pl.col(c)) for c in words.columns],
                      separator=" ", ignore_nulls=True).alias("name")
    ).get_column("name")
    return (name.str.slice(0, 1).str.to_uppercase() + name.str.slice(1)).to_numpy()
