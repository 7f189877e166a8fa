"""The start/end scheduler: activates campaigns at startDate and completes them at endDate.

One replica runs it at a time, under its lease; should two ever overlap (a paused owner past
its lease), each transition is still a revision only one writer wins.
"""

import asyncio

from campaign_svc.handlers import CampaignCommands
from reengage_common.leases import Lease


async def run_scheduler(commands: CampaignCommands, lease: Lease, interval_seconds: float) -> None:
    while True:
        if lease.held():
            await commands.run_scheduler_once()
        await asyncio.sleep(interval_seconds)
