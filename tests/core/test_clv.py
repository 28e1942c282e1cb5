"""BG/NBD and Gamma-Gamma (kam.core.clv): CDNOW reference values, hand-worked examples and
properties.

The CDNOW sample ships in the files of the ``lifetimes`` distribution (a test dependency). It
is located through the package metadata and read as text: lifetimes itself is never
imported, so the numbers below come from kam's own code only.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import importlib.metadata
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from kam.core.clv import (
    BgNbdParams,
    ClvFitError,
    GammaGammaParams,
    PurchaseSummary,
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_probability_alive,
    clv_fit,
    clv_predict,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    gamma_gamma_log_likelihood,
)

CALIBRATION_END = dt.date(1997, 9, 30)  # end of week 39 counted from 1997-01-01


def lifetimes_dataset(name: str) -> Path:
    files = importlib.metadata.files("lifetimes") or []
    for file in files:
        if str(file).endswith(f"datasets/{name}"):
            return Path(str(importlib.metadata.distribution("lifetimes").locate_file(file)))
    raise FileNotFoundError(name)


def cdnow_summary() -> PurchaseSummary:
    """The calibration summary of CDNOW_sample.txt, built the way the literature does.

    The file has one line per order line, whitespace separated: master customer id, sample
    customer id (1 … 2357), date yyyymmdd, number of CDs, amount in dollars.
    """
    days: dict[str, dict[dt.date, float]] = collections.defaultdict(
        lambda: collections.defaultdict(float)
    )
    for line in lifetimes_dataset("CDNOW_sample.txt").read_text().splitlines():
        _master, customer, date, _quantity, amount = line.split()
        day = dt.datetime.strptime(date, "%Y%m%d").date()
        if day <= CALIBRATION_END:
            days[customer][day] += float(amount)
    accounts = sorted(days, key=int)
    x, t_x, age, count, mean = [], [], [], [], []
    for account in accounts:
        dates = sorted(days[account])
        first = dates[0]
        x.append(len(dates) - 1)
        t_x.append((dates[-1] - first).days / 7)
        age.append((CALIBRATION_END - first).days / 7)
        repeat = [days[account][d] for d in dates[1:] if days[account][d] > 0]
        count.append(len(repeat))
        mean.append(sum(repeat) / len(repeat) if repeat else 0.0)
    return PurchaseSummary.of(
        accounts=accounts,
        frequency=x,
        recency_weeks=t_x,
        age_weeks=age,
        spend_count=count,
        mean_spend=mean,
    )


@pytest.fixture(scope="module")
def cdnow() -> PurchaseSummary:
    return cdnow_summary()


def test_cdnow_summary_matches_the_published_one(cdnow: PurchaseSummary) -> None:
    # cdnow_customers_summary_with_transactions.csv is Hardie's calibration summary (ID, x,
    # t_x, T, zbar rounded to 2 decimals): our conventions (one purchase per day, weeks,
    # repeat purchases only in the spend) reproduce it for every customer.
    with lifetimes_dataset("cdnow_customers_summary_with_transactions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(cdnow.accounts) == 2357
    by_id = {row["ID"]: row for row in rows}
    for i, account in enumerate(cdnow.accounts):
        row = by_id[str(int(account))]
        assert cdnow.frequency[i] == int(row["x"])
        assert cdnow.recency_weeks[i] == pytest.approx(float(row["t_x"]), abs=0.0051)
        assert cdnow.age_weeks[i] == pytest.approx(float(row["T"]), abs=0.0051)
        assert cdnow.mean_spend[i] == pytest.approx(float(row["zbar"]), abs=0.0051)


def test_bgnbd_on_cdnow_matches_fader_hardie_lee_2005(cdnow: PurchaseSummary) -> None:
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), section 4: r = 0.243,
    # α = 4.414, a = 0.793, b = 2.426, LL = −9582.4 on the 2,357 customers, 39 weeks.
    params = bgnbd_fit(
        frequency=cdnow.frequency, recency_weeks=cdnow.recency_weeks, age_weeks=cdnow.age_weeks
    )
    assert round(params.r, 3) == 0.243
    assert round(params.alpha, 3) == 4.414
    assert round(params.a, 3) == 0.793
    assert round(params.b, 3) == 2.426
    assert round(params.log_likelihood, 1) == -9582.4


def test_gamma_gamma_on_cdnow_matches_fader_hardie(cdnow: PurchaseSummary) -> None:
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", on the 946 CDNOW
    # sample customers with a repeat purchase in the 39 calibration weeks: p = 6.25,
    # q = 3.74, γ = 15.44 (the lifetimes documentation prints the same p and q, v = 15.45
    # rounded from 15.4435). The mean spend per repeat purchase day is the zbar of the
    # published summary checked above.
    assert int(np.sum(cdnow.spend_count > 0)) == 946
    params = gamma_gamma_fit(spend_count=cdnow.spend_count, mean_spend=cdnow.mean_spend)
    assert round(params.p, 2) == 6.25
    assert round(params.q, 2) == 3.74
    assert round(params.gamma, 2) == 15.44
    # the population mean value of a purchase, p·γ/(q − 1)
    assert params.p * params.gamma / (params.q - 1) == pytest.approx(35.17, abs=0.01)


def test_cdnow_prediction_for_customer_1(cdnow: PurchaseSummary) -> None:
    model = clv_fit(cdnow)
    assert model.customers == 2357
    assert model.spend_customers == 946
    prediction = clv_predict(model.bgnbd, model.gamma_gamma, cdnow, horizon_weeks=39)
    # customer 1: x = 2, t_x = 30.43, T = 38.86. Its expected purchases in the next 39
    # weeks follow from equation (10), evaluated here independently with the untransformed
    # hypergeometric function.
    p = model.bgnbd
    x, t_x, age, t = 2.0, 30 + 3 / 7, 38 + 6 / 7, 39.0
    assert cdnow.recency_weeks[0] == pytest.approx(t_x)
    bracket = 1 - ((p.alpha + age) / (p.alpha + age + t)) ** (p.r + x) * special.hyp2f1(
        p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + age + t)
    )
    odds = p.a / (p.b + x - 1) * ((p.alpha + age) / (p.alpha + t_x)) ** (p.r + x)
    expected = (p.a + p.b + x - 1) / (p.a - 1) * bracket / (1 + odds)
    assert prediction.expected_purchases[0] == pytest.approx(expected, rel=1e-9)
    assert prediction.probability_alive[0] == pytest.approx(1 / (1 + odds), rel=1e-12)
    # undiscounted value = expected spend × expected purchases
    assert prediction.expected_value[0] == pytest.approx(
        prediction.expected_spend[0] * prediction.expected_purchases[0], rel=1e-12
    )


# --- hand-worked examples --------------------------------------------------------------------


def test_probability_alive_by_hand() -> None:
    # r = 1, α = 1, a = 2, b = 3; x = 1, t_x = 1, T = 2:
    # odds gone = a/(b+x−1) · ((α+T)/(α+t_x))^(r+x) = 2/3 · (3/2)² = 1.5 → P(alive) = 1/2.5
    params = BgNbdParams(r=1, alpha=1, a=2, b=3)
    alive = bgnbd_probability_alive(
        params, frequency=[1, 0], recency_weeks=[1, 0], age_weeks=[2, 2]
    )
    assert alive == pytest.approx([0.4, 1.0])


def test_expected_purchases_by_hand() -> None:
    # r = 2, α = 1, a = 2, b = 1; a customer with x = 0 and T = 2, horizon t = 3:
    # z = t/(α+T+t) = 0.5; ₂F₁(r+x, b+x; a+b+x−1; z) = ₂F₁(2, 1; 2; z) = 1/(1−z) = 2;
    # E = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2] = 2 · [1 − 0.25 · 2] = 1.0
    params = BgNbdParams(r=2, alpha=1, a=2, b=1)
    expected = bgnbd_expected_purchases(
        params, frequency=[0], recency_weeks=[0], age_weeks=[2], horizon_weeks=3
    )
    assert expected == pytest.approx([1.0])


def test_log_likelihood_by_hand() -> None:
    # x = 0: L = (α/(α+T))^r (nobody dropped out, no purchase since): r = 1, α = 1, T = 1 → ½.
    # x = 1, t_x = 1, T = 2 with r = 1, α = 1, a = 2, b = 3:
    #   B(a,b+1)/B(a,b) = b/(a+b) = 3/5; Γ(r+1)α^r/Γ(r) = 1; (α+T)^−2 = 1/9
    #   B(a+1,b)/B(a,b) = a/(a+b) = 2/5; (α+t_x)^−2 = 1/4
    #   L = 3/5 · 1/9 + 2/5 · 1/4 = 1/15 + 1/10 = 1/6
    params = BgNbdParams(r=1, alpha=1, a=2, b=3)
    ll = bgnbd_log_likelihood(params, frequency=[0, 1], recency_weeks=[0, 1], age_weeks=[1, 2])
    assert ll == pytest.approx(math.log(0.5) + math.log(1 / 6))


def test_expected_spend_by_hand() -> None:
    # p = 1, q = 2, γ = 10: nobody bought again → population mean pγ/(q−1) = 10;
    # x = 2 at a mean of 20 → (γp + p·x·m)/(p·x + q − 1) = (10 + 40)/(2 + 1) = 50/3
    params = GammaGammaParams(p=1, q=2, gamma=10)
    spend = gamma_gamma_expected_spend(params, spend_count=[0, 2], mean_spend=[0, 20])
    assert spend == pytest.approx([10, 50 / 3])


def test_gamma_gamma_density_integrates_to_one() -> None:
    params = GammaGammaParams(p=2.5, q=3.0, gamma=12.0)
    for x in (1, 3):

        def density(m: float, x: int = x) -> float:
            return math.exp(gamma_gamma_log_likelihood(params, spend_count=[x], mean_spend=[m]))

        total, _ = integrate.quad(density, 0, np.inf)
        assert total == pytest.approx(1.0, rel=1e-6)


def test_discounting_by_hand() -> None:
    # At a 0 % rate the value is spend × E[Y(H)]; at 10 % a year every week's purchases are
    # worth (1.1)^(−w/52.18): the value falls but stays above spend × E[Y(H)] × 1.1^(−H/52.18).
    summary = PurchaseSummary.of(
        accounts=["a"],
        frequency=[3],
        recency_weeks=[10],
        age_weeks=[20],
        spend_count=[3],
        mean_spend=[50],
    )
    bg = BgNbdParams(r=0.5, alpha=5, a=0.8, b=2.5)
    gg = GammaGammaParams(p=6, q=4, gamma=15)
    flat = clv_predict(bg, gg, summary, horizon_weeks=52)
    discounted = clv_predict(bg, gg, summary, horizon_weeks=52, annual_discount_rate=0.10)
    undiscounted = flat.expected_spend[0] * flat.expected_purchases[0]
    assert flat.expected_value[0] == pytest.approx(undiscounted)
    assert undiscounted / 1.1 < discounted.expected_value[0] < undiscounted
    margin = clv_predict(bg, gg, summary, horizon_weeks=52, margin=0.3)
    assert margin.expected_value[0] == pytest.approx(0.3 * undiscounted)


def test_fit_refuses_data_without_repeat_purchases() -> None:
    with pytest.raises(ClvFitError, match="bought twice"):
        bgnbd_fit(frequency=[0, 0, 0], recency_weeks=[0, 0, 0], age_weeks=[5, 6, 7])
    with pytest.raises(ClvFitError, match="two customers"):
        gamma_gamma_fit(spend_count=[0, 1], mean_spend=[0, 10])


def test_summary_rejects_impossible_histories() -> None:
    with pytest.raises(ValueError, match="recency"):
        PurchaseSummary.of(accounts=["a"], frequency=[1], recency_weeks=[5], age_weeks=[4])
    with pytest.raises(ValueError, match="frequency"):
        PurchaseSummary.of(accounts=["a"], frequency=[1.5], recency_weeks=[1], age_weeks=[4])


# --- properties -----------------------------------------------------------------------------

positive = st.floats(min_value=0.05, max_value=20, allow_nan=False)


@st.composite
def histories(draw: st.DrawFn) -> tuple[float, float, float]:
    age = draw(st.floats(min_value=0.5, max_value=100))
    x = draw(st.integers(min_value=0, max_value=60))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0, max_value=age))
    return float(x), t_x, age


@settings(max_examples=150, deadline=None)
@given(
    r=positive,
    alpha=positive,
    a=positive,
    b=positive,
    history=histories(),
    h1=st.floats(min_value=0, max_value=200),
    h2=st.floats(min_value=0, max_value=200),
)
def test_expected_purchases_are_non_negative_and_grow_with_the_horizon(
    r: float,
    alpha: float,
    a: float,
    b: float,
    history: tuple[float, float, float],
    h1: float,
    h2: float,
) -> None:
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b)
    x, t_x, age = history
    short, long = sorted((h1, h2))
    e_short, e_long = (
        bgnbd_expected_purchases(
            params, frequency=[x], recency_weeks=[t_x], age_weeks=[age], horizon_weeks=h
        )[0]
        for h in (short, long)
    )
    assert np.isfinite(e_short) and np.isfinite(e_long)
    assert 0 <= e_short <= e_long * (1 + 1e-9) + 1e-12


@settings(max_examples=200, deadline=None)
@given(r=positive, alpha=positive, a=positive, b=positive, history=histories())
def test_probability_alive_is_a_probability_and_one_without_repeat_purchases(
    r: float, alpha: float, a: float, b: float, history: tuple[float, float, float]
) -> None:
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b)
    x, t_x, age = history
    alive = bgnbd_probability_alive(params, frequency=[x], recency_weeks=[t_x], age_weeks=[age])[0]
    assert 0 <= alive <= 1
    if x == 0:
        assert alive == 1


def test_analytic_gradients_match_finite_differences() -> None:
    # the fits use analytic gradients; a wrong one would stop L-BFGS-B short of the optimum
    from scipy.optimize import approx_fprime

    from kam.core.clv import (
        _bgnbd_gradient,
        _bgnbd_ll,
        _gamma_gamma_gradient,
        _gamma_gamma_ll,
    )

    x = np.array([0.0, 1, 2, 7, 30])
    t_x = np.array([0.0, 3, 10, 20, 38])
    age = np.array([5.0, 12, 30, 39, 39])
    for params in ([0.24, 4.4, 0.79, 2.4], [2.0, 0.5, 3.0, 0.7]):
        for i in range(x.size):

            def ll(theta: np.ndarray, i: int = i) -> float:
                return float(_bgnbd_ll(*theta, x[i : i + 1], t_x[i : i + 1], age[i : i + 1])[0])

            numeric = approx_fprime(np.array(params), ll, 1e-7)
            analytic = _bgnbd_gradient(*params, x[i : i + 1], t_x[i : i + 1], age[i : i + 1])[0]
            assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-5)
    count, mean = np.array([1.0, 3, 12]), np.array([20.0, 35, 8])
    for i in range(count.size):

        def gg(theta: np.ndarray, i: int = i) -> float:
            return float(_gamma_gamma_ll(*theta, count[i : i + 1], mean[i : i + 1])[0])

        numeric = approx_fprime(np.array([6.25, 3.74, 15.44]), gg, 1e-7)
        analytic = _gamma_gamma_gradient(6.25, 3.74, 15.44, count[i : i + 1], mean[i : i + 1])[0]
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-5)


def test_the_fits_likelihood_equals_the_reference_one(cdnow: PurchaseSummary) -> None:
    # the fit evaluates the likelihood on distinct values; it must give the same numbers as
    # the customer-by-customer reference checked above
    from kam.core.clv import _bgnbd_gradient, _bgnbd_ll, _bgnbd_value_and_gradient, _Histories

    x, t_x, age = cdnow.frequency, cdnow.recency_weeks, cdnow.age_weeks
    histories = _Histories.of(x, t_x, age)
    for params in ((0.24, 4.4, 0.79, 2.4), (2.0, 0.5, 3.0, 0.7)):
        value, gradient = _bgnbd_value_and_gradient(*params, histories)
        assert value == pytest.approx(float(np.sum(_bgnbd_ll(*params, x, t_x, age))), rel=1e-12)
        reference = _bgnbd_gradient(*params, x, t_x, age).sum(axis=0)
        assert gradient == pytest.approx(reference, rel=1e-9, abs=1e-9)


def test_the_spend_fits_likelihood_equals_the_reference_one(cdnow: PurchaseSummary) -> None:
    from kam.core.clv import (
        _gamma_gamma_gradient,
        _gamma_gamma_ll,
        _gamma_gamma_value_and_gradient,
    )

    m = cdnow.spend_count > 0
    x, mean = cdnow.spend_count[m], cdnow.mean_spend[m]
    xs, ix = np.unique(x, return_inverse=True)
    for params in ((6.25, 3.74, 15.44), (0.8, 1.5, 200.0)):
        value, gradient = _gamma_gamma_value_and_gradient(
            *params, np.ones_like(x), x, mean, xs, ix, np.log(mean), np.log(x)
        )
        assert value == pytest.approx(float(np.sum(_gamma_gamma_ll(*params, x, mean))), rel=1e-12)
        reference = _gamma_gamma_gradient(*params, x, mean).sum(axis=0)
        assert gradient == pytest.approx(reference, rel=1e-9, abs=1e-9)
