import numpy as np
import pytest

from workbench.games.grid_games import (
    channel_competition_game,
    critical_fractile_quantity,
    markup_levels,
    supplier_retailer_game,
    tier_markup_game,
)
from workbench.games.normal_form import is_equilibrium, pure_equilibria, solve_bimatrix


def demand(seed=0, n=400, mean=100.0, sd=30.0):
    return np.round(np.clip(np.random.default_rng(seed).normal(mean, sd, n), 0, None))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_supplier_grid_holds_zero_and_the_retailers_exact_best_responses(seed):
    d = demand(seed)
    g = supplier_retailer_game(d, price=10.0, cost=4.0, salvage=1.2, n_prices=6, n_quantities=7)
    assert g.quantities[0] == 0.0 and g.prices[0] == 4.0 and g.prices[-1] == 10.0
    # the retailer's profit is piecewise linear with kinks at the samples: its optimum over all
    # quantities is at 0 or a sample, so the grid's best reply must match the best over those
    every_q = np.unique(np.append(d, 0.0))
    sold = np.minimum(every_q[:, None], d[None, :]).mean(axis=1)
    best = ((10.0 - 1.2) * sold + 1.2 * every_q)[None, :] - g.prices[:, None] * every_q[None, :]
    np.testing.assert_allclose(g.retailer_payoff.max(axis=1), best.max(axis=1), atol=1e-9)
    assert np.isin(g.best_responses, g.quantities).all()
    cols = np.searchsorted(g.quantities, g.best_responses)
    np.testing.assert_allclose(g.retailer_payoff[np.arange(6), cols], best.max(axis=1), atol=1e-9)


def test_supplier_game_equilibria_leave_the_retailer_no_loss():
    g = supplier_retailer_game(demand(), price=10.0, cost=4.0, salvage=1.2)
    s = solve_bimatrix(g.supplier_payoff, g.retailer_payoff, max_support_size=8)
    pure = pure_equilibria(g.payoffs)
    assert pure
    for i, j in pure:
        assert g.retailer_payoff[i, j] >= -1e-9  # it can always order 0
    for eq, (_, retailer) in zip(s.equilibria, s.payoffs, strict=True):
        assert retailer >= -1e-9 and is_equilibrium(g.payoffs, list(eq), 1e-6)
    # nashpy's Lemke-Howson overflows or cycles on this degenerate game: its failures are counted
    assert s.counts["pure_enumeration"] == len(pure)
    assert sum(s.rejected.values()) + sum(s.counts.values()) > 0


def test_bad_economics_are_named():
    with pytest.raises(ValueError, match="unit cost"):
        supplier_retailer_game(demand(), price=5.0, cost=6.0, salvage=1.0)
    with pytest.raises(ValueError, match="games.grid.spill"):
        channel_competition_game(demand(), demand(1), 10.0, 4.0, 1.0, spill=1.5)


def test_critical_fractile_by_hand():
    # F = (10 - 4)/(10 - 0) = 0.6: the smallest sample with F(q) >= 0.6 among 0, 10, 20, 30 is 20
    assert critical_fractile_quantity(np.array([30.0, 0.0, 20.0, 10.0]), 10.0, 4.0, 0.0) == 20.0


def solve_channels(spill, seed=0):
    d1, d2 = demand(seed), demand(seed + 1, mean=80.0, sd=20.0)
    g = channel_competition_game(d1, d2, price=10.0, cost=4.0, salvage=1.2, spill=spill, n_levels=9)
    return g, pure_equilibria(g.payoffs)


def test_channels_without_spill_stock_their_own_newsvendor_quantity():
    g, eqs = solve_channels(0.0)
    q1 = np.flatnonzero(g.levels_1 == g.newsvendor_1)
    q2 = np.flatnonzero(g.levels_2 == g.newsvendor_2)
    assert q1.size == 1 and q2.size == 1
    # whatever the other stocks, each best-responds with its own newsvendor quantity
    assert (g.payoff_1.argmax(axis=0) == q1[0]).all() and (g.payoff_2.argmax(axis=1) == q2[0]).all()
    assert eqs == [(int(q1[0]), int(q2[0]))]


def test_competition_raises_total_stock():
    g0, eqs0 = solve_channels(0.0)
    g1, eqs1 = solve_channels(0.5)
    total0 = g0.levels_1[eqs0[0][0]] + g0.levels_2[eqs0[0][1]]
    assert eqs1
    for i, j in eqs1:  # Lippman & McCardle (1997): competition raises total stock
        assert g1.levels_1[i] + g1.levels_2[j] >= total0
    s = solve_bimatrix(g1.payoff_1, g1.payoff_2)
    assert all(is_equilibrium(g1.payoffs, list(eq), 1e-6) for eq in s.equilibria)


def test_tier_game_payoffs_by_hand_and_its_pure_equilibrium():
    a, b, costs = 10.0, 0.5, [1.0, 1.0, 1.0]
    levels = markup_levels(a, costs, 3)
    g = tier_markup_game(a, b, costs, levels, names=["supplier", "maker", "retailer"])
    assert [p.shape for p in g.payoffs] == [(4, 4, 4)] * 3
    # margins (0.875, 1.75, 7/3): price 3 + 4.958.., quantity (10 - 7.958..)/0.5 = 4.083..
    quantity = (10.0 - 3.0 - 0.875 - 1.75 - 7 / 3) / 0.5
    assert g.payoffs[1][0, 2, 3] == pytest.approx(1.75 * quantity)
    assert g.payoffs[2][0, 2, 3] == pytest.approx(7 / 3 * quantity)
    # the symmetric equilibrium margin (a - C)/(n + 1) = 7/4 is on the grid and an equilibrium
    k = int(np.flatnonzero(levels == 1.75)[0])
    assert levels.tolist() == pytest.approx([0.875, 77 / 48, 1.75, 7 / 3])
    assert (k, k, k) in pure_equilibria(g.payoffs)
    with pytest.raises(ValueError, match="does not exceed"):
        markup_levels(2.0, costs, 3)


def test_tier_game_solved_by_gambit():
    pytest.importorskip("pygambit", reason="pygambit (the optional `games` extra) is not installed")
    from workbench.games.gambit import gambit_nplayer

    costs = [1.0, 1.0, 1.0]
    g = tier_markup_game(10.0, 0.5, costs, markup_levels(10.0, costs, 4))
    for method in ("logit", "gnm", "simpdiv"):
        found = gambit_nplayer(g.payoffs, method)
        assert found
        scale = max(np.abs(p).max() for p in g.payoffs)
        for eq in found:
            assert is_equilibrium(g.payoffs, list(eq), 1e-6 * scale)
