"""Mann-Kendall trend test (Mann 1945, Kendall 1975) with the tie correction of the variance and the
continuity correction of Z, two-sided p from the normal distribution (scipy.stats.norm)."""
import numpy as np


def mann_kendall(x):
    """{'s', 'z', 'p', 'tau', 'trend'} of the series x (oldest first); trend is 'up', 'down' or 'none' at 5 %."""
    from scipy.stats import norm

    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 3:
        return {"s": 0, "z": 0.0, "p": 1.0, "tau": 0.0, "trend": "none"}
    diff = np.sign(x[None, :] - x[:, None])
    s = float(np.triu(diff, 1).sum())
    _, counts = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18.0
    if var <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1) / np.sqrt(var)
    elif s < 0:
        z = (s + 1) / np.sqrt(var)
    else:
        z = 0.0
    p = float(2 * norm.sf(abs(z)))
    tau = s / (n * (n - 1) / 2)
    trend = "up" if (p < 0.05 and z > 0) else "down" if (p < 0.05 and z < 0) else "none"
    return {"s": s, "z": float(z), "p": p, "tau": float(tau), "trend": trend}
