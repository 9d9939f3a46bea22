"""Layers and functions of common/: gradients, dtypes, aliasing, numerical stability."""

import numpy as np
import pytest

from ch05.wrong_layers import AffineWrongDb, ReluMaskOnly
from common.functions import cross_entropy_error, log_softmax, softmax, softmax_cross_entropy
from common.gradient import check_layer
from common.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss

TOL = 1e-7


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def away_from_zero(rng, shape):
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def assert_all_pass(results):
    for r in results:
        assert r.rel_error <= TOL, r.describe_mismatch()


@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (2, 1, 5, 5)])
def test_relu_backward_matches_numerical(rng, shape):
    assert_all_pass(check_layer("Relu", Relu(), away_from_zero(rng, shape), rng))


@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4)])
def test_sigmoid_backward_matches_numerical(rng, shape):
    assert_all_pass(check_layer("Sigmoid", Sigmoid(), rng.standard_normal(shape) * 3, rng))


@pytest.mark.parametrize(("x_shape", "d", "m"), [((4, 6), 6, 3), ((1, 5), 5, 2), ((2, 1, 3, 3), 9, 4)])
def test_affine_backward_matches_numerical(rng, x_shape, d, m):
    layer = Affine(rng.standard_normal((d, m)), rng.standard_normal(m))
    results = check_layer("Affine", layer, rng.standard_normal(x_shape), rng, param_names=("W", "b"))
    assert [r.name for r in results] == ["Affine.dx", "Affine.dW", "Affine.db"]
    assert_all_pass(results)


@pytest.mark.parametrize("labels", ["integer", "one-hot"])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_softmax_with_loss_backward_matches_numerical(rng, labels, n):
    t = rng.integers(0, 5, size=n)
    if labels == "one-hot":
        t = np.eye(5)[t]
    assert_all_pass(check_layer("SoftmaxWithLoss", SoftmaxWithLoss(), rng.standard_normal((n, 5)), rng, (t,)))


def test_softmax_with_loss_single_unbatched_sample(rng):
    x = rng.standard_normal(5)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, 3)
    assert loss == pytest.approx(-log_softmax(x)[3])
    dx = layer.backward()
    assert dx.shape == (5,)
    expected = softmax(x)
    expected[3] -= 1
    np.testing.assert_allclose(dx, expected)
    assert_all_pass(check_layer("SoftmaxWithLoss", SoftmaxWithLoss(), x, rng, (np.int64(3),)))
    assert_all_pass(check_layer("SoftmaxWithLoss", SoftmaxWithLoss(), x, rng, (np.eye(5)[3],)))


def test_softmax_with_loss_scales_by_dout(rng):
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    np.testing.assert_allclose(layer.backward(2.5), 2.5 * layer.backward(1.0))


def test_relu_mask_comes_from_forward_input_and_passes_dout_values():
    x = np.array([[1.0, -0.5], [-2.0, 3.0]])
    dout = np.array([[-0.3, 0.8], [1.2, 0.5]])  # negative where x > 0, positive where x < 0
    relu = Relu()
    np.testing.assert_array_equal(relu.forward(x), [[1.0, 0.0], [0.0, 3.0]])
    np.testing.assert_array_equal(relu.mask, x > 0)
    np.testing.assert_array_equal(relu.backward(dout), dout * (x > 0))
    np.testing.assert_array_equal(relu.backward(dout), [[-0.3, 0.0], [0.0, 0.5]])


@pytest.mark.parametrize(
    ("make", "param_names"),
    [
        (lambda rng: Relu(), ()),
        (lambda rng: Sigmoid(), ()),
        (lambda rng: Affine(rng.standard_normal((6, 3)), rng.standard_normal(3)), ("W", "b")),
    ],
)
def test_backward_writes_into_neither_dout_nor_forward_input(rng, make, param_names):
    layer = make(rng)
    x = rng.standard_normal((4, 6))
    x_before = x.copy()
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    assert not np.shares_memory(dx, dout)


def test_book_style_in_place_relu_would_be_caught():
    """Negative control for the aliasing test: the book's backward zeroes the caller's dout."""

    class BookRelu(Relu):
        def backward(self, dout):
            dout[~self.mask] = 0
            return dout

    x, dout = np.array([1.0, -1.0]), np.array([5.0, 7.0])
    layer = BookRelu()
    layer.forward(x)
    layer.backward(dout)
    assert not np.array_equal(dout, [5.0, 7.0])


def test_softmax_with_loss_does_not_write_into_labels_or_logits(rng):
    x, t = rng.standard_normal((3, 4)), np.eye(4)[[0, 3, 1]]
    x_before, t_before = x.copy(), t.copy()
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    layer.backward()
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)


def test_negative_controls_fail_the_layer_check(rng):
    wrong_relu = check_layer("ReluMaskOnly", ReluMaskOnly(), away_from_zero(rng, (4, 5)), rng)
    assert not wrong_relu[0].passed
    assert wrong_relu[0].rel_error > 1e-2

    layer = AffineWrongDb(rng.standard_normal((6, 3)), rng.standard_normal(3))
    dx, dW, db = check_layer("AffineWrongDb", layer, rng.standard_normal((4, 6)), rng, param_names=("W", "b"))
    assert dx.passed and dW.passed
    assert not db.passed


def test_affine_returns_dx_in_tensor_shape(rng):
    layer = Affine(rng.standard_normal((784, 10)), np.zeros(10))
    x = rng.standard_normal((2, 1, 28, 28))
    assert layer.forward(x).shape == (2, 10)
    assert layer.backward(np.ones((2, 10))).shape == (2, 1, 28, 28)


def test_affine_without_dx_still_gives_parameter_gradients(rng):
    W, b = rng.standard_normal((6, 3)), rng.standard_normal(3)
    full, lean = Affine(W, b), Affine(W, b, need_dx=False)
    x, dout = rng.standard_normal((4, 6)), rng.standard_normal((4, 3))
    full.forward(x)
    lean.forward(x)
    assert full.backward(dout) is not None
    assert lean.backward(dout) is None
    np.testing.assert_array_equal(full.dW, lean.dW)
    np.testing.assert_array_equal(full.db, lean.db)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_every_layer(rng, dtype):
    x = rng.standard_normal((4, 6)).astype(dtype)
    W, b = rng.standard_normal((6, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)
    for layer in (Relu(), Sigmoid()):
        assert layer.forward(x).dtype == dtype
        assert layer.backward(x).dtype == dtype
    affine = Affine(W, b)
    out = affine.forward(x)
    assert out.dtype == dtype
    assert affine.backward(out).dtype == dtype
    assert affine.dW.dtype == dtype and affine.db.dtype == dtype
    for t in (np.array([0, 1, 2, 0]), np.eye(3)[[0, 1, 2, 0]]):  # one-hot given as float64
        last = SoftmaxWithLoss()
        last.forward(out, t)
        assert last.y.dtype == dtype
        assert last.backward(np.float64(1.0)).dtype == dtype


@pytest.mark.parametrize("x", [np.array([1000.0, -1000.0, 0.0]), np.array([[1000.0, 999.0], [-1000.0, -1000.0]])])
def test_softmax_stays_finite_for_huge_logits(x):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = softmax(x)
        log_y = log_softmax(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(log_y))
    np.testing.assert_allclose(y.sum(axis=-1), 1.0)


def test_relu_propagates_nan_instead_of_hiding_it():
    out = Relu().forward(np.array([np.nan, -1.0, 2.0]))
    assert np.isnan(out[0]) and out[1] == 0.0 and out[2] == 2.0
    assert not np.signbit(out[1])  # 0.0, not -0.0


def test_sigmoid_stays_finite_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])


def test_loss_is_the_same_for_integer_and_one_hot_labels(rng):
    x = rng.standard_normal((6, 10)) * 50
    t = rng.integers(0, 10, size=6)
    assert softmax_cross_entropy(x, t) == pytest.approx(softmax_cross_entropy(x, np.eye(10)[t]), rel=1e-12)
    reference = -np.mean(np.log(softmax(x))[np.arange(6), t])
    assert softmax_cross_entropy(x, t) == pytest.approx(reference, rel=1e-9)


def test_loss_is_exact_where_the_book_adds_1e7():
    # A confident, correct prediction: log(y + 1e-7) would report about 1e-7 of loss that is not there.
    x, t = np.array([[40.0, 0.0]]), np.array([0])
    assert softmax_cross_entropy(x, t) == pytest.approx(np.log1p(np.exp(-40.0)), rel=1e-9)
    assert softmax_cross_entropy(x, t) < 1e-15


def test_loss_rejects_labels_that_do_not_fit():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="integer labels of shape"):
        softmax_cross_entropy(x, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="must lie in"):
        softmax_cross_entropy(x, np.array([0, 1, 4]))


def test_cross_entropy_error_is_the_books_without_its_bias(rng):
    x, t = rng.standard_normal((4, 5)), np.array([0, 3, 1, 4])
    y = softmax(x)
    exact = softmax_cross_entropy(x, t)
    assert cross_entropy_error(y, t) == pytest.approx(exact, rel=1e-12)
    assert cross_entropy_error(y, np.eye(5)[t]) == pytest.approx(exact, rel=1e-12)
    assert cross_entropy_error(y[1], np.int64(3)) == pytest.approx(softmax_cross_entropy(x[1], np.int64(3)))
    # Negative control: the book's + 1e-7 moves the loss by more than rounding does.
    book = -np.sum(np.log(y[np.arange(4), t] + 1e-7)) / 4
    assert book != pytest.approx(exact, rel=1e-9)
    with np.errstate(divide="ignore"):  # a probability of exactly 0 is an infinite loss, not a biased one
        assert cross_entropy_error(np.array([[1.0, 0.0]]), np.array([1])) == np.inf
