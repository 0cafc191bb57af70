"""The checked repo: its root, its files, what a check reads and reports on."""
