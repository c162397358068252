"""Flow-level bandwidth sharing on SimPy, free of any Kubernetes notion.

>>> from pullsim.engine import Environment, Network
>>> env = Environment()
>>> net = Network(env)
>>> link = net.add_link("egress", capacity=100e6)
>>> first, second = net.transfer(100e6, [link]), None
>>> def later():
...     global second
...     yield env.timeout(0.5)
...     second = net.transfer(100e6, [link])
>>> _ = env.process(later())
>>> env.run()
>>> first.finished_at, second.finished_at
(1.5, 2.0)
"""

from pullsim.engine.environment import Environment
from pullsim.engine.maxmin import solve_max_min
from pullsim.engine.network import Link, Network, Stream, Transfer, TransferCancelled

__all__ = [
    "Environment",
    "Link",
    "Network",
    "Stream",
    "Transfer",
    "TransferCancelled",
    "solve_max_min",
]
