"""custom_modules.apis.cli_args: the shared model flags reach the predictor."""
from __future__ import annotations

import argparse

import pytest

from custom_modules.apis import cli_args


def parser(flag_aliases: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    cli_args.add_model_args(p, flag_aliases=flag_aliases)
    return p


def test_overrides_and_trusted_files_become_predictor_options():
    args = cli_args.model_args(parser(), [
        'cfg.py', 'model.pth', '--device', 'cpu', '--cfg-options', 'model.head.num_classes=4',
        'test_pipeline.0.scale=64', '--trust-checkpoint', 'a.pth', '--trust-checkpoint', 'b.pth'])
    assert cli_args.predictor_options(args) == {
        'device': 'cpu', 'cfg_options': {'model.head.num_classes': 4,
                                         'test_pipeline.0.scale': 64},
        'trust': ['a.pth', 'b.pth']}


def test_config_and_checkpoint_in_either_spelling_but_once():
    args = cli_args.model_args(parser(True), ['--config', 'c.py', '--checkpoint', 'm.pth'])
    assert (args.config, args.checkpoint) == ('c.py', 'm.pth')
    for argv in (['c.py', 'm.pth', '--config', 'd.py'], ['c.py'], ['c.py', 'm.pth',
                                                                   '--batch-size', '0']):
        with pytest.raises(SystemExit):
            cli_args.model_args(parser(True), argv)


def test_config_may_come_from_the_checkpoint():
    def parse(argv):
        p = argparse.ArgumentParser()
        cli_args.add_model_args(p, flag_aliases=True, config_from_checkpoint=True)
        args = cli_args.model_args(p, argv)
        assert not hasattr(args, 'config_from_checkpoint')
        return args.config, args.checkpoint

    assert parse(['m.pth']) == (None, 'm.pth')  # one positional: the checkpoint
    assert parse(['c.py', 'm.pth']) == ('c.py', 'm.pth')
    assert parse(['--model', 'm.pth']) == (None, 'm.pth')  # the origin's spelling
    assert parse(['--checkpoint', 'm.pth', 'c.py']) == ('c.py', 'm.pth')
    assert parse(['--config', 'c.py', 'm.pth']) == ('c.py', 'm.pth')
    for argv in ([], ['--config', 'c.py'], ['c.py', 'm.pth', '--model', 'n.pth'],
                 ['c.py', 'm.pth', '--config', 'd.py']):
        with pytest.raises(SystemExit):
            parse(argv)


def test_other_tools_still_need_both():
    args = cli_args.model_args(parser(), ['c.py', 'm.pth'])
    assert (args.config, args.checkpoint) == ('c.py', 'm.pth')
    for flags in (False, True):
        with pytest.raises(SystemExit):
            cli_args.model_args(parser(flags), ['m.pth'])
