"""Console pages of the logins context: signing in, passwords, employee logins."""
