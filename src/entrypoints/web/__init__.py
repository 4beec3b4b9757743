"""The console: server-rendered pages for staff, auditors, tenant admins, marketers and
sales under /console (DESIGN.md "Web pages"). Pages call the same application services
and read the same read models as the API, with the signed-in person as the caller."""
