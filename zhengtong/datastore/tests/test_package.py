"""The engine package keeps one public face: callers use ``engine.<name>``, never its modules."""

from zhengtong.datastore import engine
from zhengtong.datastore.engine import compiler, exports, queries, results, sandbox, store


def test_every_public_name_is_re_exported():
    assert [name for name in engine.__all__ if not hasattr(engine, name)] == []


def test_public_names_are_the_functions_of_the_modules_that_do_the_job():
    assert engine.query is queries.query
    assert engine.QueryResult is queries.QueryResult
    assert engine.write_version is store.write_version
    assert engine.activate is store.activate
    assert engine.clear_caches is store.clear_caches
    assert engine.run_sql is sandbox.run_sql
    assert engine.check_sql is sandbox.check_sql
    assert engine.export is exports.export
    assert engine.neutralize is exports.neutralize
    assert engine.json_value is compiler.json_value
    assert engine.RESULTS_CACHE == results.RESULTS_CACHE == "datastore.results"
