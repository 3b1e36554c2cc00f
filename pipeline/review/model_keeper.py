"""The routing classifier's keeper, where the console and benchmarks import it from.

It lives in :mod:`pipeline.routing.keeper`, beside the classifier, so that intake can
use it without depending on the review package.
"""

from pipeline.routing.keeper import ModelKeeper, shared_keeper

__all__ = ["ModelKeeper", "shared_keeper"]
