"""The numerical gradient, the comparison, TwoLayerNet, and the gradient_check script's verdicts."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ch05.gradient_check import check_layers, check_network
from ch05.two_layer_net import TwoLayerNet
from ch05.wrong_layers import AffineWrongDb, ReluMaskOnly
from common.gradient import compare, numerical_gradient, numerical_gradient_at, sample_indices

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


# --------------------------------------------------------------------- numerical gradient


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2)])
def test_numerical_gradient_of_a_known_function(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


def test_numerical_gradient_restores_the_entry_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[2][1] != 2.0  # f really saw the perturbed entry before raising


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(lambda v: float(v.sum()), np.array([1, 2, 3]))


def test_numerical_gradient_at_a_subset_matches_the_full_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4))
    full = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    indices = sample_indices(x.shape, 6, rng)
    assert len(set(indices)) == 6
    part = numerical_gradient_at(lambda v: np.sum(np.sin(v)), x, indices)
    np.testing.assert_allclose(part, [full[i] for i in indices])


def test_compare_uses_normwise_relative_error_and_names_the_worst_entry():
    result = compare("W", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0]), tolerance=1e-7)
    assert result.rel_error == pytest.approx(0.5 / (np.sqrt(14) + np.sqrt(1 + 6.25 + 9)))
    assert result.worst_index == (1,)
    assert not result.passed
    assert "index (1,)" in result.describe_mismatch()
    both_zero = compare("b", np.zeros(3), np.zeros(3))
    assert both_zero.rel_error == 0.0 and both_zero.passed


# --------------------------------------------------------------------- TwoLayerNet


def small_net_and_data(seed=0):
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(8, 6, 4, weight_init_std=0.5, seed=rng)
    x = rng.uniform(0.0, 1.0, size=(5, 8))
    return net, x, rng.integers(0, 4, size=5)


def test_two_layer_net_backprop_matches_its_numerical_gradient():
    net, x, t = small_net_and_data()
    numeric = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t)
    for key in ("W1", "b1", "W2", "b2"):
        assert compare(key, backprop[key], numeric[key]).rel_error <= 1e-7, key


def test_two_layer_net_layers_share_the_parameter_arrays():
    net, x, t = small_net_and_data()
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert net.layers["Affine1"].W is net.params["W1"]
    net.params["W1"] -= 1.0  # an in-place update must reach the layer
    assert np.array_equal(net.layers["Affine1"].W, net.params["W1"])


def test_two_layer_net_is_seeded_and_accuracy_chunks_agree():
    a, x, t = small_net_and_data(seed=5)
    b, _, _ = small_net_and_data(seed=5)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert a.accuracy(x, t) == a.accuracy(x, t, batch_size=2) == a.accuracy(x, np.eye(4)[t], batch_size=3)
    c = TwoLayerNet(8, 6, 4, seed=6)
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_gradient_gives_the_loss_to_the_trainer():
    net, x, t = small_net_and_data()
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == pytest.approx(net.loss(x, t))
    for key, grad in net.gradient(x, t).items():
        np.testing.assert_array_equal(grads[key], grad)


def test_check_network_passes_and_fails_where_it_should():
    net, x, t = small_net_and_data()
    assert all(r.passed for r in check_network(net, x, t))

    net.layers["Relu1"] = ReluMaskOnly()
    verdicts = {r.name: r.passed for r in check_network(net, x, t)}
    assert verdicts == {"W1": False, "b1": False, "W2": True, "b2": True}

    net, x, t = small_net_and_data()
    net.layers["Affine2"] = AffineWrongDb(net.params["W2"], net.params["b2"])
    verdicts = {r.name: r.passed for r in check_network(net, x, t)}
    assert verdicts == {"W1": True, "b1": True, "W2": True, "b2": False}


def test_check_layers_covers_every_layer_and_names_the_broken_one():
    rng = np.random.default_rng(0)
    results = check_layers(rng)
    names = " ".join(r.name for r in results)
    for layer in ("Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"):
        assert layer in names
    assert all(r.passed for r in results)
    failing = [r.name for r in check_layers(np.random.default_rng(0), broken="relu-mask-only") if not r.passed]
    assert failing and all(name.startswith("Relu") for name in failing)
    failing = [r.name for r in check_layers(np.random.default_rng(0), broken="affine-mean-db") if not r.passed]
    assert failing and all(name.startswith("Affine") and name.endswith(".db") for name in failing)


# --------------------------------------------------------------------- the script


def test_gradient_check_script_passes_on_the_real_network():
    result = run("ch05/gradient_check.py")
    assert result.returncode == 0, result.stdout + result.stderr
    for key in ("W1", "b1", "W2", "b2"):
        assert any(line.startswith(key) and line.endswith("PASS") for line in result.stdout.splitlines())
    assert "MNIST" in result.stdout
    assert "ReLU kinks: none" in result.stdout
    assert result.stdout.rstrip().endswith("PASS: all 4 gradients agree within 1e-07")


def test_gradient_check_layers_mode_runs_as_a_module():
    result = run("-m", "ch05.gradient_check", "--layers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: all 12 gradients" in result.stdout


@pytest.mark.parametrize("broken", ["relu-mask-only", "affine-mean-db"])
@pytest.mark.parametrize("mode", [[], ["--layers"]])
def test_gradient_check_script_fails_on_a_wrong_backward(broken, mode):
    result = run("ch05/gradient_check.py", "--broken", broken, "--subset", "40", *mode)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout
    assert "worst at index" in result.stdout


def test_gradient_check_rejects_bad_usage_without_a_traceback():
    result = run("ch05/gradient_check.py", "--batch", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--batch" in result.stderr
