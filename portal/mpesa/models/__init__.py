"""M-Pesa's records, one module per flow: c2b.py (paybill callbacks), stk.py (STK push), b2c.py (payouts)."""

from .b2c import *  # noqa: F403
from .c2b import *  # noqa: F403
from .callback import *  # noqa: F403
from .stk import *  # noqa: F403
