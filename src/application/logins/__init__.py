"""Console sign-in: logins for staff and employees, sessions, lockout, reset links."""
