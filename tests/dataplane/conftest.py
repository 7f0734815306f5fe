#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures of the whole-dataplane tests (see neptune_dp.py, docs/testing.md).

    def test_x(run_dataplane):
        r = run_dataplane(inputs={"lan0": [frame, ...]}, extra_cfg={...})
        r.outputs["wan1"], r.drops["no_route"], r.stats["rx_packets"]

    def test_y(dataplane):            # step by step
        dp = dataplane(inputs=..., fifo_ports=["wan1"]).start()
        dp.wait_idle(); dp.feed("wan1", [...]); ...; r = dp.stop()

Every neptune started through these fixtures is killed (by PID) and its
temporary directory removed when the test ends, whatever happened.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import neptune_dp  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def neptune_binary():
    assert neptune_dp.NEPTUNE.is_file(), \
        f"{neptune_dp.NEPTUNE} is missing: build first (NEPTUNE_BUILD=" \
        f"{neptune_dp.BUILD})"
    return neptune_dp.NEPTUNE


@pytest.fixture
def dataplane(request):
    """Factory: dataplane(inputs=..., extra_cfg=..., port_cfg=...,
    fifo_ports=...) -> a not yet started neptune_dp.Dataplane."""
    made = []

    def make(**kw):
        dp = neptune_dp.Dataplane(**kw)
        made.append(dp)
        return dp

    def fin():
        for dp in made:
            dp.cleanup()

    request.addfinalizer(fin)
    return make


@pytest.fixture
def run_dataplane(dataplane):
    """run_dataplane(inputs={'lan0': [...]}, extra_cfg=..., port_cfg=...)
    -> neptune_dp.Result: start, wait until every injected packet was
    received and the counters settled, read counters, shut down."""
    def run(inputs=None, extra_cfg=None, port_cfg=None):
        return dataplane(inputs=inputs, extra_cfg=extra_cfg,
                         port_cfg=port_cfg).run()
    return run
