"""Organisation (ORG): departments and employees."""
