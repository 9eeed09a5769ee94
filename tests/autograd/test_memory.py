"""The allocator tuning that keeps freed activations mapped between training steps."""

import sys

import pytest

from ember.autograd import memory


@pytest.fixture
def fresh_state(monkeypatch):
    monkeypatch.setitem(memory._state, "tuned", False)


def test_opt_out_and_user_malloc_settings_leave_the_allocator_alone(fresh_state, monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_libc", lambda: calls.append("libc"))
    assert memory.tune_allocator({"EMBER_MALLOC_TUNING": "0"}) is False
    assert memory.tune_allocator({"MALLOC_ARENA_MAX": "2"}) is False
    assert calls == []  # glibc was not even looked up


def test_sets_both_thresholds_once(fresh_state, monkeypatch):
    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(memory, "_libc", lambda: FakeLibc())
    assert memory.tune_allocator({}) is True
    assert memory.tune_allocator({}) is True
    assert calls == [(memory.M_MMAP_THRESHOLD, 32 * 2**20), (memory.M_TRIM_THRESHOLD, 1 << 30)]


def test_a_refused_setting_reports_false(fresh_state, monkeypatch):
    class RefusingLibc:
        def mallopt(self, param, value):
            return 0

    monkeypatch.setattr(memory, "_libc", lambda: RefusingLibc())
    assert memory.tune_allocator({}) is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_real_glibc_accepts_the_thresholds(fresh_state):
    if memory._libc() is None:
        pytest.skip("not glibc")
    assert memory.tune_allocator({}) is True
