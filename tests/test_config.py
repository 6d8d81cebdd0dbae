"""Configuration flags live in contextvars."""
import asyncio

import pytest

import minigrad
from minigrad import config


def test_using_config_restores_value():
    assert config.is_training()
    with minigrad.using_config("train", False):
        assert not config.is_training()
        with minigrad.eval_mode():
            assert not config.get("train")
    assert config.is_training()


def test_unknown_flag_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown config flag 'trian'"):
        with minigrad.using_config("trian", False):
            pass


def test_asyncio_tasks_do_not_leak_settings():
    async def inside_no_grad():
        with minigrad.no_grad():
            await asyncio.sleep(0.01)
            return minigrad.is_grad_enabled()

    async def plain():
        await asyncio.sleep(0.005)
        return minigrad.is_grad_enabled()

    async def main():
        return await asyncio.gather(inside_no_grad(), plain())

    assert asyncio.run(main()) == [False, True]
