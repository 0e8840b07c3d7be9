"""Flows: what ippbot does on the portal, step by step; page objects say how."""
