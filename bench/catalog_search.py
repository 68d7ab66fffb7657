"""Catalog loading, search latency and memory on synthetic catalogs of 10,000 and 100,000 rows.

Targets (issue 3), all on one core:
  search over 10,000 products   p99 <= 5 ms
  search over 100,000 products  p99 <= 50 ms
  loading a 10,000-row catalog  <= 1 s
  a worker's memory with 10,000 products: at most +50 MB

Run: python bench/catalog_search.py
"""
from __future__ import annotations

import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.content import load_content  # noqa: E402

ADJECTIVES = ("classic organic vintage slim relaxed heavy light soft rustic modern linen woollen cotton silk leather "
              "denim velvet canvas suede merino bamboo recycled waxed quilted striped checked printed plain").split()
THINGS = ("shirt tee hoodie sweater cardigan jacket coat parka vest dress skirt trousers jeans shorts leggings "
          "sneakers boots sandals loafers slippers beanie cap scarf gloves belt wallet backpack tote bag socks "
          "pyjamas robe towel blanket cushion candle mug bowl plate vase lamp rug apron napkins").split()
NAMES = ("atlas breeze cedar dune ember fjord grove harbor iris juniper kelp lagoon meadow nova orchid pebble "
         "quartz river sierra tundra umber valley willow yarrow zephyr").split()
COLOURS = "red blue white black grey green yellow pink brown navy".split()
SIZES = "XS S M L XL".split()


def write_catalog(root: Path, rows: int, seed: int = 1) -> list[str]:
    """A shop with `rows` SKUs in 20 categories; returns some product names to query."""
    rnd = random.Random(seed)
    shutil.copytree(REPO / "flows", root / "flows")
    (root / "catalog").mkdir()
    categories = [f"cat{i:02d}" for i in range(20)]
    (root / "catalog" / "categories.csv").write_text(
        "id,title,emoji\n" + "".join(f"{c},Category {i},🛍️\n" for i, c in enumerate(categories)))
    lines = ["sku,product_id,name,category,price,stock,options,keywords"]
    names, n, product = [], 0, 0
    while n < rows:
        product += 1
        name = f"{rnd.choice(NAMES).title()} {rnd.choice(ADJECTIVES)} {rnd.choice(THINGS)}"
        names.append(name)
        category = rnd.choice(categories)
        price = f"{rnd.randint(500, 20000) / 100:.2f}"
        keywords = "; ".join(rnd.sample(THINGS, 2))
        variants = [("", "")] if rnd.random() < 0.6 else [
            (f"size={s}; colour={c}", "") for s in rnd.sample(SIZES, 2) for c in rnd.sample(COLOURS, 2)]
        for options, _ in variants:
            if n >= rows:
                break
            n += 1
            stock = rnd.randint(0, 30)
            lines.append(f"SKU{n:06d},p{product:06d},{name},{category},{price},{stock},{options},{keywords}")
    (root / "catalog" / "products.csv").write_text("\n".join(lines) + "\n")
    return names


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]


def queries(names: list[str], count: int, seed: int = 2) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        kind = rnd.random()
        name = rnd.choice(names).lower().split()
        if kind < 0.4:
            out.append(" ".join(name[1:]))  # "relaxed hoodie"
        elif kind < 0.6:
            out.append(f"{typo(name[2], rnd)} {rnd.choice(COLOURS)}")  # "hodie red"
        elif kind < 0.8:
            out.append(f"do you have {name[2]}s size {rnd.choice(SIZES)}?")
        elif kind < 0.9:
            out.append(" ".join(name))  # the full name
        else:
            out.append(rnd.choice(["unicorn saddle", "xqzv", "gift card", "something nice"]))
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def run(rows: int, p99_target_ms: float, tmp: Path) -> None:
    root = tmp / f"shop{rows}"
    names = write_catalog(root, rows)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    content, _warnings = load_content(root)  # parses, checks, and builds the search index
    load_s = time.perf_counter() - started
    gc.collect()
    grown = rss_mb() - before
    index = content.catalog.search
    qs = queries(names, 2000)
    for q in qs[:200]:
        index.search(q)  # warm-up (first searches fill the fuzzy-term cache)
    index._term_cache.clear()  # measure cold lookups too: no help from repeated words
    times = []
    for q in qs:
        t = time.perf_counter()
        index.search(q)
        times.append((time.perf_counter() - t) * 1000)
    products = len(content.catalog.products)
    print(f"\n{rows:,} rows ({products:,} products), {len(qs)} queries, one core")
    load_target = f"   (target <= 1 s)  {verdict(load_s, 1)}" if rows == 10_000 else ""
    memory_target = f"  (target <= 50 MB) {verdict(grown, 50)}" if rows == 10_000 else ""
    print(f"  load + check + index   {load_s:8.3f} s{load_target}")
    print(f"  memory growth          {grown:8.1f} MB{memory_target}")
    print(f"  search p50             {statistics.median(times):8.2f} ms")
    p99 = pct(times, 99)
    print(f"  search p99             {p99:8.2f} ms  (target <= {p99_target_ms:g} ms) {verdict(p99, p99_target_ms)}")
    print(f"  search max             {max(times):8.2f} ms")


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        run(10_000, 5, Path(tmp))
        run(100_000, 50, Path(tmp))


if __name__ == "__main__":
    main()
