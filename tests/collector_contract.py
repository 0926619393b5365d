"""The contract every collector keeps, checked the same way for each (see test_collectors_*.py).

- `fetch` returns a FetchResult whose raw items `map_item` turns into Mentions;
- `map_item` is pure: same input, equal output, input untouched;
- every mention has an id, text, and a created_at with a time zone;
- ids are unique within a fetch;
- fetching again from the returned cursor, with nothing new at the source, returns nothing
  already returned.
"""

from __future__ import annotations

import copy

from collectors.base import Collector, FetchResult, Mention


def check_contract(
    collector: Collector, cursor: str | None = None
) -> tuple[FetchResult, list[Mention]]:
    assert isinstance(collector, Collector)
    assert collector.name and collector.version
    collector.check()
    result = collector.fetch(cursor)
    assert isinstance(result, FetchResult)
    mentions = []
    for raw in result.raw_items:
        before = copy.deepcopy(raw)
        first = collector.map_item(raw)
        assert raw == before, "map_item changed its input"
        assert collector.map_item(raw) == first, "map_item is not deterministic"
        assert isinstance(first, Mention)
        assert first.native_id and isinstance(first.text, str)
        assert first.created_at.tzinfo is not None
        assert first.id == f"{first.source}:{first.native_id}"
        mentions.append(first)
    ids = [m.id for m in mentions]
    assert len(ids) == len(set(ids)), "one fetch returned the same item twice"
    again = collector.fetch(result.next_cursor)
    repeated = {collector.map_item(raw).id for raw in again.raw_items} & set(ids)
    assert not repeated, f"fetching from the saved cursor returned {sorted(repeated)[:3]} again"
    return result, mentions
