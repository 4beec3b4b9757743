"""WeCom SCRM (WECOM-1…5): the tenant's bound corp, live codes, mass-send tasks and
customer transfers. Customers' events are observations in the behaviour log."""
