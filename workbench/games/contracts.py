"""Supplier-retailer contracts in the newsvendor setting (Cachon 2003, section 2 onwards).

The supplier makes each unit at ``c`` and offers terms; the retailer orders ``q`` before the
season of demand ``D`` and sells at ``p``, salvaging leftovers at ``v``. Each contract is one
small class registered in :data:`CONTRACTS` and states the expected payment ``T(q)`` from the
retailer to the supplier; the base class does the rest: the retailer's profit
``pi_r(q) = p S(q) + v I(q) - T(q)``, the supplier's ``pi_s = Pi(q) - pi_r(q)``, the
retailer's best response, coordinating terms and the supplier's terms when it leads.

Terms may be numpy arrays (one contract per element), so a frontier over many shares, or a
grid of wholesale prices, is solved as arrays. The module also holds the tables that compare the
contracts (:func:`evaluate`, :func:`contract_table`, :func:`frontier`), which is why it runs
past 300 lines: six contracts of a dozen lines each share the one base class.

Conventions worth knowing:

* The buyback price ``b`` is what the retailer gets for each unsold unit in all (it salvages it
  at ``v`` and the supplier refunds ``b - v``, or the supplier takes it back and salvages it), so
  the retailer's fractile is ``(p - w) / (p - b)``. Cachon's ``b`` is paid on top of the salvage
  value: his ``b`` is ``b - v`` here; with ``v = 0`` they are the same.
* The quantity discount is the all-units schedule ``w(q) = w_min + (w_max - w_min) S(q) / q``,
  falling from ``w_max`` for the first unit towards ``w_min`` for large orders; Cachon's
  coordinating schedule is the member ``w_max = p - lambda (p - c)``, ``w_min = v + lambda (c - v)``.
* A fixed fee is paid only by a retailer that orders; a retailer that would earn less than zero
  orders nothing. A retailer indifferent between every order (a coordinating contract that
  leaves it share 0) orders the chain's optimum, the supplier's preferred choice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np
import polars as pl
from scipy import optimize

from workbench.games.newsvendor import Economics, SeasonDemand, chain_profit, integrated
from workbench.registry import Registry

CONTRACTS = Registry("contract", setting="games.contracts.names")
GRID = 2001  # points of the grid scans that guard the numeric optimisations against local optima
PARTICIPATION_TOL = 1e-9  # the retailer participates at a profit >= -tol * p * mean demand (rounding)


@dataclass(frozen=True)
class Contract:
    """Base of every contract; subclasses hold their terms as dataclass fields and implement
    :meth:`transfer` and :meth:`coordinating`, and :meth:`coefficients` where the retailer's
    profit is ``alpha S(q) - beta q + constant`` (then its order is a critical fractile)."""

    name: ClassVar[str]
    can_coordinate: ClassVar[bool] = True
    symbols: ClassVar[dict[str, str]] = {}

    @property
    def terms(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _map(self, fn) -> Contract:
        return replace(self, **{k: fn(np.asarray(v, dtype=float)) for k, v in self.terms.items()})

    @property
    def _shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(*(np.shape(v) for v in self.terms.values()))

    def transfer(self, q, demand: SeasonDemand, econ: Economics):
        """Expected payment from the retailer to the supplier for an order of ``q``."""
        raise NotImplementedError

    def coefficients(self, econ: Economics) -> tuple | None:
        """``(alpha, beta)`` with ``pi_r(q) = alpha S(q) - beta q + constant`` for ``q > 0``, or None."""
        return None

    def retailer_profit(self, q, demand: SeasonDemand, econ: Economics):
        q = np.asarray(q, dtype=float)
        sales = demand.expected_sales(q)
        return econ.price * sales + econ.salvage * (q - sales) - self.transfer(q, demand, econ)

    def supplier_profit(self, q, demand: SeasonDemand, econ: Economics):
        return chain_profit(q, demand, econ) - self.retailer_profit(q, demand, econ)

    def best_response(self, demand: SeasonDemand, econ: Economics):
        """The retailer's optimal order: the critical fractile ``F(q) = 1 - beta / alpha`` where
        the contract has one, else a grid scan over ``[0, demand.upper]`` refined by bounded
        Brent; 0 where the fractile is <= 0 or the best profit is below zero."""
        coef = self.coefficients(econ)
        q = self._fractile_order(coef, demand, econ) if coef is not None else self._numeric_order(demand, econ)
        q = np.broadcast_to(q, self._shape)
        tol = PARTICIPATION_TOL * econ.price * demand.mean
        q = np.where(self.retailer_profit(q, demand, econ) >= -tol, q, 0.0)
        return float(q) if q.ndim == 0 else q

    def _fractile_order(self, coef, demand: SeasonDemand, econ: Economics):
        alpha, beta = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in coef))
        eps = 1e-12 * econ.price
        indifferent = (np.abs(alpha) <= eps) & (np.abs(beta) <= eps)
        # S is bounded by the mean, so a marginal cost beta <= 0 with revenue at the margin has no finite optimum
        if (~indifferent & ((beta < -eps) | ((beta <= eps) & (alpha > eps)))).any():
            raise ValueError(f"{self.name} with terms {self.terms}: an extra unit costs the retailer nothing at"
                             " the margin, so it would order without limit")
        fractile = np.where(alpha > eps, 1 - beta / np.where(alpha > eps, alpha, 1.0), 0.0)
        q = np.where(fractile > 0, demand.ppf(np.clip(fractile, 0, 1)), 0.0)
        return np.where(indifferent, integrated(demand, econ)[0], q)

    def _numeric_order(self, demand: SeasonDemand, econ: Economics):
        shape, upper = self._shape, demand.upper
        flat = self._map(lambda a: np.broadcast_to(a, shape).reshape(-1, 1))
        grid = np.linspace(0.0, upper, GRID)
        profit = flat.retailer_profit(grid[None, :], demand, econ)
        # the best positive order; ordering nothing wins only when strictly better (ties go to the
        # order, which the supplier prefers), and best_response then checks participation
        best = 1 + profit[:, 1:].argmax(axis=1)
        out = grid[best]
        tol = PARTICIPATION_TOL * econ.price * demand.mean
        # the profit may be non-concave (a sales rebate's kink): refine only around the best grid point
        for i, j in enumerate(best):
            row = flat._map(lambda a, i=i: float(a[i, 0]))
            res = optimize.minimize_scalar(lambda x, row=row: -row.retailer_profit(x, demand, econ), method="bounded",
                                           bounds=(grid[j - 1], grid[min(j + 1, GRID - 1)]),
                                           options={"xatol": 1e-10 * upper})
            if -res.fun > profit[i, j]:
                out[i] = res.x
            if max(-res.fun, profit[i, j]) < profit[i, 0] - tol or out[i] <= 1e-8 * upper:
                out[i] = 0.0
        return out.reshape(shape)

    @classmethod
    def coordinating(cls, econ: Economics, share, demand: SeasonDemand) -> Contract:
        """Terms that make the retailer order the chain's optimum and earn the share ``lambda`` of it."""
        raise NotImplementedError

    @classmethod
    def leader_terms(cls, demand: SeasonDemand, econ: Economics, reservation: float = 0.0) -> Contract:
        """The supplier's best terms when it leads, leaving the retailer at least ``reservation``.

        For a coordinating contract these are the coordinating terms with the least share
        ``lambda = max(reservation, 0) / Pi0``: whatever the terms, the supplier earns
        ``Pi(q) - pi_r(q) <= Pi0 - reservation`` at the retailer's order, and these terms earn it exactly that.
        """
        profit0 = integrated(demand, econ)[1]
        if reservation > profit0 * (1 + 1e-12):
            raise ValueError(f"games.contracts.reservation: the retailer's reservation {reservation:.4g} exceeds the"
                             f" integrated chain's profit {profit0:.4g}; no terms can meet it")
        return cls.coordinating(econ, min(max(reservation, 0.0) / profit0, 1.0), demand)

    def describe(self) -> str:
        # money terms to the cent, the revenue share phi to three decimals
        return ", ".join(f"{self.symbols.get(k, k)} = {float(v):.{3 if k == 'phi' else 2}f}"
                         for k, v in self.terms.items())


def _share(share) -> np.ndarray:
    share = np.asarray(share, dtype=float)
    if not ((share >= 0) & (share <= 1)).all():
        raise ValueError(f"contracts: share {share} of the chain's profit for the retailer; expected 0 <= share <= 1")
    return share


@CONTRACTS.register("wholesale_price")
@dataclass(frozen=True)
class WholesalePrice(Contract):
    """``T = w q``; the retailer orders ``F(q) = (p - w) / (p - v)``. It cannot coordinate the chain
    and leave the supplier a profit: :meth:`coordinating` raises a ValueError for any share below 1
    (at share 1, ``w = c``, the supplier earns nothing)."""

    w: float
    name: ClassVar[str] = "wholesale_price"
    can_coordinate: ClassVar[bool] = False

    def transfer(self, q, demand, econ):
        return self.w * np.asarray(q, dtype=float)

    def coefficients(self, econ):
        return econ.price - econ.salvage, np.asarray(self.w) - econ.salvage

    @classmethod
    def coordinating(cls, econ, share, demand):
        if not (_share(share) == 1).all():
            raise ValueError(f"wholesale_price cannot coordinate the chain at retailer share {share}: only w = c"
                             " gives the integrated order, and then the retailer keeps the whole profit (share 1)")
        return cls(w=np.broadcast_to(econ.cost, np.shape(share)) + 0.0)

    @classmethod
    def leader_terms(cls, demand, econ, reservation=0.0):
        """``max_w (w - c) q(w)`` over ``[c, p]`` subject to ``pi_r >= reservation``: a scan of
        :data:`GRID` prices (so a local optimum is not returned) refined by bounded Brent. The
        retailer's profit falls with ``w`` (its derivative is ``-q``), so a binding reservation
        caps ``w`` at the price ``w_R`` where the retailer earns exactly it."""
        tol = PARTICIPATION_TOL * econ.price * demand.mean

        def retailer(w):
            c = cls(w=w)
            return c.retailer_profit(c.best_response(demand, econ), demand, econ)

        def supplier(w):
            c = cls(w=w)
            return c.supplier_profit(c.best_response(demand, econ), demand, econ)

        if retailer(econ.cost) < reservation - tol:
            raise ValueError(f"games.contracts.reservation: {reservation:.4g} exceeds what the retailer earns at"
                             f" w = c ({retailer(econ.cost):.4g}); no wholesale price meets it")
        grid = np.linspace(econ.cost, econ.price, GRID)
        w_best = _refined_argmax(supplier, grid)
        if retailer(w_best) >= reservation - tol:
            return cls(w=w_best)
        cap = optimize.brentq(lambda w: retailer(w) - reservation, econ.cost, w_best, xtol=1e-14)
        w_best = _refined_argmax(supplier, np.linspace(econ.cost, cap, GRID))
        return cls(w=w_best if supplier(w_best) > supplier(cap) else cap)


def _refined_argmax(fn, grid: np.ndarray) -> float:
    """The argmax of ``fn`` (vectorised) over ``grid``, refined by bounded Brent between the best
    point's neighbours."""
    values = fn(grid)
    j = int(values.argmax())
    res = optimize.minimize_scalar(lambda x: -fn(x), bounds=(grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]),
                                   method="bounded", options={"xatol": 1e-12 * abs(grid[-1])})
    return float(res.x) if -res.fun >= values[j] else float(grid[j])


@CONTRACTS.register("buyback")
@dataclass(frozen=True)
class Buyback(Contract):
    """``T = w q - (b - v) I(q)``: the retailer gets ``b`` in all for each unsold unit and orders
    ``F(q) = (p - w) / (p - b)``. Coordinates with ``b = (1 - lambda) p + lambda v``,
    ``w = (1 - lambda) p + lambda c`` (Pasternack 1985; Cachon 2003, section 3)."""

    w: float
    b: float
    name: ClassVar[str] = "buyback"

    def transfer(self, q, demand, econ):
        return self.w * np.asarray(q, dtype=float) - (self.b - econ.salvage) * demand.expected_leftover(q)

    def coefficients(self, econ):
        return econ.price - np.asarray(self.b), np.asarray(self.w) - np.asarray(self.b)

    @classmethod
    def coordinating(cls, econ, share, demand):
        lam = _share(share)
        return cls(w=(1 - lam) * econ.price + lam * econ.cost, b=(1 - lam) * econ.price + lam * econ.salvage)


@CONTRACTS.register("revenue_sharing")
@dataclass(frozen=True)
class RevenueSharing(Contract):
    """The retailer keeps the share ``phi`` of its revenue ``p S + v I`` and pays ``w`` per unit:
    ``T = w q + (1 - phi)(p S + v I)``; it orders ``F(q) = (phi p - w) / (phi (p - v))``.
    Coordinates with ``phi = lambda``, ``w = lambda c`` (Cachon and Lariviere 2005)."""

    w: float
    phi: float
    name: ClassVar[str] = "revenue_sharing"
    symbols: ClassVar[dict[str, str]] = {"phi": "φ"}

    def transfer(self, q, demand, econ):
        q = np.asarray(q, dtype=float)
        sales = demand.expected_sales(q)
        return self.w * q + (1 - self.phi) * (econ.price * sales + econ.salvage * (q - sales))

    def coefficients(self, econ):
        phi = np.asarray(self.phi)
        return phi * (econ.price - econ.salvage), np.asarray(self.w) - phi * econ.salvage

    @classmethod
    def coordinating(cls, econ, share, demand):
        lam = _share(share)
        return cls(w=lam * econ.cost, phi=lam)


@CONTRACTS.register("quantity_discount")
@dataclass(frozen=True)
class QuantityDiscount(Contract):
    """All-units discount ``w(q) = w_min + (w_max - w_min) S(q) / q``, so ``T = w_min q +
    (w_max - w_min) S(q)``. The retailer's profit ``(p - v - w_max + w_min) S(q) - (w_min - v) q``
    is concave, so its order is a fractile too. Coordinates with ``w_max = p - lambda (p - c)``,
    ``w_min = v + lambda (c - v)`` (Cachon 2003, section 4.4; Moorthy 1987)."""

    w_max: float
    w_min: float
    name: ClassVar[str] = "quantity_discount"

    def transfer(self, q, demand, econ):
        return self.w_min * np.asarray(q, dtype=float) + (self.w_max - self.w_min) * demand.expected_sales(q)

    def coefficients(self, econ):
        w_max, w_min = np.asarray(self.w_max), np.asarray(self.w_min)
        return econ.price - econ.salvage - w_max + w_min, w_min - econ.salvage

    @classmethod
    def coordinating(cls, econ, share, demand):
        lam = _share(share)
        p, c, v = econ.price, econ.cost, econ.salvage
        return cls(w_max=p - lam * (p - c), w_min=v + lam * (c - v))


@CONTRACTS.register("two_part_tariff")
@dataclass(frozen=True)
class TwoPartTariff(Contract):
    """``T = w q + fee`` (the fee paid only by a retailer that orders); orders as under the
    wholesale price ``w``. Coordinates with ``w = c``, ``fee = (1 - lambda) Pi0``."""

    w: float
    fee: float
    name: ClassVar[str] = "two_part_tariff"
    symbols: ClassVar[dict[str, str]] = {"fee": "F"}

    def transfer(self, q, demand, econ):
        q = np.asarray(q, dtype=float)
        return self.w * q + np.where(q > 0, self.fee, 0.0)

    def coefficients(self, econ):
        return econ.price - econ.salvage, np.asarray(self.w) - econ.salvage

    @classmethod
    def coordinating(cls, econ, share, demand):
        lam = _share(share)
        return cls(w=np.broadcast_to(econ.cost, lam.shape) + 0.0, fee=(1 - lam) * integrated(demand, econ)[1])


@CONTRACTS.register("sales_rebate")
@dataclass(frozen=True)
class SalesRebate(Contract):
    """Wholesale price ``w``, a rebate ``r`` per unit sold above the threshold ``t`` (Taylor 2002)
    and a fixed fee: ``T = w q - r (S(q) - S(t))^+ + fee``. The rebate puts a convex kink in
    the retailer's profit, so its order is found numerically.

    Coordinating terms (Cachon 2003, section 4.5): above ``t`` the retailer earns
    ``gamma Pi(q) - r S(t)``, ``gamma = (p - v + r) / (p - v)``, when ``w = v + gamma (c - v)``.
    We take ``t = F^-1(F(q0) / 2)`` and the largest rebate for which ordering at most ``t`` is
    never better, ``r = (p - c)(p - v) / (2 (c - v))`` (then ``w = (p + c) / 2``). The split is
    then fixed by ``r`` and ``t``, so a fixed fee (negative: paid by the supplier) sets it:
    ``fee = gamma Pi0 - r S(t) - lambda Pi0``."""

    w: float
    r: float
    t: float
    fee: float = 0.0
    name: ClassVar[str] = "sales_rebate"
    symbols: ClassVar[dict[str, str]] = {"fee": "F"}

    def transfer(self, q, demand, econ):
        q = np.asarray(q, dtype=float)
        return self.w * q - self.r * demand.expected_sales_above(q, self.t) + np.where(q > 0, self.fee, 0.0)

    @classmethod
    def coordinating(cls, econ, share, demand):
        lam = _share(share)
        p, c, v = econ.price, econ.cost, econ.salvage
        profit0 = integrated(demand, econ)[1]
        t = float(demand.ppf(econ.critical_ratio / 2))
        r = (p - c) * (p - v) / (2 * (c - v))
        gamma = (p - v + r) / (p - v)
        fee = gamma * profit0 - r * float(demand.expected_sales(t)) - lam * profit0
        return cls(w=np.broadcast_to(v + gamma * (c - v), lam.shape) + 0.0, r=np.broadcast_to(r, lam.shape) + 0.0,
                   t=np.broadcast_to(t, lam.shape) + 0.0, fee=fee)


@dataclass(frozen=True)
class ContractOutcome:
    """One contract played out: the retailer's order under its terms and each firm's expected profit."""

    name: str
    terms: dict[str, float]
    quantity: float
    retailer_profit: float
    supplier_profit: float
    chain_profit: float
    efficiency: float  # chain profit over the integrated chain's Pi0
    retailer_share: float  # the retailer's profit over the chain's

    @property
    def coordinates(self) -> bool:
        return abs(self.efficiency - 1) <= COORDINATION_TOL


COORDINATION_TOL = 1e-6


def evaluate(contract: Contract, demand: SeasonDemand, econ: Economics) -> ContractOutcome:
    """The retailer's best response to ``contract`` and both firms' profits there."""
    q = float(contract.best_response(demand, econ))
    retailer, chain = float(contract.retailer_profit(q, demand, econ)), float(chain_profit(q, demand, econ))
    return ContractOutcome(contract.name, {k: float(v) for k, v in contract.terms.items()}, q, retailer,
                           chain - retailer, chain, chain / integrated(demand, econ)[1],
                           retailer / chain if chain != 0 else float("nan"))


def reservation_profit(demand: SeasonDemand, econ: Economics, reservation: str | float) -> float:
    """The retailer's outside option: ``"wholesale"`` (its profit under the supplier-led wholesale
    price), ``"zero"``, or an amount."""
    if reservation == "wholesale":
        return evaluate(WholesalePrice.leader_terms(demand, econ, 0.0), demand, econ).retailer_profit
    if reservation == "zero":
        return 0.0
    if isinstance(reservation, int | float) and np.isfinite(reservation):
        return float(reservation)
    raise ValueError(f"games.contracts.reservation={reservation!r}; expected 'wholesale', 'zero' or a number")


def contract_table(demand: SeasonDemand, econ: Economics, names: list[str],
                   reservation: str | float = "wholesale") -> pl.DataFrame:
    """One row per contract at the supplier-led terms (:meth:`Contract.leader_terms`): ``contract,
    terms`` (readable), one column per term (missing where a contract lacks it), ``quantity,
    retailer_profit, supplier_profit, chain_profit, efficiency, retailer_share, coordinates``."""
    floor = reservation_profit(demand, econ, reservation)
    rows = []
    for name in names:
        contract = CONTRACTS[name].leader_terms(demand, econ, floor)
        out = evaluate(contract, demand, econ)
        rows.append({"contract": name, "terms": contract.describe(), **out.terms, "quantity": out.quantity,
                     "retailer_profit": out.retailer_profit, "supplier_profit": out.supplier_profit,
                     "chain_profit": out.chain_profit, "efficiency": out.efficiency,
                     "retailer_share": out.retailer_share, "coordinates": out.coordinates})
    return _frame(rows)


def frontier(demand: SeasonDemand, econ: Economics, names: list[str], points: int = 21) -> pl.DataFrame:
    """Each coordinating contract's terms over the retailer's share ``lambda`` in ``[0, 1]``, and
    the profits actually earned at the retailer's best response to them (solved for all shares at
    once): ``contract, share``, the terms, ``quantity, retailer_profit, supplier_profit,
    chain_profit, efficiency``. Contracts that cannot coordinate (the wholesale price) are left out."""
    if points < 2:
        raise ValueError(f"games.contracts.frontier_points={points}; expected 2 or more")
    shares = np.linspace(0.0, 1.0, points)
    profit0 = integrated(demand, econ)[1]
    frames = []
    for name in names:
        cls = CONTRACTS[name]
        if not cls.can_coordinate:
            continue
        contract = cls.coordinating(econ, shares, demand)
        q = contract.best_response(demand, econ)
        retailer, chain = contract.retailer_profit(q, demand, econ), chain_profit(q, demand, econ)
        terms = {k: np.broadcast_to(v, shares.shape) for k, v in contract.terms.items()}
        frames.append(pl.DataFrame({"contract": [name] * points, "share": shares, **terms, "quantity": q,
                                    "retailer_profit": retailer, "supplier_profit": chain - retailer,
                                    "chain_profit": chain, "efficiency": chain / profit0}))
    return _frame(frames) if frames else pl.DataFrame()


RESULT_COLUMNS = ["quantity", "retailer_profit", "supplier_profit", "chain_profit", "efficiency", "retailer_share",
                  "coordinates"]


def _frame(rows: list[dict] | list[pl.DataFrame]) -> pl.DataFrame:
    """Rows with different terms as one frame: ``contract``, ``terms``, the term columns, then the results."""
    frame = pl.concat([row if isinstance(row, pl.DataFrame) else pl.DataFrame([row]) for row in rows],
                      how="diagonal_relaxed")
    results = [c for c in RESULT_COLUMNS if c in frame.columns]
    return frame.select(pl.exclude(results), *results)
