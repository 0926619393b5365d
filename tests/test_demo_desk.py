"""The demo team's past work: done once, the same in every demo database, never in the
future, and recent cases are left for the visitor."""

import datetime as dt

from clamor import queries
from clamor.demo import desk
from clamor.store import Store


def test_the_demo_history_is_worked_once_the_same_way_and_leaves_recent_cases(
        seeded_db, tmp_path, config):
    now = dt.datetime.now(dt.timezone.utc)
    counts = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.duckdb"
        path.write_bytes(seeded_db.read_bytes())
        store = Store(path)
        worked = desk.work_history(store, config, now)
        assert worked > 100
        assert desk.work_history(store, config, now) == 0, "done once per database"
        events = store.query_df(
            "SELECT e.case_id, e.kind, e.actor, e.happened_at, c.opened_at FROM events e "
            "JOIN cases c ON c.id = e.case_id WHERE e.actor <> 'Clamor' "
            "AND e.note IS DISTINCT FROM 'replied on the platform'")
        assert (events["happened_at"] <= now).all(), "nothing happens in the future"
        assert (queries.surveys(store)["answered_at"] <= now).all()
        assert (events["happened_at"] >= events["opened_at"]).all()
        assert set(events["actor"]) <= {p.name for p in config.people}
        recent = queries.case_measures(store, since=now - dt.timedelta(hours=desk.LEAVE_HOURS))
        touched = set(events["case_id"])
        assert not touched & set(recent["id"]), "recent cases are left for the visitor"
        assert queries.inbox_count(store) > 20, "a backlog is left to work"
        assert not queries.surveys(store).empty
        counts.append(sorted(events[["case_id", "kind"]].itertuples(index=False)))
        store.close()
    assert counts[0] == counts[1], "every demo database gets the same history"
