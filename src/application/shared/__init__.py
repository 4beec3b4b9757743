"""Building blocks every context uses: base application, group commit, views, paging."""
