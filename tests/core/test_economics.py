"""Account P&L, ROI, payback, NPV, lifetime value and the by-box comparison
(kam.core.economics, docs/method.md section 6): hand-worked examples and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.economics import (
    AccountEconomics,
    account_pnl,
    compare_boxes,
    cost_to_serve,
    investment_return,
    linear_trend_baseline,
    npv,
    payback_period,
    payment_term_cost,
    period_rate,
    risk_adjusted_lifetime_value,
    roi,
)


def test_account_pnl_by_hand() -> None:
    # Revenue 1,000,000; cost of goods 700,000 → gross margin 300,000 (30 %).
    # Team: KAM 200 h × 90 = 18,000; service 100 h × 60 = 6,000 → 24,000 for 300 h.
    # Payment terms: 1,000,000 × 60/365 × 6 % = 9,863.01.
    # Cost to serve = 24,000 + logistics 30,000 + service 5,000 + rebates 20,000 + 9,863.01
    #               = 88,863.01 → contribution 300,000 − 88,863.01 = 211,136.99 (21.1 %).
    terms = payment_term_cost(revenue=1_000_000, payment_days=60, annual_rate=0.06)
    assert terms == pytest.approx(9_863.01, abs=0.01)
    cts = cost_to_serve(
        team_hours={"kam": 200, "service": 100},
        hourly_cost={"kam": 90, "service": 60, "director": 150},
        logistics=30_000,
        service=5_000,
        rebates=20_000,
        payment_terms=terms,
    )
    assert cts.team == 24_000
    assert cts.team_hours == 300
    assert cts.total == pytest.approx(88_863.01, abs=0.01)
    pnl = account_pnl(revenue=1_000_000, cost_of_goods=700_000, cost_to_serve=cts)
    assert pnl.gross_margin == 300_000
    assert pnl.gross_margin_pct == pytest.approx(30.0)
    assert pnl.contribution == pytest.approx(211_136.99, abs=0.01)
    assert pnl.contribution_pct == pytest.approx(21.11, abs=0.01)


def test_cost_to_serve_needs_an_hourly_cost_for_every_role() -> None:
    with pytest.raises(ValueError, match="engineer"):
        cost_to_serve(team_hours={"engineer": 10}, hourly_cost={"kam": 90})


def test_pnl_without_revenue_has_no_percentages() -> None:
    pnl = account_pnl(
        revenue=0, cost_of_goods=0, cost_to_serve=cost_to_serve(team_hours={}, hourly_cost={})
    )
    assert pnl.gross_margin_pct is None
    assert pnl.contribution == 0


def test_linear_trend_baseline_by_hand() -> None:
    # Before: 100, 110, 120 at t = 0, 1, 2 → c = 100 + 10 t; after at t = 3, 4: 130, 140.
    assert linear_trend_baseline(contributions_before=[100, 110, 120], periods_after=2) == (
        pytest.approx([130, 140])
    )
    # Not on a line: 100, 130, 110 → slope = Σ(t−1)(c−113.33)/Σ(t−1)² = (−100 + 110)/2 = 5,
    # intercept = 113.33 − 5 = 108.33 → at t = 3: 123.33.
    assert linear_trend_baseline(contributions_before=[100, 130, 110], periods_after=1)[
        0
    ] == pytest.approx(123.333333)
    # one period before: flat
    assert list(linear_trend_baseline(contributions_before=[50], periods_after=3)) == [50] * 3
    with pytest.raises(ValueError):
        linear_trend_baseline(contributions_before=[], periods_after=2)


def test_investment_return_by_hand() -> None:
    # Contribution was 100, 110, 120 a quarter (trend +10); 60 invested at the start of the
    # next quarter; contribution then 150, 170, 180, 180.
    # Baseline (trend): 130, 140, 150, 160 → incremental 20, 30, 30, 20 = 100 in total.
    # ROI = (100 − 60)/60 = 0.6667.
    # Payback: cumulative 20, 50, 80 → covered in quarter 3: 2 + (60 − 50)/30 = 2.333 quarters.
    # NPV at 2 % a quarter: −60 + 20/1.02 + 30/1.02² + 30/1.02³ + 20/1.02⁴
    #   = −60 + 19.6078 + 28.8351 + 28.2697 + 18.4769 = 35.1895
    # Risk-adjusted at p = 0.8: −60 + 0.8 × 95.1895 = 16.1516
    result = investment_return(
        contributions_before=[100, 110, 120],
        contributions_after=[150, 170, 180, 180],
        investment=60,
        rate=0.02,
        probability=0.8,
    )
    assert result.baseline == pytest.approx([130, 140, 150, 160])
    assert result.incremental == pytest.approx([20, 30, 30, 20])
    assert result.total_incremental == pytest.approx(100)
    assert result.roi == pytest.approx(2 / 3)
    assert result.payback_periods == pytest.approx(7 / 3)
    assert result.npv == pytest.approx(35.1895, abs=1e-4)
    assert result.risk_adjusted_npv == pytest.approx(16.1516, abs=1e-4)


def test_investment_return_with_the_users_baseline() -> None:
    # The user says: without the investment contribution would have stayed at 120.
    # Incremental 30, 50, 60, 60 = 200 → ROI (200 − 60)/60 = 2.333; payback 1 + 30/50 = 1.6.
    result = investment_return(
        contributions_after=[150, 170, 180, 180], baseline=[120] * 4, investment=60, rate=0
    )
    assert result.roi == pytest.approx(140 / 60)
    assert result.payback_periods == pytest.approx(1.6)
    assert result.npv == pytest.approx(140)


def test_roi_and_payback_edge_cases() -> None:
    assert roi(incremental_contribution=50, investment=100) == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        roi(incremental_contribution=50, investment=0)
    assert payback_period(incremental=[10, 10], investment=30) is None
    assert payback_period(incremental=[10, 10], investment=0) == 0
    assert payback_period(incremental=[40], investment=30) == pytest.approx(0.75)
    # a dip before recovery: cumulative 50, 20, 70 → covered only in period 3: 2 + 40/50
    assert payback_period(incremental=[50, -30, 50], investment=60) == pytest.approx(2.8)


def test_npv_by_hand() -> None:
    # 100 a year for three years at 10 %: 90.909 + 82.645 + 75.131 = 248.685; minus 200 = 48.685
    assert npv(cash_flows=[100, 100, 100], rate=0.10, investment=200) == pytest.approx(
        48.685, abs=1e-3
    )


def test_period_rate() -> None:
    # 12.6825 % a year is 1 % a month
    assert period_rate(annual_rate=1.01**12 - 1, periods_per_year=12) == pytest.approx(0.01)


def test_risk_adjusted_lifetime_value_by_hand() -> None:
    # Ryals & Knox: years 1-2, revenue 1000, 1100; cost of goods 600, 650; cost to serve 200,
    # 220 → 200, 230; at 10 %: 200/1.1 + 230/1.21 = 181.818 + 190.083 = 371.901;
    # × probability 0.9 = 334.711. With 0.9 then 0.5: 163.636 + 95.041 = 258.678.
    args = {"revenue": [1000, 1100], "cost_of_goods": [600, 650], "cost_to_serve": [200, 220]}
    assert risk_adjusted_lifetime_value(**args, rate=0.1, probability=0.9) == pytest.approx(
        334.711, abs=1e-3
    )
    assert risk_adjusted_lifetime_value(**args, rate=0.1, probability=[0.9, 0.5]) == (
        pytest.approx(258.678, abs=1e-3)
    )


def test_compare_boxes_by_hand() -> None:
    # Key: two accounts, contribution 300 + 100 = 400 on 60 + 40 = 100 hours (of 200: 50 %),
    # 100 invested for 150 incremental → ROI 0.5; 4 per hour.
    # Maintenance: 200 on 80 hours (40 %), nothing invested → ROI None.
    # One unplaced account with 20 hours (10 %) counts only in the total.
    rows = [
        AccountEconomics(
            "A", "key", 2000, 300, 150, 60, investment=100, incremental_contribution=150
        ),
        AccountEconomics("B", "key", 1000, 100, 100, 40),
        AccountEconomics("C", "maintenance", 1500, 200, 50, 80),
        AccountEconomics("D", None, 100, 10, 5, 20),
    ]
    by_box = {b.box: b for b in compare_boxes(rows)}
    assert list(by_box) == ["key", "key_development", "maintenance", "opportunistic"]
    key = by_box["key"]
    assert (key.accounts, key.contribution, key.team_hours) == (2, 400, 100)
    assert key.hours_share == pytest.approx(0.5)
    assert key.roi == pytest.approx(0.5)
    assert key.contribution_per_hour == pytest.approx(4)
    assert key.cost_to_serve_pct == pytest.approx(250 / 3000 * 100)
    assert by_box["maintenance"].hours_share == pytest.approx(0.4)
    assert by_box["maintenance"].roi is None
    assert by_box["key_development"].accounts == 0
    assert by_box["key_development"].contribution_per_hour is None
    with pytest.raises(ValueError, match="unknown"):
        compare_boxes([AccountEconomics("X", "star", 0, 0, 0, 0)])


# --- properties -----------------------------------------------------------------------------

money = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
flows = st.lists(money, min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(cash_flows=flows)
def test_npv_at_rate_zero_is_the_sum(cash_flows: list[float]) -> None:
    assert npv(cash_flows=cash_flows, rate=0) == pytest.approx(
        math.fsum(cash_flows), rel=1e-9, abs=1e-6
    )


@settings(max_examples=300, deadline=None)
@given(incremental=flows, investment=st.floats(min_value=0.01, max_value=1e6))
def test_payback_is_none_exactly_when_the_cumulative_never_reaches_the_investment(
    incremental: list[float], investment: float
) -> None:
    result = payback_period(incremental=incremental, investment=investment)
    cumulative = np.cumsum(incremental) if incremental else np.array([])
    reaches = bool(cumulative.size and cumulative.max() >= investment)
    assert (result is None) == (not reaches)
    if result is not None:
        assert 0 < result <= len(incremental)
        # the cumulative contribution at the whole period after the payback covers it
        assert cumulative[math.ceil(result) - 1] >= investment


@settings(max_examples=200, deadline=None)
@given(
    cash_flows=st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=20),
    low=st.floats(min_value=0, max_value=0.5),
    step=st.floats(min_value=0.001, max_value=0.5),
)
def test_npv_of_positive_flows_falls_as_the_rate_rises(
    cash_flows: list[float], low: float, step: float
) -> None:
    assert npv(cash_flows=cash_flows, rate=low + step) <= npv(cash_flows=cash_flows, rate=low)
