"""Newton's method with derivatives of derivatives (double backward), against gradient descent.

Newton's step uses the second derivative: ``x <- x - f'(x) / f''(x)`` in one dimension and
``x <- x - H(x)^-1 grad f(x)`` in several, where the Hessian ``H`` is the gradient of the
gradient. minigrad gets both by differentiating the graph of a gradient:
``g = minigrad.grad(y, x, create_graph=True)`` then ``minigrad.grad(g, x)``.

1. ``f(x) = x^4 - 2x^2`` from ``x = 2``: minima at ``x = +-1``.
2. Rosenbrock's ``f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`` from ``(-1.2, 1)``: minimum at ``(1, 1)``
   at the end of a long curved valley where gradient descent crawls.

    python examples/newton.py
"""
import argparse

import numpy as np

import minigrad


def f1(x):
    return x ** 4 - 2 * x ** 2


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def variable(value):
    return minigrad.Variable(np.array(value, dtype=np.float64))


def newton_1d(x0, iters, tol):
    x = variable(x0)
    for i in range(iters):
        (gx,) = minigrad.grad(f1(x), x, create_graph=True)   # f'(x), itself a graph
        (gx2,) = minigrad.grad(gx, x)                          # f''(x)
        x = variable(x.item() - gx.item() / gx2.item())
        print(f"  newton {i + 1}: x = {x.item():.12f}  f(x) = {f1(x).item():.3e}")
        if abs(gx.item()) < tol:
            return i + 1, x.item()
    return iters, x.item()


def gradient_descent_1d(x0, lr, iters, tol):
    x = variable(x0)
    for i in range(iters):
        (gx,) = minigrad.grad(f1(x), x)
        if abs(gx.item()) < tol:
            return i, x.item()
        x = variable(x.item() - lr * gx.item())
    return iters, x.item()


def hessian_and_gradient(fn, point):
    """The gradient and Hessian of ``fn`` at ``point`` (a list of floats), by double backward."""
    xs = [variable(v) for v in point]
    grads = minigrad.grad(fn(*xs), xs, create_graph=True)
    hessian = [[h.item() for h in minigrad.grad(g, xs)] for g in grads]
    return np.array([g.item() for g in grads]), np.array(hessian)


def newton_2d(p0, iters, tol):
    p = np.array(p0, dtype=np.float64)
    for i in range(iters):
        g, h = hessian_and_gradient(rosenbrock, p.tolist())
        if np.linalg.norm(g) < tol:
            return i, p
        p = p - np.linalg.solve(h, g)
        print(f"  newton {i + 1}: (x, y) = ({p[0]:.10f}, {p[1]:.10f})  "
              f"f = {rosenbrock(*p):.3e}")
    return iters, p


def gradient_descent_2d(p0, lr, iters, tol):
    p = np.array(p0, dtype=np.float64)
    for i in range(iters):
        xs = [variable(v) for v in p]
        g = np.array([v.item() for v in minigrad.grad(rosenbrock(*xs), xs)])
        if np.linalg.norm(g) < tol:
            return i, p
        p = p - lr * g
    return iters, p


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tol", type=float, default=1e-10, help="stop when |gradient| < tol")
    p.add_argument("--gd-iters", type=int, default=50000,
                   help="the most gradient-descent steps to compare with")
    p.add_argument("--quick", action="store_true", help="at most 2000 gradient-descent steps")
    args = p.parse_args()
    gd_iters = min(args.gd_iters, 2000) if args.quick else args.gd_iters

    print("f(x) = x^4 - 2x^2 from x = 2")
    steps, x = newton_1d(2.0, 20, args.tol)
    print(f"Newton: x = {x:.12f} after {steps} steps")
    gd_steps, gd_x = gradient_descent_1d(2.0, 0.01, gd_iters, args.tol)
    print(f"gradient descent (lr 0.01): x = {gd_x:.12f} after {gd_steps} steps\n")

    print("Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1)")
    steps, pt = newton_2d([-1.2, 1.0], 50, args.tol)
    print(f"Newton: (x, y) = ({pt[0]:.10f}, {pt[1]:.10f}) after {steps} steps")
    gd_steps, gd_pt = gradient_descent_2d([-1.2, 1.0], 1e-3, gd_iters, args.tol)
    print(f"gradient descent (lr 0.001): (x, y) = ({gd_pt[0]:.6f}, {gd_pt[1]:.6f}) after "
          f"{gd_steps} steps, f = {rosenbrock(*gd_pt):.3e}")


if __name__ == "__main__":
    main()
