import datetime as dt

import pytest

from chengyun.standards import gb3096


def test_table_1_values():
    got = {k: (v.day_db, v.night_db) for k, v in gb3096.TABLE_1.items()}
    assert got == {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55), "4b": (70, 60)}


def test_day_and_night_edges():
    assert gb3096.limit_at("2", dt.time(6, 0)) == 60
    assert gb3096.limit_at("2", dt.time(5, 59)) == 50
    assert gb3096.limit_at("2", dt.time(21, 59, 59)) == 60
    assert gb3096.limit_at("2", dt.time(22, 0)) == 50
    # A local government's shifted hours.
    assert gb3096.limit_at("1", dt.time(21, 30), night_start=dt.time(21, 0)) == 45


def test_sudden_noise_and_exceedance():
    assert gb3096.sudden_night_max("1") == 60
    assert gb3096.exceeds("4a", dt.time(23, 0), 55.1)
    assert not gb3096.exceeds("4a", dt.time(23, 0), 55.0)


def test_unknown_class():
    with pytest.raises(ValueError, match="4c"):
        gb3096.limit("4c")
