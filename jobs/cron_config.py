"""The configuration file ``rq cron`` loads: registering the schedule is its only purpose.

``hz45 cron`` passes it to ``CronScheduler.load_config_from_file``; operators can run
``rq cron jobs.cron_config`` instead. RQ imports (or reloads) it and collects what it declared
with ``rq.cron.register``; the table itself is :mod:`domain.jobs.schedule`.
"""

from jobs.schedule import register_all

register_all()
