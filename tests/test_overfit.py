"""PSR, DSR and PBO against hand computations from the papers' formulas on tiny inputs.

Every matrix here is synthetic (made up in the test), not market data.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from rotation.overfit import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    distinct_columns,
    effective_trials,
    expected_max_sharpe,
    moments,
    pbo_cscv,
    probabilistic_sharpe_ratio,
    selection_statistics,
    sharpe_ratio,
)

PHI = NormalDist().cdf
PHI_INV = NormalDist().inv_cdf


def test_psr_of_six_returns_by_hand():
    # synthetic returns: mean 0.005; deviations +-0.005, +-0.015, +-0.025 (symmetric: skew 0)
    returns = np.array([0.01, -0.02, 0.03, 0.00, 0.02, -0.01])
    # sum of squared deviations 1750e-6 -> sample variance 350e-6 (ddof=1)
    sr = 0.005 / math.sqrt(350e-6)  # 0.267261...
    # biased moments: m2 = 1750e-6 / 6, m4 = 883750e-12 / 6; kurtosis = m4 / m2^2
    kurtosis = (883750e-12 / 6) / (1750e-6 / 6) ** 2  # 1.731428...
    m = moments(returns)
    assert m["n_obs"] == 6
    assert m["sharpe"] == pytest.approx(sr, rel=1e-12)
    assert m["skew"] == pytest.approx(0.0, abs=1e-12)
    assert m["kurtosis"] == pytest.approx(kurtosis, rel=1e-12)
    # PSR = Phi( SR sqrt(T-1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2) )  (Bailey & LdP 2012)
    expected = PHI(sr * math.sqrt(5) / math.sqrt(1 + (kurtosis - 1) / 4 * sr**2))
    assert expected == pytest.approx(0.7237, abs=1e-4)
    psr = probabilistic_sharpe_ratio(m["sharpe"], 6, m["skew"], m["kurtosis"])
    assert psr == pytest.approx(expected, rel=1e-12)
    # against a benchmark Sharpe ratio of 0.1 per period
    expected_vs = PHI((sr - 0.1) * math.sqrt(5) / math.sqrt(1 + (kurtosis - 1) / 4 * sr**2))
    assert probabilistic_sharpe_ratio(sr, 6, 0.0, kurtosis, 0.1) == pytest.approx(expected_vs)


def test_psr_falls_with_negative_skew_and_fat_tails_and_rises_with_length():
    base = probabilistic_sharpe_ratio(0.05, 500, 0.0, 3.0)
    assert probabilistic_sharpe_ratio(0.05, 500, -2.0, 3.0) < base
    assert probabilistic_sharpe_ratio(0.05, 500, 0.0, 12.0) < base
    assert probabilistic_sharpe_ratio(0.05, 2000, 0.0, 3.0) > base


def test_expected_max_sharpe_by_hand():
    # E[max] = sqrt(V) ((1 - gamma) Z^-1(1 - 1/N) + gamma Z^-1(1 - 1/(N e)))  (B & LdP 2014)
    by_hand = math.sqrt(0.04) * (
        (1 - 0.5772156649) * PHI_INV(1 - 1 / 10) + 0.5772156649 * PHI_INV(1 - 1 / (10 * math.e))
    )
    assert expected_max_sharpe(10, 0.04) == pytest.approx(by_hand, rel=1e-9)
    assert abs(EULER_GAMMA - 0.5772156649) < 1e-10
    assert expected_max_sharpe(1, 0.04) == 0.0  # nothing to select from
    assert expected_max_sharpe(1000, 0.04) > expected_max_sharpe(100, 0.04) > by_hand


def test_dsr_reproduces_the_papers_numerical_example():
    # Bailey & Lopez de Prado (2014), numerical example: 100 trials, annualized Sharpe 2.5
    # over 1,250 daily observations (250 a year), skew -3, kurtosis 10, variance of the trials'
    # annualized Sharpe ratios 0.5. The paper reports SR0 = 0.1132 (per day), DSR = 0.9004.
    sr, var_sr = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, var_sr) == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe_ratio(sr, 1250, -3.0, 10.0, n_trials=100, var_sr=var_sr)
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    # the same by hand: PSR with SR* = SR0
    sr0 = math.sqrt(var_sr) * (
        (1 - EULER_GAMMA) * PHI_INV(0.99) + EULER_GAMMA * PHI_INV(1 - 1 / (100 * math.e))
    )
    by_hand = PHI((sr - sr0) * math.sqrt(1249) / math.sqrt(1 + 3 * sr + 9 / 4 * sr**2))
    assert dsr == pytest.approx(by_hand, rel=1e-9)
    # and as vectorbt's independent implementation computes it
    from vectorbt.returns.metrics import deflated_sharpe_ratio as vbt_dsr

    theirs = vbt_dsr(
        est_sharpe=sr, var_sharpe=var_sr, nb_trials=100, backtest_horizon=1250, skew=-3,
        kurtosis=10,
    )  # fmt: skip
    assert dsr == pytest.approx(float(theirs), rel=1e-12)
    # more trials, same spread: a higher bar, a lower DSR
    assert deflated_sharpe_ratio(sr, 1250, -3.0, 10.0, 10_000, var_sr) < dsr


# Synthetic 9 x 3 matrix for CSCV with S = 4 blocks of 2 rows (the first row, T mod S = 1,
# is dropped). Within a block both rows are equal, so a block's mean is that value:
#
#   block      0  1  2  3
#   A          4  0  0  2
#   B          1  3  1  1
#   C          2  1  3  3
#
# With metric = mean, train / test sums per combination (train blocks -> test blocks). When
# variants tie in sample, the rank is the mean of their out-of-sample ranks:
#   {0,1}: A4 B4 C3 -> A, B tie; test {2,3}: A2 B2 C6, A ties B: ranks 1.5, 1.5 -> 1.5
#   {0,2}: A4 B2 C5 -> C; test {1,3}: A2 B4 C4, C ties B above A: rank 2.5
#   {0,3}: A6 B2 C5 -> A; test {1,2}: A0 B4 C4: rank 1
#   {1,2}: A0 B4 C4 -> B, C tie; test {0,3}: A6 B2 C5: B 1, C 2 -> 1.5
#   {1,3}: A2 B4 C4 -> B, C tie; test {0,2}: A4 B2 C5: B 1, C 3 -> 2 (the median)
#   {2,3}: A2 B2 C6 -> C; test {0,1}: A4 B4 C3: rank 1
# w = rank / (N + 1) = rank / 4; logit = ln(w / (1 - w)); PBO = share of logits < 0 = 4/6
# (the logit of 0 at the median is not overfit).
BLOCKS = np.array([[4, 0, 0, 2], [1, 3, 1, 1], [2, 1, 3, 3]], dtype=float)
HAND_LOGITS = [math.log(0.6), math.log(5 / 3), math.log(1 / 3), math.log(0.6), 0.0]
HAND_LOGITS += [math.log(1 / 3)]


def _tiny_matrix() -> np.ndarray:
    rows = np.repeat(BLOCKS.T, 2, axis=0)  # (8, 3)
    return np.vstack([np.full((1, 3), 100.0), rows])


def test_pbo_of_a_tiny_matrix_by_hand():
    result = pbo_cscv(_tiny_matrix(), n_splits=4, metric=lambda r: r.mean(axis=0))
    assert result.rows_used == 8 and result.n_combinations == 6
    np.testing.assert_allclose(result.logits, HAND_LOGITS, rtol=1e-12, atol=1e-15)
    assert list(result.chosen) == [0, 2, 0, 1, 1, 2]  # the first of those tied in sample
    np.testing.assert_allclose(result.is_metric, [2, 2.5, 3, 2, 2, 3])
    assert result.pbo == pytest.approx(4 / 6)


def test_pbo_with_the_sharpe_ratio_by_hand():
    # synthetic, S = 2 blocks of 2 rows, N = 2
    returns = np.array([[0.01, 0.00], [0.03, 0.01], [0.02, 0.01], [-0.02, 0.02]])
    # block 0: A mean .02, sd .01414 -> SR 1.414; B mean .005, sd .00707 -> SR .707
    # block 1: A mean 0 -> SR 0;                  B mean .015, sd .00707 -> SR 2.121
    # train 0 picks A, which is last on block 1; train 1 picks B, last on block 0:
    # rank 1 of 2 both times, w = 1/3, logit ln(1/2); PBO = 1
    result = pbo_cscv(returns, n_splits=2)
    np.testing.assert_allclose(result.logits, [math.log(0.5)] * 2)
    np.testing.assert_allclose(result.is_metric, [math.sqrt(2), 1.5 * math.sqrt(2)], rtol=1e-9)
    np.testing.assert_allclose(result.oos_metric, [0.0, 0.5 * math.sqrt(2)], atol=1e-12)
    assert result.pbo == 1.0


def test_fast_sharpe_path_equals_slicing_the_rows():
    rng = np.random.default_rng(7)  # synthetic noise
    returns = rng.normal(0.0003, 0.01, (403, 25))
    returns[:, 4] = 0.0  # a variant that never moves: Sharpe NaN, ranked last
    fast = pbo_cscv(returns, n_splits=8)
    slow = pbo_cscv(returns, n_splits=8, metric=lambda r: sharpe_ratio(r))
    np.testing.assert_array_equal(fast.chosen, slow.chosen)
    np.testing.assert_allclose(fast.is_metric, slow.is_metric, rtol=1e-9)
    np.testing.assert_allclose(fast.oos_metric, slow.oos_metric, rtol=1e-9)
    np.testing.assert_allclose(fast.logits, slow.logits, rtol=1e-12)
    assert fast.pbo == slow.pbo


def test_pbo_is_about_one_half_for_noise_and_zero_for_real_skill():
    # synthetic noise, no variant better than another: one sample's PBO varies widely (a
    # lucky column can win most splits), but over many samples it averages about 1/2
    rng = np.random.default_rng(11)
    samples = [pbo_cscv(rng.normal(0.0, 0.01, (400, 20)), n_splits=8).pbo for _ in range(40)]
    assert 0.4 < np.mean(samples) < 0.6
    noise = rng.normal(0.0, 0.01, (1600, 40))
    skilled = noise.copy()
    skilled[:, 17] += 0.004  # one variant has a real edge in every block
    result = pbo_cscv(skilled, n_splits=10)
    assert result.pbo == 0.0 and set(result.chosen) == {17}


def test_pbo_refuses_what_it_cannot_split():
    with pytest.raises(ValueError, match="even number"):
        pbo_cscv(np.zeros((100, 3)), n_splits=5)
    with pytest.raises(ValueError, match="too few"):
        pbo_cscv(np.zeros((10, 3)), n_splits=8)
    with pytest.raises(ValueError, match="N >= 2"):
        pbo_cscv(np.zeros((100, 1)))


def test_selection_statistics_of_a_synthetic_sweep():
    rng = np.random.default_rng(3)  # synthetic
    returns = rng.normal(0.0, 0.01, (1000, 30))
    best = int(np.nanargmax(sharpe_ratio(returns)))
    stats = selection_statistics(returns, best, n_splits=10)
    sr = sharpe_ratio(returns)
    var_sr = float(np.var(sr, ddof=1))
    m = moments(returns[:, best])
    assert stats["n_trials"] == 30 and stats["n_obs"] == 1000
    assert stats["sharpe"] == pytest.approx(sr[best] * math.sqrt(252))
    assert stats["psr"] == pytest.approx(
        probabilistic_sharpe_ratio(m["sharpe"], 1000, m["skew"], m["kurtosis"])
    )
    assert stats["dsr"] == pytest.approx(
        deflated_sharpe_ratio(m["sharpe"], 1000, m["skew"], m["kurtosis"], 30, var_sr)
    )
    assert stats["dsr"] < stats["psr"]  # the best of 30 noise series is deflated
    assert stats["pbo"] == pbo_cscv(returns, n_splits=10).pbo
    one = selection_statistics(returns[:, :1], 0)
    assert one["pbo"] is None and "N >= 2" in one["pbo_note"] and one["dsr"] == one["psr"]


def test_identical_variants_are_one_trial_and_give_no_pbo():
    # synthetic: a grid whose two values trade alike (e.g. scarce_enter=5,6) gives two
    # identical columns; every out-of-sample rank ties, and that is not "overfit": there is
    # nothing to choose between
    rng = np.random.default_rng(2)
    column = rng.normal(0.0005, 0.01, (800, 1))
    twins = np.hstack([column, column])
    with pytest.raises(ValueError, match="1 distinct variant, nothing to choose between"):
        pbo_cscv(twins, n_splits=8)
    stats = selection_statistics(twins, 0, n_splits=8)
    assert stats["pbo"] is None and "1 distinct variant" in stats["pbo_note"]
    assert stats["n_trials"] == 2 and stats["n_distinct"] == 1 and stats["n_effective"] == 1
    assert stats["dsr_effective"] == stats["psr"]  # one effective trial: nothing to deflate


def test_a_duplicated_variant_does_not_move_pbo():
    rng = np.random.default_rng(4)  # synthetic noise, 6 distinct variants
    returns = rng.normal(0.0002, 0.01, (960, 6))
    once = pbo_cscv(returns, n_splits=8)
    twice = pbo_cscv(np.hstack([returns, returns[:, [2]]]), n_splits=8)
    assert twice.pbo == once.pbo
    assert once.n_distinct == twice.n_distinct == 6
    np.testing.assert_array_equal(twice.logits, once.logits)
    np.testing.assert_array_equal(twice.chosen, once.chosen)
    assert list(distinct_columns(np.hstack([returns, returns[:, [2]]]))) == [0, 1, 2, 3, 4, 5]
    flat = np.zeros((10, 4))
    flat[:, 1], flat[:, 2:] = -0.0, np.nan  # -0.0 is 0.0, NaN is NaN
    assert list(distinct_columns(flat)) == [0, 2]


def test_a_tie_at_the_median_is_not_overfit():
    # synthetic, S = 2 blocks, N = 2: the variants are identical on block 1 and differ on
    # block 0, where A is better. Train 0 picks A, which ties B on block 1: rank 1.5 of 2,
    # w = 1/2, logit 0. Train 1: A and B tie in sample; picking either at random gives the
    # mean out-of-sample rank (2 + 1) / 2 = 1.5, logit 0. Neither split ranks below the median.
    rng = np.random.default_rng(6)
    shared = rng.normal(0.0, 0.01, 100)
    a = np.concatenate([rng.normal(0.002, 0.01, 100), shared])
    b = np.concatenate([rng.normal(-0.002, 0.01, 100), shared])
    assert sharpe_ratio(a[:100]) > sharpe_ratio(b[:100])
    result = pbo_cscv(np.column_stack([a, b]), n_splits=2)
    np.testing.assert_array_equal(result.logits, [0.0, 0.0])
    assert result.pbo == 0.0


def _near_duplicates() -> np.ndarray:
    """Synthetic: 6 variants equal to one series except each on a block of its own, as
    threshold variants that trade alike most of the time."""
    rng = np.random.default_rng(1)
    returns = np.repeat(rng.normal(0.0004, 0.01, (1600, 1)), 6, axis=1)
    for j in range(6):
        returns[j * 200 : (j + 1) * 200, j] += rng.normal(0.0, 0.002, 200)
    return returns


def test_pbo_does_not_depend_on_memory_layout():
    # equal returns on a half must give equal Sharpe ratios there, bit for bit, in C and
    # Fortran order alike (a sweep's excess returns come in Fortran order)
    returns = _near_duplicates()
    by_row = pbo_cscv(np.ascontiguousarray(returns), n_splits=8)
    by_column = pbo_cscv(np.asfortranarray(returns), n_splits=8)
    np.testing.assert_array_equal(by_row.logits, by_column.logits)
    np.testing.assert_array_equal(by_row.is_metric, by_column.is_metric)
    assert by_row.pbo == by_column.pbo
    # and the shared blocks give exactly equal Sharpe ratios: variants 4 and 5 agree on
    # blocks 0..3, so the split trained there finds them tied (with 0..3, all but one)
    slow = pbo_cscv(returns, n_splits=8, metric=lambda r: sharpe_ratio(r))
    np.testing.assert_allclose(slow.logits, by_row.logits, rtol=1e-9, atol=1e-12)


def test_expected_max_sharpe_of_a_fractional_number_of_trials():
    # the effective number of trials is fractional; the approximation is held at the mean
    # where it would put the best of N >= 1 trials below one trial (N under about 1.3)
    assert expected_max_sharpe(1.05, 0.04) == 0.0
    assert expected_max_sharpe(1.05, 0.04, mean_sr=0.01) == 0.01
    values = [expected_max_sharpe(n, 0.04) for n in (1.0, 1.5, 2.0, 2.5, 12.0)]
    assert values == sorted(values) and values[1] > 0
    with pytest.raises(ValueError, match=">= 1"):
        expected_max_sharpe(0.5, 0.04)


def test_effective_trials_from_the_average_correlation():
    rng = np.random.default_rng(8)  # synthetic: one common factor plus noise
    common = rng.normal(0.0, 0.01, (2000, 1))
    returns = common + rng.normal(0.0, 0.01, (2000, 10))  # pairwise correlation about 1/2
    returns[:, 3] = 0.0  # a variant that never moves carries no correlation
    n_eff, rho = effective_trials(returns)
    corr = np.corrcoef(np.delete(returns, 3, axis=1), rowvar=False)
    by_hand = corr[~np.eye(9, dtype=bool)].mean()
    assert rho == pytest.approx(by_hand, rel=1e-10)
    assert 0.4 < rho < 0.6
    assert n_eff == pytest.approx(rho + (1 - rho) * 10, rel=1e-12)
    alike = common + rng.normal(0.0, 0.0005, (2000, 12))  # correlation about 0.998
    assert effective_trials(alike)[0] < 1.1
    independent = rng.normal(0.0, 0.01, (2000, 12))
    assert effective_trials(independent)[0] == pytest.approx(12, abs=0.5)


def test_selection_statistics_deflate_by_raw_and_effective_trials():
    rng = np.random.default_rng(9)  # synthetic: 12 variants that move almost together
    returns = rng.normal(0.0004, 0.01, (1500, 1)) + rng.normal(0.0, 0.001, (1500, 12))
    best = int(np.nanargmax(sharpe_ratio(returns)))
    stats = selection_statistics(returns, best, n_splits=10)
    m = moments(returns[:, best])
    var_sr = float(np.var(sharpe_ratio(returns), ddof=1))
    args = (m["sharpe"], 1500, m["skew"], m["kurtosis"])
    n_eff, rho = effective_trials(returns)
    assert stats["n_trials"] == 12 and stats["n_distinct"] == 12
    assert stats["n_effective"] == pytest.approx(n_eff) and stats[
        "mean_correlation"
    ] == pytest.approx(rho)
    assert rho > 0.9
    assert stats["dsr"] == pytest.approx(deflated_sharpe_ratio(*args, 12, var_sr))
    assert stats["dsr_effective"] == pytest.approx(deflated_sharpe_ratio(*args, n_eff, var_sr))
    assert stats["expected_max_sharpe_effective"] < stats["expected_max_sharpe"]
    assert stats["dsr_effective"] > stats["dsr"]
    assert "in sample" in stats["in_sample"]


# --- Hansen's SPA (synthetic returns) ---------------------------------------------------------


def _spa_returns(seed: int, edge: float) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic: 20 noise variants and a benchmark; variant 0 earns ``edge`` more a day."""
    rng = np.random.default_rng(seed)
    benchmark = rng.normal(0.0003, 0.01, 1000)
    variants = benchmark[:, None] + rng.normal(0.0, 0.005, (1000, 20))
    variants[:, 0] += edge
    return variants, benchmark


def test_spa_finds_a_variant_with_a_real_edge():
    from rotation.overfit import spa_test

    out = spa_test(*_spa_returns(0, edge=0.002), reps=300)
    assert out["spa_p_value"] < 0.05
    assert out["spa_variants"] == 20 and out["spa_reps"] == 300


def test_spa_on_noise_alone_is_not_small():
    from rotation.overfit import spa_test

    p_values = [
        spa_test(*_spa_returns(seed, edge=0.0), reps=300)["spa_p_value"] for seed in range(5)
    ]
    assert np.mean(p_values) > 0.2
    assert sum(p < 0.05 for p in p_values) <= 1


def test_spa_counts_identical_variants_once_and_caps_the_rest():
    from rotation.overfit import spa_test

    variants, benchmark = _spa_returns(1, edge=0.0)
    doubled = np.hstack([variants, variants])
    assert spa_test(doubled, benchmark, reps=50)["spa_variants"] == 20
    capped = spa_test(variants, benchmark, reps=50, max_variants=5)
    assert capped["spa_variants"] == 5 and "less strict" in capped["spa_note"]
