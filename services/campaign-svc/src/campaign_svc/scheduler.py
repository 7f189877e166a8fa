"""The start/end scheduler: activates campaigns at startDate and completes them at endDate.

It runs inside every replica; the campaign's revision makes concurrent replicas harmless
(one wins, the others skip).
"""

import asyncio

from campaign_svc.handlers import CampaignCommands


async def run_scheduler(commands: CampaignCommands, interval_seconds: float) -> None:
    while True:
        await commands.run_scheduler_once()
        await asyncio.sleep(interval_seconds)
