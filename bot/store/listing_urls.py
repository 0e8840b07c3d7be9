"""Listing URLs: what a listing of each marketplace looks like, and why a URL is not one.

A complaint names listings: for `product_listing` an item page, for `store_front` a store page,
each of the complaint's marketplace. The portal's check page refuses anything else (a search
or category page, another marketplace's page) only when the complaint is filed, at night; this
module refuses it at `ippbot enqueue`, with what a listing of that marketplace looks like.

The shapes are the marketplaces' own public URL forms (as the portal's check page takes them):

========== ==================================================== ===================================
marketplace item page                                           store page
========== ==================================================== ===================================
taobao     ``item.taobao.com/item.htm?id=N``                    ``shopN.taobao.com``
tmall      ``detail.tmall.com/item.htm?id=N``                   ``NAME.tmall.com``
tmall_hk   ``detail.tmall.hk/hk/item.htm?id=N``                 ``NAME.tmall.hk``
1688       ``detail.1688.com/offer/N.html``                     ``NAME.1688.com``
alibaba    ``www.alibaba.com/product-detail/TITLE_N.html``      ``NAME.en.alibaba.com``
aliexpress ``www.aliexpress.com/item/N.html`` (or ``.us``)      ``www.aliexpress.com/store/N``
========== ==================================================== ===================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["MARKET_DOMAINS", "listing_problem"]

MARKET_DOMAINS: dict[str, tuple[str, ...]] = {
    "taobao": ("taobao.com",),
    "tmall": ("tmall.com",),
    "tmall_hk": ("tmall.hk",),
    "1688": ("1688.com",),
    "alibaba": ("alibaba.com",),
    "aliexpress": ("aliexpress.com", "aliexpress.us"),
}


@dataclass(frozen=True)
class Shapes:
    """One marketplace's listing pages: patterns over ``host/path?query`` (no scheme), and how each reads."""

    item: str
    item_example: str
    store: str
    store_example: str


SHAPES: dict[str, Shapes] = {
    "taobao": Shapes(r"item\.taobao\.com/item\.htm\?(.*&)?id=\d+", "item.taobao.com/item.htm?id=<number>",
                     r"shop\d+\.taobao\.com(/.*)?", "shop<number>.taobao.com"),
    "tmall": Shapes(r"detail\.tmall\.com/item\.htm\?(.*&)?id=\d+", "detail.tmall.com/item.htm?id=<number>",
                    r"(?!detail\.|list\.|www\.)[a-z0-9-]+\.tmall\.com(/.*)?", "<store>.tmall.com"),
    "tmall_hk": Shapes(r"detail\.tmall\.hk/hk/item\.htm\?(.*&)?id=\d+", "detail.tmall.hk/hk/item.htm?id=<number>",
                       r"(?!detail\.|list\.|www\.)[a-z0-9-]+\.tmall\.hk(/.*)?", "<store>.tmall.hk"),
    "1688": Shapes(r"detail\.1688\.com/offer/\d+\.html(\?.*)?", "detail.1688.com/offer/<number>.html",
                   r"(?!detail\.|s\.|www\.)[a-z0-9-]+\.1688\.com(/.*)?", "<store>.1688.com"),
    "alibaba": Shapes(r"(www\.)?alibaba\.com/product-detail/[^/?#]*_\d+\.html(\?.*)?",
                      "www.alibaba.com/product-detail/<title>_<number>.html",
                      r"[a-z0-9-]+\.en\.alibaba\.com(/.*)?", "<store>.en.alibaba.com"),
    "aliexpress": Shapes(r"([a-z]+\.)?aliexpress\.(com|us)/item/\d+\.html(\?.*)?",
                         "www.aliexpress.com/item/<number>.html",
                         r"([a-z]+\.)?aliexpress\.(com|us)/store/\d+(/.*)?", "www.aliexpress.com/store/<number>"),
}
# Pages that list many listings (search results, categories): never a listing themselves.
LIST_PAGES = re.compile(r"(^|\.)(s|list|search)\.[a-z0-9.]+/|/(search|wholesale|category|catalog|trade/search)"
                        r"([/_.?-]|$)|[?&](q|keyword|SearchText)=")


def listing_problem(platform: str, complaint_type: str, url: str) -> str | None:
    """Why `url` is not a listing of `platform` for a complaint of `complaint_type`, or None when it is."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.scheme not in {"http", "https"} or any(c.isspace() for c in url):
        return f"not a well-formed http(s) URL: {url!r}"
    domains = MARKET_DOMAINS[platform]
    if not any(host == d or host.endswith("." + d) for d in domains):
        return f"the domain {host} is not {platform}'s ({' or '.join(domains)})"
    return _shape_problem(platform, complaint_type, url.split("://", 1)[1])


def _shape_problem(platform: str, complaint_type: str, rest: str) -> str | None:
    shapes = SHAPES[platform]
    store = complaint_type == "store_front"
    pattern, example = (shapes.store, shapes.store_example) if store else (shapes.item, shapes.item_example)
    if re.fullmatch(pattern, rest, flags=re.IGNORECASE):
        return None
    page = "a store page" if store else "an item page"
    if LIST_PAGES.search(rest.lower()):
        return f"a search or category page, not a listing: give {page} of {platform}, as {example}"
    if not store and re.fullmatch(shapes.store, rest, flags=re.IGNORECASE):
        return f"a store page, but the complaint is product_listing: give {page} of {platform}, as {example}" \
               " (or make it a store_front complaint)"
    return f"not {page} of {platform}: expected {example}"
