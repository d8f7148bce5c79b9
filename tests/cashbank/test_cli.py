"""``koppontren cash transfer``: posts a transfer, prints its number last, a rerun with --key posts
nothing more, refusals exit 1 with the code."""

from __future__ import annotations

from tests.cashbank.conftest import balance


def test_cash_transfer_command(app, funded, day):
    runner = app.test_cli_runner()
    args = ["cash", "transfer", "--coop", "alhikmah", "--from", "1103", "--to", "1111", "--amount", "250000",
            "--date", day.isoformat(), "--key", "setor-1"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"MK/{day.year}/000001"
    assert (balance(funded, "1103"), balance(funded, "1111")) == (750_000, 20_250_000)
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "already recorded" in again.output and balance(funded, "1111") == 20_250_000
    same = runner.invoke(args=[*args[:7], "1103", "--amount", "1", "--date", day.isoformat()])
    assert same.exit_code == 1 and "[same_account]" in same.output
    bad = runner.invoke(args=[*args[:9], "1,5", "--date", day.isoformat()])
    assert bad.exit_code == 1 and "invalid_amount" in bad.output
    assert runner.invoke(args=["cash", "transfer", "--coop", "nope", "--from", "1", "--to", "2", "--amount", "1",
                               "--date", day.isoformat()]).exit_code == 1
