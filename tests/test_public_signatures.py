"""Every public function shows its options in its signature (issue 16: ``**kwargs`` hid them)."""

from __future__ import annotations

import inspect

import accessibility as acc


def _public_functions():
    for name in sorted(acc.__all__):
        obj = getattr(acc, name)
        if callable(obj) and not inspect.isclass(obj):
            yield name, obj


def test_no_public_function_hides_its_options_in_kwargs():
    hidden = [
        f"{name}(**{p.name})"
        for name, func in _public_functions()
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.VAR_KEYWORD
    ]
    assert not hidden, f"options hidden behind **kwargs: {hidden}"


def test_report_writer_takes_the_table_options_by_name():
    from accessibility.report import report_tables, write_report

    tables = set(inspect.signature(report_tables).parameters) - {"villages"}
    assert tables <= set(inspect.signature(write_report).parameters)
