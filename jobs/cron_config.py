"""The configuration file ``rq cron`` loads: declaring the schedule, in UTC, is its only purpose.

``hz45 cron`` passes it to ``CronScheduler.load_config_from_file``; operators can run
``rq cron jobs.cron_config`` instead. RQ imports (or reloads) it and collects what it declared
with ``rq.cron.register``; the table itself is :mod:`domain.jobs.schedule`. Loading it switches
the process to UTC, before RQ computes the first due times.
"""

from jobs.schedule import register_all, use_utc_clock

use_utc_clock()
register_all()
