"""Marketing automation flows (FLOW-1…7): start conditions, graphs, enrolments."""
